package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSampleRSS(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	ticks := make(chan time.Time, 2)
	ticks <- start.Add(10 * time.Second)
	ticks <- start.Add(20 * time.Second)
	close(ticks)
	reads := [][]int64{{1024, 2048}, {2048, 2048}, {3072, 1024}}
	n := 0
	read := func() ([]int64, error) { n++; return reads[n-1], nil }
	// Each reading adds 3 busy and 1 idle jiffy: 75 % busy.
	var cpuCalls int64
	cpu := func() (cpuTimes, error) { cpuCalls++; return cpuTimes{Busy: 3 * cpuCalls, Idle: cpuCalls}, nil }
	var out strings.Builder
	samples, err := sampleRSS(context.Background(), ticks, start, read, cpu, nil, &out)
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != 3 {
		t.Fatalf("%d samples, want 3 (one at start, one per tick)", len(samples))
	}
	for i, want := range []time.Duration{0, 10 * time.Second, 20 * time.Second} {
		if samples[i].At != want || samples[i].KB[0] != reads[i][0] || samples[i].KB[1] != reads[i][1] {
			t.Errorf("sample %d = %+v, want at %s with %v", i, samples[i], want, reads[i])
		}
		if samples[i].Busy != 0.75 {
			t.Errorf("sample %d busy %.2f, want 0.75", i, samples[i].Busy)
		}
	}
	if !strings.Contains(out.String(), "rss t=  20s  3.0 / 1.0 MiB  machine  75%") {
		t.Errorf("progress output lacks the last sample:\n%s", out.String())
	}
}

func TestSampleRSSStopsOnReadErrorAndCancel(t *testing.T) {
	t.Parallel()
	noCPU := func() (cpuTimes, error) { return cpuTimes{}, errors.New("no /proc/stat") }
	ticks := make(chan time.Time, 1)
	ticks <- time.Now()
	calls := 0
	read := func() ([]int64, error) {
		calls++
		if calls > 1 {
			return nil, errors.New("process gone")
		}
		return []int64{1}, nil
	}
	samples, err := sampleRSS(context.Background(), ticks, time.Now(), read, noCPU, nil, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "process gone") || len(samples) != 1 || samples[0].Busy != 0 {
		t.Fatalf("samples %+v, err %v; want the first sample kept, no CPU share, then the read error", samples, err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	samples, err = sampleRSS(ctx, make(chan time.Time), time.Now(), func() ([]int64, error) { return []int64{1}, nil }, noCPU, nil, io.Discard)
	if err != nil || len(samples) != 1 {
		t.Fatalf("after cancel: %d samples, %v; want just the start sample and no error", len(samples), err)
	}
}

func TestSummariseRSS(t *testing.T) {
	t.Parallel()
	var samples []rssSample
	// Server 0 rises, peaks early, then holds; server 1 keeps growing.
	for i, kb := range []int64{100, 400, 300, 310, 305, 320} {
		samples = append(samples, rssSample{At: time.Duration(i) * time.Second, KB: []int64{kb, int64(100 * (i + 1))}})
	}
	got, ok := summariseRSS(samples, 0)
	want := rssSummary{Start: 100, Middle: 310, End: 320, Peak: 400, HalfMin: 305, HalfMax: 320}
	if !ok || got != want {
		t.Errorf("server 0: %+v, want %+v", got, want)
	}
	got, _ = summariseRSS(samples, 1)
	if got.Start != 100 || got.Middle != 400 || got.End != 600 || got.Peak != 600 || got.HalfMin != 400 || got.HalfMax != 600 {
		t.Errorf("server 1: %+v", got)
	}
	if s := got.String(); !strings.Contains(s, "end +50.0% vs middle") {
		t.Errorf("String() = %q, want the growth from middle to end", s)
	}
	if _, ok := summariseRSS(nil, 0); ok {
		t.Errorf("no samples should give no summary")
	}
}

func TestJudgeRSS(t *testing.T) {
	t.Parallel()
	series := func(kbs ...int64) []rssSample {
		var s []rssSample
		for i, kb := range kbs {
			s = append(s, rssSample{At: time.Duration(i) * time.Minute, KB: []int64{kb}})
		}
		return s
	}
	// Fills during the first two minutes (the warm-up), then holds.
	f, ok := judgeRSS(series(40, 90, 100, 104, 101, 103, 102, 105, 104), 0, 2*time.Minute, 0.1)
	if !ok || !f.Flat || f.Base != 104 || f.BaseAt != 3*time.Minute || f.LastMax != 105 {
		t.Errorf("holding series: %+v, %v; want flat from the first third's 104 at 3m to the last third's 105", f, ok)
	}
	if s := f.String(); !strings.HasPrefix(s, "FLAT after warm-up") {
		t.Errorf("String() = %q", s)
	}
	// Keeps growing after the warm-up: a leak.
	f, ok = judgeRSS(series(40, 90, 100, 104, 108, 112, 116, 120, 124), 0, 2*time.Minute, 0.1)
	if !ok || f.Flat || f.LastMax != 124 || !strings.HasPrefix(f.String(), "GROWING") {
		t.Errorf("growing series: %+v, %v; want growing to 124", f, ok)
	}
	// Swings between trough and crest (SQLite's page caches freed every
	// minute) and holds: crest against crest, not the first trough.
	f, ok = judgeRSS(series(40, 90, 100, 112, 101, 112, 101, 113, 101, 113, 102), 0, 2*time.Minute, 0.1)
	if !ok || !f.Flat || f.Base != 112 || f.LastMax != 113 {
		t.Errorf("swinging series: %+v, %v; want flat from crest 112 to crest 113", f, ok)
	}
	// Swings and grows: the crests rise, a leak still.
	f, ok = judgeRSS(series(40, 90, 100, 112, 106, 118, 112, 124, 118, 130, 124), 0, 2*time.Minute, 0.1)
	if !ok || f.Flat || f.Base != 112 || f.LastMax != 130 {
		t.Errorf("swinging, growing series: %+v, %v; want growing from crest 112 to crest 130", f, ok)
	}
	if _, ok := judgeRSS(series(40, 90, 100, 104), 0, 2*time.Minute, 0.1); ok {
		t.Errorf("two samples after the warm-up should be too few to judge")
	}
}

// TestRSSWithCaches: with the servers' cache gauges, each progress line
// says what the caches held, and the verdict says how they moved between
// the base and the last third's highest sample.
func TestRSSWithCaches(t *testing.T) {
	t.Parallel()
	start := time.Now()
	ticks := make(chan time.Time, 4)
	for i := 1; i <= 4; i++ {
		ticks <- start.Add(time.Duration(i) * time.Minute)
	}
	close(ticks)
	rss := []int64{50 << 10, 60 << 10, 62 << 10, 66 << 10, 65 << 10}
	cached := []int64{1 << 10, 2 << 10, 3 << 10, 7 << 10, 8 << 10}
	n, m := 0, 0
	read := func() ([]int64, error) { n++; return []int64{rss[n-1]}, nil }
	caches := func() []int64 { m++; return []int64{cached[m-1]} }
	noCPU := func() (cpuTimes, error) { return cpuTimes{}, errors.New("no /proc/stat") }
	var out strings.Builder
	samples, err := sampleRSS(context.Background(), ticks, start, read, noCPU, caches, &out)
	if err != nil || len(samples) != 5 {
		t.Fatalf("%d samples, %v", len(samples), err)
	}
	if !strings.Contains(out.String(), "rss t= 180s  66.0 MiB  (caches 7.0 MiB)  machine") {
		t.Errorf("progress output lacks the caches:\n%s", out.String())
	}
	f, ok := judgeRSS(samples, 0, time.Minute, 0.1)
	// Four samples after the warm-up: the last third is the last one.
	if !ok || f.Base != 60<<10 || f.LastMax != 65<<10 || !f.CacheKnown || f.CacheBase != 2<<10 || f.CacheAtMax != 8<<10 {
		t.Fatalf("judged %+v, %v; want base 60 MiB with 2 MiB cached, max 65 MiB with 8", f, ok)
	}
	if s := f.String(); !strings.HasSuffix(s, "the bounded caches held 2.0 then 8.0 MiB") {
		t.Errorf("String() = %q", s)
	}
	none := make(chan time.Time)
	close(none)
	n = 0
	if samples, _ := sampleRSS(context.Background(), none, start, read, noCPU, func() []int64 { return nil }, io.Discard); samples[0].CacheKB != nil {
		t.Errorf("unknown caches should leave CacheKB nil, got %v", samples[0].CacheKB)
	}
}

func TestCachesKB(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "reviewpolicy_github_response_cache_bytes 1048576\n"+
			`reviewpolicy_cache_bytes{cache="files"} 2097152`+"\n"+`reviewpolicy_cache_bytes{cache="facts"} 1048576`+"\n")
	}))
	defer srv.Close()
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "go_goroutines 7\n")
	}))
	defer old.Close()
	ctx := context.Background()
	if got := cachesKB(ctx, srv.Client(), []string{srv.URL, srv.URL}); len(got) != 2 || got[0] != 4096 || got[1] != 4096 {
		t.Errorf("cachesKB = %v; want 4096 kB for each server", got)
	}
	if got := cachesKB(ctx, srv.Client(), []string{srv.URL, old.URL}); got != nil {
		t.Errorf("a server without the gauges gave %v; want nil", got)
	}
}
