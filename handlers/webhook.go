package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/tidwall/gjson"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// MaxPayload is GitHub's own cap on webhook payloads.
const MaxPayload = 25 << 20

// Enqueuer stores a delivery durably; false means it was seen before. It
// must not keep d.Payload once it returns: the webhook reuses the buffer.
type Enqueuer interface {
	EnqueueDelivery(ctx context.Context, d store.Delivery) (bool, error)
}

// Webhook is the hot path: verify, dedupe, store a job, answer. Nothing
// here calls GitHub or evaluates policy, so GitHub always gets its answer
// well inside its 10-second limit and an acknowledged delivery is on disk.
type Webhook struct {
	Secret  []byte
	Store   Enqueuer
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	// Gate, if set, learns how long acknowledgements take, so that jobs
	// yield the CPU to them.
	Gate *JobGate
	// BodyBudget caps the bytes of request bodies held at once by all
	// requests together (0: DefaultBodyBudget); see body.go.
	BodyBudget int64

	inflight atomic.Int64 // bytes of body buffers held now, by all requests
}

// readEnvelope checks that body is one JSON object and returns the two
// fields the hot path needs. It uses gjson rather than encoding/json: on a
// 25 KB pull_request payload, encoding/json's validation and decoding cost
// ~0.35 ms of the acknowledgement; gjson's validator and path lookups are
// several times cheaper (BenchmarkReadEnvelope).
func readEnvelope(body []byte) (action string, installation int64, ok bool) {
	if !gjson.ValidBytes(body) || !isObject(body) {
		return "", 0, false
	}
	fields := gjson.GetManyBytes(body, "action", "installation.id")
	a, id := fields[0], fields[1]
	if a.Exists() && a.Type != gjson.String && a.Type != gjson.Null ||
		id.Exists() && id.Type != gjson.Number && id.Type != gjson.Null {
		return "", 0, false
	}
	// encoding/json, which the jobs decode with, replaces invalid UTF-8;
	// so must this, or PostgreSQL's text column would refuse the action.
	return strings.ToValidUTF8(a.String(), "\uFFFD"), id.Int(), true
}

func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Timed from the body's last byte (reset below once it is read): how
	// long the client takes to send it is not the server's time, and a
	// slow sender must not make the job gate hold jobs back.
	start := time.Now()
	defer h.Gate.AckBegun()()
	defer func() {
		took := time.Since(start)
		h.Metrics.WebhookDuration.Observe(took.Seconds())
		h.Gate.ObserveAck(took)
	}()
	event := github.WebHookType(r)
	delivery := github.DeliveryID(r)
	outcome := func(o string) { h.Metrics.Deliveries.WithLabelValues(eventLabel(event), o).Inc() }

	// Refused before a byte of the body is read: a stated length over the
	// cap, and a request that carries no signature to check.
	if r.ContentLength > MaxPayload {
		outcome("too_large")
		httpError(w, http.StatusRequestEntityTooLarge, "payload larger than 25 MiB")
		return
	}
	want, ok := parseSignature(r.Header.Get(github.SHA256SignatureHeader))
	if !ok {
		outcome("bad_signature")
		httpError(w, http.StatusUnauthorized, "missing or invalid X-Hub-Signature-256")
		return
	}
	mac := hmac.New(sha256.New, h.Secret)
	body, release, err := h.readBody(w, r, mac)
	defer release()
	if err != nil {
		h.refuseBody(w, err, outcome)
		return
	}
	start = time.Now()
	// Verify before looking at anything else: an unsigned request learns nothing.
	sum := mac.Sum(nil)
	if !hmac.Equal(sum, want) {
		outcome("bad_signature")
		httpError(w, http.StatusUnauthorized, "missing or invalid X-Hub-Signature-256")
		return
	}
	h.accept(w, r, event, delivery, body, sum, outcome)
}

// accept checks the verified delivery's headers and envelope, stores it and
// answers. The body's HMAC is its hash for the store's replay check: the
// same body under the same secret gives the same value, it costs nothing
// more, and a body signed under another secret fails verification anyway.
func (h *Webhook) accept(w http.ResponseWriter, r *http.Request, event, delivery string, body, sum []byte, outcome func(string)) {
	if event == "" || delivery == "" || len(delivery) > 128 {
		outcome("malformed")
		httpError(w, http.StatusBadRequest, "X-GitHub-Event and X-GitHub-Delivery are required")
		return
	}
	action, installation, ok := readEnvelope(body)
	if !ok {
		outcome("malformed")
		httpError(w, http.StatusBadRequest, "payload is not a JSON object")
		return
	}
	d := store.Delivery{ID: delivery, Event: event, Action: action, InstallationID: installation,
		Payload: body, ReceivedAt: h.Now(), BodyHash: sum}
	inserted, err := h.Store.EnqueueDelivery(r.Context(), d)
	if err != nil {
		outcome("error")
		// 503 tells GitHub (and whoever redelivers) that nothing was stored.
		h.Logger.Error("storing delivery", "delivery", delivery, "event", event, "err", err)
		httpError(w, http.StatusServiceUnavailable, "could not store the delivery; redeliver it")
		return
	}
	if !inserted {
		// GitHub's Redeliver (the same ID), or the same body under a new ID:
		// a replay, which GitHub never sends, as each delivery has its own.
		outcome("duplicate")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "duplicate delivery ignored\n")
		return
	}
	outcome("queued")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "queued\n")
}

// refuseBody answers a body that could not be read whole.
func (h *Webhook) refuseBody(w http.ResponseWriter, err error, outcome func(string)) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		outcome("too_large")
		httpError(w, http.StatusRequestEntityTooLarge, "payload larger than 25 MiB")
	case errors.Is(err, errBusy):
		outcome("busy")
		// GitHub redelivers on a 5xx; the budget frees as bodies finish.
		httpError(w, http.StatusServiceUnavailable, "too many payloads in flight; redeliver it")
	default:
		outcome("error")
		httpError(w, http.StatusBadRequest, "could not read body")
	}
}

// parseSignature decodes "sha256=HEX"; ok is false for anything else.
func parseSignature(header string) (sum []byte, ok bool) {
	hexSum, found := strings.CutPrefix(header, "sha256=")
	if !found {
		return nil, false
	}
	sum, err := hex.DecodeString(hexSum)
	return sum, err == nil && len(sum) > 0
}

// isObject reports whether a JSON document is an object: "null" decodes
// into a struct without error, but no event is null.
func isObject(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	return len(b) > 0 && b[0] == '{'
}

// eventLabel bounds the metric's cardinality to events we know.
func eventLabel(event string) string {
	switch event {
	case "ping", "installation", "installation_repositories", "pull_request", "pull_request_review",
		"check_run", "check_suite", "push", "merge_group", "issue_comment", "membership", "team", "organization":
		return event
	}
	return "other"
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}
