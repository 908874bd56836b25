package handlers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/tidwall/gjson"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// MaxPayload is GitHub's own cap on webhook payloads.
const MaxPayload = 25 << 20

// Enqueuer stores a delivery durably; false means it was seen before.
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
	start := time.Now()
	defer func() {
		took := time.Since(start)
		h.Metrics.WebhookDuration.Observe(took.Seconds())
		h.Gate.ObserveAck(took)
	}()
	event := github.WebHookType(r)
	delivery := github.DeliveryID(r)
	outcome := func(o string) { h.Metrics.Deliveries.WithLabelValues(eventLabel(event), o).Inc() }

	body, err := readBody(w, r)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			outcome("too_large")
			httpError(w, http.StatusRequestEntityTooLarge, "payload larger than 25 MiB")
			return
		}
		outcome("error")
		httpError(w, http.StatusBadRequest, "could not read body")
		return
	}
	// Verify before looking at anything else: an unsigned request learns nothing.
	if err := github.ValidateSignature(r.Header.Get(github.SHA256SignatureHeader), body, h.Secret); err != nil {
		outcome("bad_signature")
		httpError(w, http.StatusUnauthorized, "missing or invalid X-Hub-Signature-256")
		return
	}
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
		Payload: body, ReceivedAt: h.Now()}
	inserted, err := h.Store.EnqueueDelivery(r.Context(), d)
	if err != nil {
		outcome("error")
		// 503 tells GitHub (and whoever redelivers) that nothing was stored.
		h.Logger.Error("storing delivery", "delivery", delivery, "event", event, "err", err)
		httpError(w, http.StatusServiceUnavailable, "could not store the delivery; redeliver it")
		return
	}
	if !inserted {
		outcome("duplicate")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "duplicate delivery ignored\n")
		return
	}
	outcome("queued")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, "queued\n")
}

// readBody reads the whole body, at most MaxPayload bytes. GitHub states the
// length, so the buffer is allocated once instead of doubled from 512 bytes
// up (eight copies for a 28 KB payload); a wrong length is only a hint.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxPayload)
	n := r.ContentLength
	if n <= 0 || n > MaxPayload {
		return io.ReadAll(body)
	}
	buf := bytes.NewBuffer(make([]byte, 0, n+bytes.MinRead))
	_, err := buf.ReadFrom(body)
	return buf.Bytes(), err
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
		"check_run", "check_suite", "push", "merge_group", "issue_comment":
		return event
	}
	return "other"
}

func httpError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, msg+"\n")
}
