package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

type remoteKey struct{}

// withRemote records the client's address for Audit.
func withRemote(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), remoteKey{}, r.RemoteAddr))
}

// Audit writes the one structured line every state-changing call leaves
// (who, from where, what, on what, and how it ended), whatever protocol
// carried it.
// result is "ok", a method's return value, or the error.
func Audit(ctx context.Context, log *slog.Logger, protocol, op, target, result string) {
	if log == nil {
		return
	}
	_, user, _ := RoleFrom(ctx)
	remote, _ := ctx.Value(remoteKey{}).(string)
	log.Info("audit", "protocol", protocol, "user", user, "remote", remote, "operation", op, "target", target, "result", result)
}

// Outcome renders a call's result for Audit: the error, else the method's
// return value when it has one, else "ok".
func Outcome(ret fmt.Stringer, err error) string {
	switch {
	case err != nil:
		return "error: " + err.Error()
	case ret != nil:
		return "returned " + ret.String()
	}
	return "ok"
}
