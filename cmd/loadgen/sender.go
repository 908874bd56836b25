package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"time"
)

// loadConfig bounds one open-loop run.
type loadConfig struct {
	HookURLs    []string // deliveries go to each in turn (one per server)
	Secret      []byte
	Rate        float64       // deliveries per second
	Duration    time.Duration // stop scheduling after this long
	Max         int           // and after this many (0: rate*duration)
	Concurrency int           // in-flight requests at most
}

// loadResult is what the sender saw.
type loadResult struct {
	Scheduled int // ticks that came due
	Sent      int
	Skipped   int // due while Concurrency requests were in flight
	ByStatus  map[int]int
	Errors    map[string]int // transport errors by message
	Acks      []ack          // one per answered delivery, in the order the answers came
	Elapsed   time.Duration  // first send to last send
	LastAck   time.Duration  // first send to last answer
}

// ack is one answered delivery, for -ack-log: when it was sent (from the
// first send), how long its answer took, what it was.
type ack struct {
	Sent, Latency time.Duration
	Event         string
	Status        int
}

// split returns the acknowledgement latencies of the deliveries sent in
// the first warmup of the run, and of the others.
func (r loadResult) split(warmup time.Duration) (warm, measured []time.Duration) {
	for _, a := range r.Acks {
		if a.Sent < warmup {
			warm = append(warm, a.Latency)
		} else {
			measured = append(measured, a.Latency)
		}
	}
	return warm, measured
}

// sign is GitHub's X-Hub-Signature-256 header value for body.
func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// runLoad sends next() deliveries at a fixed rate, open loop: the schedule
// never waits for answers. A delivery that comes due while Concurrency
// requests are in flight is skipped and counted, not queued, so a server
// that falls behind shows as a lower achieved rate instead of hiding behind
// a sender that slows down with it. The first delivery goes at once, one
// more at each tick (a time.Ticker's channel in use, the test's own in
// tests) until the limit, the deadline or a closed channel; each tick
// catches up on every delivery due by its time. Deliveries go to
// cfg.HookURLs round-robin, so N servers get equal shares in the same
// order. onSend is told each delivery just before it goes out.
func runLoad(ctx context.Context, client *http.Client, cfg loadConfig, ticks <-chan time.Time,
	next func() delivery, onSend func(delivery, time.Time)) loadResult {
	limit := cfg.Max
	if limit <= 0 {
		limit = int(cfg.Rate * cfg.Duration.Seconds())
	}
	res := loadResult{ByStatus: map[int]int{}, Errors: map[string]int{}, Acks: make([]ack, 0, limit)}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, cfg.Concurrency)
	start := time.Now()
	deadline := start.Add(cfg.Duration)
	var lastAck time.Time

	schedule := func() {
		res.Scheduled++
		select {
		case sem <- struct{}{}:
		default:
			res.Skipped++
			return
		}
		d := next()
		hookURL := cfg.HookURLs[res.Sent%len(cfg.HookURLs)]
		res.Sent++
		sentAt := time.Since(start)
		res.Elapsed = sentAt
		if onSend != nil {
			onSend(d, time.Now())
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			status, lat, err := post(ctx, client, hookURL, cfg.Secret, d)
			mu.Lock()
			defer mu.Unlock()
			if now := time.Now(); now.After(lastAck) {
				lastAck = now
			}
			if err != nil {
				res.Errors[err.Error()]++
				return
			}
			res.ByStatus[status]++
			res.Acks = append(res.Acks, ack{Sent: sentAt, Latency: lat, Event: d.Event, Status: status})
		}()
	}
	// A tick schedules every delivery due by its time, not just one: a
	// ticker drops ticks when the sender is starved of CPU, and the rate
	// must not drop with them.
	for tick := start; tick.Before(deadline); {
		due := min(limit, int(tick.Sub(start).Seconds()*cfg.Rate)+1)
		for res.Scheduled < due {
			schedule()
		}
		if res.Scheduled >= limit {
			break
		}
		var ok bool
		select {
		case tick, ok = <-ticks:
		case <-ctx.Done():
		}
		if !ok {
			break
		}
	}
	wg.Wait()
	if !lastAck.IsZero() {
		res.LastAck = lastAck.Sub(start)
	}
	return res
}

// post sends one signed delivery and reads the whole answer: latency is
// the time from the request's last byte written to the whole answer read,
// so a large body's transfer is not counted as the server's time. A server
// that answers before reading the whole body (a refusal) is timed from the
// start.
func post(ctx context.Context, client *http.Client, hookURL string, secret []byte, d delivery) (int, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hookURL, bytes.NewReader(d.Body))
	if err != nil {
		return 0, 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "GitHub-Hookshot/loadgen")
	req.Header.Set("X-GitHub-Event", d.Event)
	req.Header.Set("X-GitHub-Delivery", d.ID)
	req.Header.Set("X-Hub-Signature-256", sign(secret, d.Body))
	start := time.Now()
	var wrote atomic.Int64 // UnixNano of the last byte written; the transport's goroutine sets it
	req = req.WithContext(httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(time.Now().UnixNano()) },
	}))
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("post: %w", unwrapURL(err))
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	end := time.Now()
	lat := end.Sub(start)
	if w := wrote.Load(); w != 0 && w <= end.UnixNano() {
		lat = end.Sub(time.Unix(0, w))
	}
	if err != nil {
		return 0, 0, fmt.Errorf("reading answer: %w", err)
	}
	return resp.StatusCode, lat, nil
}

// unwrapURL drops *url.Error's method and URL, identical for every
// delivery, so errors group by cause.
func unwrapURL(err error) error {
	type unwrapper interface{ Unwrap() error }
	if u, ok := err.(unwrapper); ok && u.Unwrap() != nil {
		return u.Unwrap()
	}
	return err
}
