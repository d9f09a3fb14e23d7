package cimxml

import (
	"fmt"
	"testing"

	"github.com/virtbridge/virtbridge/cim"
)

func TestStatusTable(t *testing.T) {
	for s, name := range map[Status]string{
		1: "CIM_ERR_FAILED", 3: "CIM_ERR_INVALID_NAMESPACE", 7: "CIM_ERR_NOT_SUPPORTED",
		17: "CIM_ERR_METHOD_NOT_FOUND", 20: "CIM_ERR_NAMESPACE_NOT_EMPTY",
		21: "CIM_ERR_INVALID_ENUMERATION_CONTEXT", 27: "CIM_ERR_SERVER_LIMITS_EXCEEDED",
		28: "CIM_ERR_SERVER_IS_SHUTTING_DOWN",
	} {
		if s.String() != name || !s.Known() {
			t.Errorf("%d = %s, want %s", uint32(s), s, name)
		}
	}
	if Status(99).Known() || Status(99).String() != "CIM status 99" {
		t.Errorf("99 = %s", Status(99))
	}
}

func TestErrorFor(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Status
	}{
		{fmt.Errorf("class X: %w", cim.ErrNotFound), StatusNotFound},
		{cim.ErrInvalidNamespace, StatusInvalidNamespace},
		{cim.ErrAlreadyExists, StatusAlreadyExists},
		{cim.ErrInvalidSuperclass, StatusInvalidSuperclass},
		{fmt.Errorf("wrapped: %w", Errorf(StatusInvalidEnumerationContext, "gone")), StatusInvalidEnumerationContext},
		{fmt.Errorf("disk full"), StatusFailed},
	} {
		if got := ErrorFor(tc.err); got.Status != tc.want {
			t.Errorf("ErrorFor(%v) = %v, want %v", tc.err, got.Status, tc.want)
		}
	}
	if ErrorFor(nil) != nil {
		t.Error("ErrorFor(nil) is not nil")
	}
}
