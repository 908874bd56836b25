package main

import (
	"strings"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	ok := []string{
		"http://127.0.0.1:8080/api/github/hook", "http://127.8.9.10/", "http://localhost:1/x",
		"http://LOCALHOST/", "http://[::1]:9000/", "https://127.0.0.1/",
	}
	for _, u := range ok {
		if _, err := checkLoopback(u); err != nil {
			t.Errorf("checkLoopback(%q) = %v, want accepted", u, err)
		}
	}
	refused := []string{
		"http://10.0.0.1/", "http://192.168.1.5:8080/", "http://example.com/", "http://0.0.0.0:8080/",
		"http://[::]:8080/", "http://localhost.example.com/", "http://128.0.0.1/", "ftp://127.0.0.1/",
		"http://[::ffff:10.0.0.1]/", "127.0.0.1:8080", "",
	}
	for _, u := range refused {
		if _, err := checkLoopback(u); err == nil {
			t.Errorf("checkLoopback(%q) accepted, want refused", u)
		}
	}
}

func TestProcStatusKB(t *testing.T) {
	t.Parallel()
	status := "Name:\treviewpolicy\nVmPeak:\t 1300000 kB\nVmHWM:\t   51234 kB\nVmRSS:\t   50000 kB\nThreads:\t12\n"
	if got, err := procStatusKB(strings.NewReader(status), "VmHWM"); err != nil || got != 51234 {
		t.Errorf("VmHWM = %d, %v; want 51234", got, err)
	}
	if got, err := procStatusKB(strings.NewReader(status), "VmRSS"); err != nil || got != 50000 {
		t.Errorf("VmRSS = %d, %v; want 50000", got, err)
	}
	if _, err := procStatusKB(strings.NewReader(status), "VmSwap"); err == nil {
		t.Errorf("a missing key should be an error")
	}
	if _, err := procStatusKB(strings.NewReader(status), "Threads"); err == nil {
		t.Errorf("a value without kB should be an error")
	}
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	cases := []struct{ base, hook, metrics string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/api/github/hook", "http://127.0.0.1:8080/metrics"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080/api/github/hook", "http://127.0.0.1:8080/metrics"},
		{"http://[::1]:9/api/github/hook", "http://[::1]:9/api/github/hook", "http://[::1]:9/metrics"},
	}
	for _, c := range cases {
		u, err := checkLoopback(c.base)
		if err != nil {
			t.Fatal(err)
		}
		if hook, metrics := endpoints(u); hook != c.hook || metrics != c.metrics {
			t.Errorf("endpoints(%s) = %s, %s; want %s, %s", c.base, hook, metrics, c.hook, c.metrics)
		}
	}
}

func TestLoopbackHost(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"127.0.0.1:8080": "127.0.0.1:8080", "[::]:8080": "127.0.0.1:8080", "0.0.0.0:1": "127.0.0.1:1",
		"[::1]:5": "[::1]:5",
	} {
		if got := loopbackHost(in); got != want {
			t.Errorf("loopbackHost(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestProcStatBusyShare(t *testing.T) {
	t.Parallel()
	// user nice system idle iowait irq softirq steal guest guest_nice
	before, err := parseProcStat(strings.NewReader("cpu  100 0 50 800 50 0 0 0 30 0\ncpu0 1 2 3 4 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if before != (cpuTimes{Busy: 150, Idle: 850}) {
		t.Fatalf("before = %+v, want busy 150 (guest not counted twice), idle 850", before)
	}
	after, err := parseProcStat(strings.NewReader("intr 5\ncpu  250 0 100 850 50 0 0 0 90 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := busyShare(before, after); got != 0.8 { // 200 busy of 250
		t.Errorf("busyShare = %v, want 0.8", got)
	}
	if _, err := parseProcStat(strings.NewReader("cpu0 1 2 3 4 5\n")); err == nil {
		t.Errorf("no aggregate cpu line should be an error")
	}
}

func TestServerLogPath(t *testing.T) {
	t.Parallel()
	cases := []struct {
		base string
		i, n int
		want string
	}{
		{"/tmp/run.server.log", 1, 1, "/tmp/run.server.log"},
		{"/tmp/run.server.log", 1, 3, "/tmp/run.server-1.log"},
		{"/tmp/run.server.log", 3, 3, "/tmp/run.server-3.log"},
		{"/tmp/server", 2, 2, "/tmp/server-2"},
	}
	for _, c := range cases {
		if got := serverLogPath(c.base, c.i, c.n); got != c.want {
			t.Errorf("serverLogPath(%q, %d, %d) = %q, want %q", c.base, c.i, c.n, got, c.want)
		}
	}
}

func TestScrapesAcrossServers(t *testing.T) {
	t.Parallel()
	one := scrape{{Name: metricQueue, Value: 0}, {Name: metricCPU, Value: 2}}
	two := scrape{{Name: metricQueue, Value: 3}, {Name: metricCPU, Value: 5}}
	if got := (scrapes{one, two}).all().sum(metricCPU, nil); got != 7 {
		t.Errorf("CPU across servers = %v, want 7", got)
	}
	if queuesEmpty(scrapes{one, two}) {
		t.Errorf("a server with 3 queued jobs should keep the drain going")
	}
	if !queuesEmpty(scrapes{one, one}) {
		t.Errorf("every queue at zero should end the drain")
	}
	if queuesEmpty(scrapes{one, {{Name: metricCPU, Value: 1}}}) || queuesEmpty(nil) {
		t.Errorf("a server without the queue gauge, or no servers, is not drained")
	}
}

func TestJobsCaughtUp(t *testing.T) {
	t.Parallel()
	metrics := func(queued, jobs float64) scrape {
		return scrape{
			{Name: metricDeliveries, Labels: map[string]string{"outcome": "queued"}, Value: queued},
			{Name: metricJobs + "_count", Labels: map[string]string{"kind": "delivery:ping", "outcome": "ok"}, Value: jobs},
		}
	}
	before := scrapes{metrics(10, 10), metrics(0, 0)}
	if jobsCaughtUp(before, scrapes{metrics(15, 14), metrics(5, 5)}) {
		t.Errorf("10 queued and 9 finished across servers should not count as caught up")
	}
	if !jobsCaughtUp(before, scrapes{metrics(15, 15), metrics(5, 5)}) {
		t.Errorf("10 queued and 10 finished should count as caught up")
	}
	if !jobsCaughtUp(nil, scrapes{metrics(15, 0)}) {
		t.Errorf("without a before scrape the queue alone decides")
	}
}
