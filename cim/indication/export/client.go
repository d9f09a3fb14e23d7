// Package export delivers indications to CIM-XML listeners: the
// ExportIndication request of DSP0200 §5.3.1 over HTTP or HTTPS, with
// cim/cimxml's encoder. It is the cim/indication service's Exporter.
package export

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/virtbridge/virtbridge/cim"
	"github.com/virtbridge/virtbridge/cim/cimxml"
)

// DeliveryError is one failed ExportIndication: the listener could not
// be reached, answered with an HTTP error, or with a CIM ERROR.
type DeliveryError struct {
	URL    string
	Status int // HTTP status, 0 when there was no answer
	Err    error
}

func (e *DeliveryError) Error() string {
	if e.Status != 0 && e.Status != http.StatusOK {
		return fmt.Sprintf("delivering to %s: HTTP %d: %v", e.URL, e.Status, e.Err)
	}
	return fmt.Sprintf("delivering to %s: %v", e.URL, e.Err)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// maxResponse bounds what is read of a listener's answer.
const maxResponse = 1 << 20

// Client sends ExportIndication requests.
type Client struct {
	http    *http.Client
	timeout time.Duration
	// embedded encodes the instances an indication carries once for all
	// the subscriptions it goes to.
	embedded *cimxml.EmbeddedCache
}

// embeddedCached is how many embedded instances the client keeps
// encoded: the latest indications' SourceInstance and PreviousInstance.
const embeddedCached = 1024

// New returns a client whose every delivery is bounded by timeout.
// Listeners' certificates are verified against the system's CAs unless
// insecureTLS is set.
func New(timeout time.Duration, insecureTLS bool) *Client {
	hc, timeout := HTTPClient(timeout, insecureTLS)
	return &Client{http: hc, timeout: timeout, embedded: cimxml.NewEmbeddedCache(embeddedCached)}
}

// HTTPClient is the HTTP client deliveries use, CIM-XML exports and
// WS-Eventing pushes alike: listeners reached directly (no proxy), TLS
// 1.2 or later verified unless insecureTLS, every request bounded by
// timeout (10 s when 0), which it returns.
func HTTPClient(timeout time.Duration, insecureTLS bool) (*http.Client, time.Duration) {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: insecureTLS, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: timeout}, timeout
}

// Export sends ind to the listener at url as a CIM-XML ExportIndication
// and checks the answer: 200 and an EXPMETHODRESPONSE without ERROR.
// Errors are *DeliveryError.
func (c *Client) Export(ctx context.Context, url string, ind *cim.Instance) error {
	id, _ := ind.Get("IndicationIdentifier")
	msgID, _ := id.Str()
	if msgID == "" {
		msgID = "0"
	}
	var body bytes.Buffer
	if err := c.embedded.WriteExportIndication(&body, msgID, ind); err != nil {
		return &DeliveryError{URL: url, Err: fmt.Errorf("encoding %s: %w", ind.ClassName, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, &body)
	if err != nil {
		return &DeliveryError{URL: url, Err: err}
	}
	req.Header.Set("Content-Type", `application/xml; charset="utf-8"`)
	req.Header.Set("CIMExport", "MethodRequest")
	req.Header.Set("CIMExportMethod", cimxml.ExportIndication)
	req.Header.Set("CIMProtocolVersion", "1.0")
	req.ContentLength = int64(body.Len())
	resp, err := c.http.Do(req)
	if err != nil {
		return &DeliveryError{URL: url, Err: err}
	}
	defer resp.Body.Close()
	lr := io.LimitReader(resp.Body, maxResponse)
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, lr)
		return &DeliveryError{URL: url, Status: resp.StatusCode, Err: fmt.Errorf("listener answered %s (CIMError %q)", resp.Status, resp.Header.Get("CIMError"))}
	}
	if err := cimxml.DecodeExportResponse(lr); err != nil {
		return &DeliveryError{URL: url, Status: resp.StatusCode, Err: err}
	}
	return nil
}
