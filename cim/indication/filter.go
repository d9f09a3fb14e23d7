package indication

import (
	"fmt"
	"log/slog"
	"sync"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/query"
)

// filter is a stored filter with its query parsed once.
type filter struct {
	rec *filterRec
	q   *query.Query
	// private marks a WS-Eventing subscription's own filter.
	private bool
}

// compile parses r's query and checks its FROM class is an indication
// class the agent knows: a clear CIM_ERR_INVALID_QUERY otherwise.
func (s *Service) compile(r *filterRec) (*filter, error) {
	q, err := query.Parse(r.Language, r.Query)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", r.Name, err)
	}
	c, err := s.cfg.Repo.Class(s.cfg.Interop, q.Class)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w: FROM class %s is not a class of this server", r.Name, cim.ErrInvalidQuery, q.Class)
	}
	if !c.IsIndication() {
		return nil, fmt.Errorf("filter %q: %w: FROM class %s is not an indication class (try CIM_InstModification, CIM_InstCreation, CIM_InstDeletion, VB_AlertIndication)", r.Name, cim.ErrInvalidQuery, c.Name)
	}
	err = q.Check(func(class, prop string) (bool, bool) {
		c, err := s.cfg.Repo.Class(s.cfg.Interop, class)
		if err != nil {
			c, err = s.cfg.Repo.Class(s.cfg.Schema.Namespace, class)
		}
		return err == nil, err == nil && c.Property(prop) != nil
	})
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", r.Name, err)
	}
	r.Language = q.Language
	return &filter{rec: r, q: q}, nil
}

// selects reports whether ind passes the filter and, if so, returns
// what is delivered: the selected properties, with IndicationFilterName.
func (f *filter) selects(s *Service, ind *cim.Instance) (*cim.Instance, bool) {
	isa := func(name, ancestor string) bool { return s.cfg.Repo.IsA(s.cfg.Interop, name, ancestor) }
	if !isa(ind.ClassName, f.q.Class) || !f.q.Match(ind, isa) {
		return nil, false
	}
	out := f.q.Project(ind)
	cp := &cim.Instance{ClassName: out.ClassName, Properties: make([]cim.PropertyValue, len(out.Properties), len(out.Properties)+1)}
	copy(cp.Properties, out.Properties)
	cp.Set("IndicationFilterName", cim.String(f.rec.Name))
	return cp, true
}

// idSource hands out IndicationIdentifiers: increasing, and across
// restarts too, by reserving blocks in the store.
type idSource struct {
	mu          sync.Mutex
	store       *Store
	next, limit uint64
}

const idBlock = 1024

// peek is the identifier take returns next: every one below it was
// handed out, by this run or an earlier one. The caller serialises calls.
func (g *idSource) peek() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.next == g.limit {
		if n, err := g.store.nextID(); err == nil && n > g.next {
			return n
		}
	}
	return g.next
}

// take returns the next identifier; the caller serialises calls. When
// the store cannot be written the identifiers stay unique for this run.
func (g *idSource) take(log *slog.Logger) uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.next == g.limit {
		first, err := g.store.reserveIDs(idBlock)
		if err != nil {
			log.Warn("indication identifiers not persisted", "err", err)
			first = g.next + 1
		}
		g.next, g.limit = max(first, g.next+1), max(first, g.next+1)+idBlock
	}
	id := g.next
	g.next++
	return id
}
