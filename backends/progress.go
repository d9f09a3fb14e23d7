package backends

import "context"

// ProgressFunc hears how far a long operation has got, in percent (0 to
// 100). It is called from the operation's goroutine and must not block.
type ProgressFunc func(percent int)

type progressKey struct{}

// WithProgress returns ctx carrying f: an operation run with it reports
// its progress to f when the hypervisor tells it (vSphere tasks do;
// libvirt's calls mostly do not). A front end uses it to show a job's
// progress without knowing which backend runs.
func WithProgress(ctx context.Context, f ProgressFunc) context.Context {
	return context.WithValue(ctx, progressKey{}, f)
}

// ReportProgress tells the reporter ctx carries, if any, that the
// operation is percent done, clamped to 0..100.
func ReportProgress(ctx context.Context, percent int) {
	f, _ := ctx.Value(progressKey{}).(ProgressFunc)
	if f == nil {
		return
	}
	f(min(max(percent, 0), 100))
}
