package main

import (
	"context"
	"crypto/hmac"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func counterNext() func() delivery {
	var n int
	return func() delivery {
		n++
		return delivery{ID: "id-" + strconv.Itoa(n), Event: "ping", Body: []byte(`{"zen":"z"}`)}
	}
}

func TestRunLoadSignsAndCounts(t *testing.T) {
	t.Parallel()
	secret := []byte("s3cret")
	var mu sync.Mutex
	ids := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !hmac.Equal([]byte(r.Header.Get("X-Hub-Signature-256")), []byte(sign(secret, body))) ||
			r.Header.Get("X-GitHub-Event") != "ping" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		mu.Lock()
		dup := ids[r.Header.Get("X-GitHub-Delivery")]
		ids[r.Header.Get("X-GitHub-Delivery")] = true
		mu.Unlock()
		if dup {
			w.WriteHeader(http.StatusOK)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)

	ticks := make(chan time.Time)
	go func() {
		for i := range 9 {
			ticks <- time.Now().Add(time.Duration(i+1)*100*time.Millisecond + 50*time.Millisecond) // 10/s, mid-interval
		}
		close(ticks)
	}()
	var sent int
	res := runLoad(context.Background(), srv.Client(),
		loadConfig{HookURLs: []string{srv.URL}, Secret: secret, Rate: 10, Duration: time.Hour, Max: 100, Concurrency: 4},
		ticks, counterNext(), func(delivery, time.Time) { sent++ })
	// The first delivery goes at once, then one per tick.
	if res.Sent+res.Skipped != 10 || res.Scheduled != 10 || sent != res.Sent {
		t.Fatalf("scheduled %d, sent %d, skipped %d, onSend %d; want 10 scheduled", res.Scheduled, res.Sent, res.Skipped, sent)
	}
	if res.ByStatus[http.StatusAccepted] != res.Sent || len(res.Errors) != 0 || len(res.Acks) != res.Sent {
		t.Fatalf("statuses %v, errors %v, %d latencies; want all %d accepted", res.ByStatus, res.Errors, len(res.Acks), res.Sent)
	}
	for _, a := range res.Acks {
		if a.Event != "ping" || a.Status != http.StatusAccepted || a.Latency <= 0 || a.Sent < 0 || a.Sent > res.Elapsed {
			t.Errorf("ack %+v: want a ping answered 202, sent within the run's %v", a, res.Elapsed)
		}
	}
}

func TestRunLoadIsOpenLoop(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release // hold every request until the schedule is over
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	ticks := make(chan time.Time)
	done := make(chan loadResult)
	go func() {
		done <- runLoad(context.Background(), srv.Client(),
			loadConfig{HookURLs: []string{srv.URL}, Secret: []byte("s"), Rate: 10, Duration: time.Hour, Max: 100, Concurrency: 2},
			ticks, counterNext(), nil)
	}()
	// Each unbuffered send returns only once the previous tick is handled,
	// so ten sends prove the sender kept scheduling with requests stuck.
	for i := range 10 {
		ticks <- time.Now().Add(time.Duration(i+1)*100*time.Millisecond + 50*time.Millisecond) // 10/s, mid-interval
	}
	close(ticks)
	close(release)
	res := <-done
	if res.Scheduled != 11 || res.Sent+res.Skipped != 11 {
		t.Fatalf("scheduled %d, sent %d, skipped %d; want 11 scheduled", res.Scheduled, res.Sent, res.Skipped)
	}
	// Two were in flight from the start; only the last tick may race the release.
	if res.Sent < 2 || res.Sent > 3 || res.ByStatus[http.StatusAccepted] != res.Sent {
		t.Fatalf("sent %d (statuses %v); want 2 or 3 with concurrency 2", res.Sent, res.ByStatus)
	}
}

func TestRunLoadStopsAtMax(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	ticks := make(chan time.Time, 100)
	for i := range 100 {
		ticks <- time.Now().Add(time.Duration(i+1)*100*time.Millisecond + 50*time.Millisecond)
	}
	res := runLoad(context.Background(), srv.Client(),
		loadConfig{HookURLs: []string{srv.URL}, Secret: []byte("s"), Rate: 10, Duration: time.Hour, Max: 5, Concurrency: 10},
		ticks, counterNext(), nil)
	if res.Scheduled != 5 || len(ticks) != 96 {
		t.Fatalf("scheduled %d with %d ticks left; want 5 scheduled, 96 ticks unread", res.Scheduled, len(ticks))
	}
}

// TestRunLoadCatchesUp: a tick that arrives late (the ticker dropped the
// ones before it) schedules everything due by then, keeping the rate.
func TestRunLoadCatchesUp(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	ticks := make(chan time.Time, 1)
	ticks <- time.Now().Add(450 * time.Millisecond) // one tick for 4.5 intervals at 10/s
	close(ticks)
	res := runLoad(context.Background(), srv.Client(),
		loadConfig{HookURLs: []string{srv.URL}, Secret: []byte("s"), Rate: 10, Duration: time.Hour, Max: 100, Concurrency: 10},
		ticks, counterNext(), nil)
	if res.Scheduled != 5 || res.Sent != 5 {
		t.Fatalf("scheduled %d, sent %d; want 5 (the first and four more due by 450ms)", res.Scheduled, res.Sent)
	}
}

// TestRunLoadRoundRobin: with several hook URLs, delivery i goes to URL
// i mod n, so each server gets an equal share.
func TestRunLoadRoundRobin(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string][]string{} // server name → delivery IDs it received
	newServer := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			got[name] = append(got[name], r.Header.Get("X-GitHub-Delivery"))
			mu.Unlock()
			w.WriteHeader(http.StatusAccepted)
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	a, b, c := newServer("a"), newServer("b"), newServer("c")
	ticks := make(chan time.Time, 1)
	ticks <- time.Now().Add(time.Hour) // everything is due at once
	close(ticks)
	// A client of its own: closing any test's server closes the default
	// transport's idle connections, and a POST that had picked one fails.
	client := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	res := runLoad(context.Background(), client,
		loadConfig{HookURLs: []string{a.URL, b.URL, c.URL}, Secret: []byte("s"), Rate: 10, Duration: 2 * time.Hour, Max: 7, Concurrency: 10},
		ticks, counterNext(), nil)
	if res.Sent != 7 || res.ByStatus[http.StatusAccepted] != 7 {
		t.Fatalf("sent %d, statuses %v, errors %v; want 7 accepted", res.Sent, res.ByStatus, res.Errors)
	}
	want := map[string][]string{"a": {"id-1", "id-4", "id-7"}, "b": {"id-2", "id-5"}, "c": {"id-3", "id-6"}}
	for name, ids := range want {
		slices.Sort(got[name])
		if !slices.Equal(got[name], ids) {
			t.Errorf("server %s got %v, want %v", name, got[name], ids)
		}
	}
}

func TestWriteAckLog(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "acks.csv")
	acks := []ack{
		{Sent: 1500 * time.Microsecond, Latency: 2 * time.Millisecond, Event: "pull_request", Status: 202},
		{Sent: 0, Latency: 12250 * time.Microsecond, Event: "ping", Status: 503},
	}
	if err := writeAckLog(path, acks); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "sent_ms,latency_ms,event,status\n1.500,2.000,pull_request,202\n0.000,12.250,ping,503\n"
	if string(got) != want {
		t.Errorf("ack log:\n%s\nwant:\n%s", got, want)
	}
	if err := writeAckLog(filepath.Join(t.TempDir(), "no", "such", "dir.csv"), acks); err == nil {
		t.Error("writing into a missing directory: want an error")
	}
}

func TestSplitLeavesTheWarmupOut(t *testing.T) {
	t.Parallel()
	res := loadResult{Acks: []ack{
		{Sent: 0, Latency: 50 * time.Millisecond},
		{Sent: 999 * time.Millisecond, Latency: 40 * time.Millisecond},
		{Sent: time.Second, Latency: 3 * time.Millisecond},
		{Sent: 5 * time.Second, Latency: 4 * time.Millisecond},
	}}
	warm, measured := res.split(time.Second)
	if !slices.Equal(warm, []time.Duration{50 * time.Millisecond, 40 * time.Millisecond}) ||
		!slices.Equal(measured, []time.Duration{3 * time.Millisecond, 4 * time.Millisecond}) {
		t.Errorf("split at 1s: warm %v, measured %v", warm, measured)
	}
	if warm, measured := res.split(0); len(warm) != 0 || len(measured) != 4 {
		t.Errorf("no warm-up: warm %v, measured %v; want every answer measured", warm, measured)
	}
	// The report names the warm-up's figures apart from the measured ones.
	warm, measured = res.split(time.Second)
	var out strings.Builder
	report{res: res, ack: summarise(measured), warmup: time.Second, warm: summarise(warm)}.print(&out)
	for _, want := range []string{"ack latency    p50 3.00ms", "(n=2)", "warm-up      p50", "max 50.00ms  (n=2 sent in the first 1s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
