# virtbridge. `make run` serves the embedded demo (libvirt's test driver);
# `make test` runs every test. Both install what is missing first.
GO      ?= go
BIN     := bin/virtbridge
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
# Benchmarks write here; BENCHMARKS.md records the results.
BENCHOUT ?= bench-results.txt

.PHONY: all build run test lint bench deps deps-test clean

all: build

deps:
	@.ci/deps run

deps-test:
	@.ci/deps test

build: deps
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/virtbridge

# The demo's CIM-XML user: demo / demo-password (operator), in bin/.
DEMO_USERS := bin/demo-cim-users

run: build
	@[ -s $(DEMO_USERS) ] || echo demo-password | ./$(BIN) passwd --file $(DEMO_USERS) --role operator demo
	./$(BIN) serve --config virtbridge.example.yaml --cim-users $(DEMO_USERS)

test: deps-test lint
	$(GO) test -race -count=1 -timeout 20m ./...

lint:
	@out=$$(gofmt -l .); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) tool staticcheck ./...

bench: build deps-test
	$(GO) test -run '^$$' -bench . -benchmem -count 5 -timeout 60m ./... | tee $(BENCHOUT)
	.ci/bench-rss $(BIN) | tee -a $(BENCHOUT)
	.ci/bench-snmp $(BIN) | tee -a $(BENCHOUT)
	.ci/bench-cim $(BIN) | tee -a $(BENCHOUT)
	.ci/bench-wsman $(BIN) | tee -a $(BENCHOUT)

clean:
	rm -rf bin $(BENCHOUT)
