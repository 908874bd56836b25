// Command loadgen replays real GitHub webhook payloads at a reviewpolicy
// server, open loop at a fixed rate, and reports acknowledgement latency,
// job throughput and latency (from the server's /metrics), GitHub calls per
// delivery and, when it starts the server itself, its peak memory.
//
// It sends only to loopback addresses. With -fake-github it also serves a
// minimal GitHub REST API on 127.0.0.1 for the server's jobs to call.
//
//	loadgen -write-key /tmp/app.pem
//	loadgen -fake-github -server-cmd "/tmp/reviewpolicy serve --config cfg.yml" \
//	        -secret s -rate 500 -duration 30s
package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	url, secret, payloads, mix, serverCmd, serverLog, fakeAddr, writeKey, metricsURL string
	rate                                                                             float64
	duration, drain, startTimeout                                                    time.Duration
	concurrency, max, repos, prs                                                     int
	seed                                                                             uint64
	fakeGitHub                                                                       bool
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var o options
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.url, "url", "", "server base URL, loopback only (default: the address -server-cmd prints)")
	fs.StringVar(&o.metricsURL, "metrics-url", "", "metrics URL (default: /metrics on -url's host)")
	fs.StringVar(&o.secret, "secret", "", "webhook secret (required to send)")
	fs.Float64Var(&o.rate, "rate", 100, "deliveries per second")
	fs.DurationVar(&o.duration, "duration", 30*time.Second, "how long to send")
	fs.IntVar(&o.max, "max", 0, "deliveries to send at most (0: rate × duration)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "requests in flight at most; a delivery due beyond it is skipped")
	fs.StringVar(&o.payloads, "payloads", defaultPayloads(), "directory of octokit payload examples, one folder per event")
	fs.StringVar(&o.mix, "mix", "pull_request=70,pull_request_review=20,check_suite=5,ping=5", "event=weight,...")
	fs.IntVar(&o.repos, "repos", 20, "distinct repositories the deliveries name")
	fs.IntVar(&o.prs, "prs", 200, "distinct pull requests per repository")
	fs.Uint64Var(&o.seed, "seed", uint64(time.Now().UnixNano()), "random seed (delivery IDs stay unique per run)")
	fs.DurationVar(&o.drain, "drain", 60*time.Second, "after sending, wait up to this long for the queue to empty")
	fs.BoolVar(&o.fakeGitHub, "fake-github", false, "serve a minimal fake GitHub API on 127.0.0.1 for the server's jobs")
	fs.StringVar(&o.fakeAddr, "fake-addr", "127.0.0.1:0", "address of the fake GitHub (loopback)")
	fs.StringVar(&o.serverCmd, "server-cmd", "", "start the server with this command (split on spaces, no shell) and stop it after")
	fs.StringVar(&o.serverLog, "server-log", filepath.Join(os.TempDir(), "loadgen-server.log"), "where -server-cmd's stderr goes")
	fs.DurationVar(&o.startTimeout, "start-timeout", 60*time.Second, "how long -server-cmd may take to listen")
	fs.StringVar(&o.writeKey, "write-key", "", "write a new RSA private key (PEM) for the server config to this file and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.writeKey != "" {
		if err := writeKey(o.writeKey); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote RSA private key to %s\n", o.writeKey)
		return nil
	}
	return loadTest(ctx, o, stdout)
}

// defaultPayloads finds /work/shared/testdata/github-webhooks beside the
// repository from wherever loadgen runs inside it.
func defaultPayloads() string {
	const rel = "shared/testdata/github-webhooks"
	dir, err := os.Getwd()
	if err != nil {
		return filepath.Join("..", rel)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if p := filepath.Join(d, "..", rel); isDir(p) {
			return filepath.Clean(p)
		}
		if filepath.Dir(d) == d {
			return filepath.Join("..", rel)
		}
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func writeKey(path string) error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fmt.Errorf("generating key: %w", err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
		return fmt.Errorf("writing key: %w", err)
	}
	return nil
}

func loadTest(ctx context.Context, o options, out io.Writer) error {
	switch {
	case o.rate <= 0 || o.duration <= 0 || o.concurrency < 1:
		return errors.New("-rate, -duration and -concurrency must be positive")
	case o.rate*o.duration.Seconds() < 1 && o.max == 0:
		return errors.New("-rate × -duration is less than one delivery")
	case o.url == "" && o.serverCmd == "" && !o.fakeGitHub:
		return errors.New("give -url or -server-cmd (or -fake-github alone to serve only the fake)")
	case (o.url != "" || o.serverCmd != "") && o.secret == "":
		return errors.New("-secret is required to sign deliveries")
	}
	mix, err := parseMix(o.mix)
	if err != nil {
		return err
	}
	templates, err := loadTemplates(o.payloads, mix)
	if err != nil {
		return err
	}

	// End-to-end latency: a pull_request delivery's job ends by creating a
	// check run on the head SHA that only this delivery carried.
	var e2eMu sync.Mutex
	sentAt := map[string]time.Time{}
	var e2e []time.Duration
	var env []string
	var fake *fakeGitHub
	if o.fakeGitHub {
		if _, err := checkLoopback("http://" + o.fakeAddr); err != nil {
			return fmt.Errorf("-fake-addr: %w", err)
		}
		fake = newFakeGitHub(time.Now, func(sha string, at time.Time) {
			e2eMu.Lock()
			defer e2eMu.Unlock()
			if t, ok := sentAt[sha]; ok {
				e2e = append(e2e, at.Sub(t))
				delete(sentAt, sha)
			}
		})
		ln, err := net.Listen("tcp", o.fakeAddr)
		if err != nil {
			return fmt.Errorf("fake GitHub: %w", err)
		}
		fakeSrv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = fakeSrv.Serve(ln) }()
		defer fakeSrv.Close()
		fakeURL := "http://" + ln.Addr().String() + "/"
		fmt.Fprintf(out, "fake GitHub listening on %s\n", fakeURL)
		env = append(env, "GITHUB_V3_API_URL="+fakeURL)
		if o.url == "" && o.serverCmd == "" {
			<-ctx.Done() // serve the fake alone until interrupted
			return nil
		}
	}

	var srv *server
	if o.serverCmd != "" {
		env = append(env, "GITHUB_APP_WEBHOOK_SECRET="+o.secret)
		srv, err = startServer(ctx, o.serverCmd, env, o.serverLog, o.startTimeout)
		if err != nil {
			return err
		}
		defer func() {
			if err := srv.stop(); err != nil {
				fmt.Fprintln(out, "server stop:", err)
			}
		}()
		if o.url == "" {
			o.url = srv.URL
		}
	}
	base, err := checkLoopback(o.url)
	if err != nil {
		return err
	}
	hookURL, metricsURL := endpoints(base)
	if o.metricsURL != "" {
		u, err := checkLoopback(o.metricsURL)
		if err != nil {
			return err
		}
		metricsURL = u.String()
	}

	client := &http.Client{
		Timeout: 10 * time.Second, // GitHub gives up on a webhook after 10 s
		Transport: &http.Transport{
			MaxIdleConns: o.concurrency, MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency,
			IdleConnTimeout: 30 * time.Second,
		},
	}
	before, scrapeErr := fetchMetrics(ctx, client, metricsURL)
	if scrapeErr != nil {
		fmt.Fprintf(out, "warning: no metrics before the run: %v\n", scrapeErr)
	}
	picker := newPicker(o.seed, mix, templates, o.repos, o.prs)
	fmt.Fprintf(out, "sending to %s: %.0f/s for %s (max %d in flight), mix %s\n", hookURL, o.rate, o.duration, o.concurrency, o.mix)

	cpuBefore, cpuErr := readProcStat()
	ticker := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
	res := runLoad(ctx, client, loadConfig{HookURL: hookURL, Secret: []byte(o.secret), Rate: o.rate,
		Duration: o.duration, Max: o.max, Concurrency: o.concurrency}, ticker.C, picker.next,
		func(d delivery, at time.Time) {
			if d.SHA != "" && fake != nil {
				e2eMu.Lock()
				sentAt[d.SHA] = at
				e2eMu.Unlock()
			}
		})
	ticker.Stop()
	var busy float64
	if cpuAfter, err := readProcStat(); err == nil && cpuErr == nil {
		busy = busyShare(cpuBefore, cpuAfter)
	}

	drained, drainTook := drain(ctx, client, metricsURL, o.drain)
	rep := report{res: res, machineBusy: busy, ack: summarise(res.Latencies), drained: drained, drainTook: drainTook}
	if scrapeErr == nil {
		after, err := fetchMetrics(ctx, client, metricsURL)
		if err == nil {
			var d serverDelta
			if d, err = diffScrapes(before, after); err == nil {
				rep.server = &d
			}
		}
		if err != nil {
			fmt.Fprintf(out, "warning: metrics after the run: %v\n", err)
		}
	}
	if fake != nil {
		e2eMu.Lock()
		rep.e2e = summarise(e2e)
		rep.e2eMissing = len(sentAt)
		e2eMu.Unlock()
		rep.fake = fake
	}
	if srv != nil {
		rep.serverErr = srv.alive()
		if rep.serverErr == nil {
			rep.peakKB, rep.rssKB, rep.memErr = srv.memory()
		}
	}
	rep.loadgenCPU = ownCPU()
	rep.print(out)
	return rep.serverErr
}

// endpoints derives the hook and metrics URLs from the server's base URL.
func endpoints(base *url.URL) (hook, metrics string) {
	root := *base
	root.Path, root.RawQuery, root.Fragment = "", "", ""
	h := *base
	if !strings.HasSuffix(h.Path, "/api/github/hook") {
		h.Path = strings.TrimRight(h.Path, "/") + "/api/github/hook"
	}
	return h.String(), root.String() + "/metrics"
}

func fetchMetrics(ctx context.Context, c *http.Client, u string) (scrape, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scraping %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scraping %s: %s", u, resp.Status)
	}
	return parseMetrics(resp.Body)
}

// drain polls the queue depth until it is zero or limit passes, so the
// final scrape counts the jobs the run caused.
func drain(ctx context.Context, c *http.Client, metricsURL string, limit time.Duration) (bool, time.Duration) {
	start := time.Now()
	poll := time.NewTicker(250 * time.Millisecond)
	defer poll.Stop()
	for {
		if s, err := fetchMetrics(ctx, c, metricsURL); err == nil {
			if depth, ok := s.value(metricQueue); ok && depth == 0 {
				return true, time.Since(start)
			}
		}
		if time.Since(start) >= limit {
			return false, time.Since(start)
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			return false, time.Since(start)
		}
	}
}

type report struct {
	res               loadResult
	ack, e2e          latencies
	e2eMissing        int
	drained           bool
	drainTook         time.Duration
	server            *serverDelta
	fake              *fakeGitHub
	peakKB, rssKB     int64
	memErr, serverErr error
	loadgenCPU        time.Duration
	machineBusy       float64 // share of all CPUs busy while sending
}

func (r report) print(w io.Writer) {
	res := r.res
	fmt.Fprintf(w, "\n== load (loadgen on %d CPUs, %s)\n", runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(w, "scheduled      %d over %.1fs\n", res.Scheduled, res.Elapsed.Seconds())
	fmt.Fprintf(w, "sent           %d (skipped at the in-flight limit: %d)\n", res.Sent, res.Skipped)
	var statuses []string
	acked := 0
	for code, n := range res.ByStatus {
		statuses = append(statuses, fmt.Sprintf("%d: %d", code, n))
		if code == http.StatusAccepted || code == http.StatusOK {
			acked += n
		}
	}
	sort.Strings(statuses)
	fmt.Fprintf(w, "answered       %s\n", strings.Join(statuses, ", "))
	errs := 0
	for _, n := range res.Errors {
		errs += n
	}
	fmt.Fprintf(w, "errors         %d\n", errs)
	for msg, n := range res.Errors {
		fmt.Fprintf(w, "  %6d × %s\n", n, msg)
	}
	fmt.Fprintf(w, "ack latency    p50 %s  p99 %s  max %s  (n=%d)\n", ms(r.ack.P50), ms(r.ack.P99), ms(r.ack.Max), r.ack.N)
	if res.Sent > 1 && res.Elapsed > 0 && res.LastAck > 0 {
		// Elapsed runs from the first send to the last: Sent-1 intervals.
		fmt.Fprintf(w, "achieved rate  %.1f sent/s; %.1f acknowledged/s (202+200 over %.1fs to the last answer)\n",
			float64(res.Sent-1)/res.Elapsed.Seconds(), float64(acked)/res.LastAck.Seconds(), res.LastAck.Seconds())
	}
	if r.machineBusy > 0 {
		fmt.Fprintf(w, "machine CPU    %.0f%% busy while sending (all processes, all %d CPUs)\n", r.machineBusy*100, runtime.NumCPU())
	}
	fmt.Fprintf(w, "loadgen CPU    %.1fs (itself and the fake GitHub: they share the machine with the server)\n", r.loadgenCPU.Seconds())
	if s := r.server; s != nil {
		fmt.Fprintf(w, "\n== server (from /metrics, before vs after)\n")
		fmt.Fprintf(w, "deliveries     %v\n", s.Deliveries)
		jobs := s.JobsOK + s.JobsFailed
		fmt.Fprintf(w, "delivery jobs  %.0f finished (%.0f ok, %.0f failed); queue drained: %v after %.1fs; queue depth at end %.0f\n",
			jobs, s.JobsOK, s.JobsFailed, r.drained, r.drainTook.Seconds(), s.QueueDepth)
		if span := res.Elapsed + r.drainTook; span > 0 {
			fmt.Fprintf(w, "job throughput %.1f jobs/s (first send to queue drained, %.1fs)\n", jobs/span.Seconds(), span.Seconds())
		}
		fmt.Fprintf(w, "job run time   p50 %s  p99 %s  (histogram estimate)\n", secs(s.JobP50), secs(s.JobP99))
		if span := res.Elapsed + r.drainTook; span > 0 {
			fmt.Fprintf(w, "server CPU     %.1fs, %.2f cores on average over the run and drain\n", s.CPUSeconds, s.CPUSeconds/span.Seconds())
		}
		if jobs > 0 {
			fmt.Fprintf(w, "GitHub calls   %.0f, %.2f per delivery job\n", s.GitHubCalls, s.GitHubCalls/jobs)
		}
	}
	if r.fake != nil {
		routes, unmatched := r.fake.counts()
		fmt.Fprintf(w, "\n== fake GitHub\n")
		fmt.Fprintf(w, "end-to-end     p50 %s  p99 %s  max %s  (send → check run created, n=%d, not seen: %d)\n",
			ms(r.e2e.P50), ms(r.e2e.P99), ms(r.e2e.Max), r.e2e.N, r.e2eMissing)
		fmt.Fprintf(w, "calls          %d (unmatched %d)\n", r.fake.total(), unmatched)
		for _, rc := range routes {
			fmt.Fprintf(w, "  %7d  %s\n", rc.Calls, rc.Route)
		}
	}
	switch {
	case r.serverErr != nil:
		fmt.Fprintf(w, "\nSERVER DIED: %v\n", r.serverErr)
	case r.memErr != nil:
		fmt.Fprintf(w, "\nserver memory: %v\n", r.memErr)
	case r.peakKB > 0:
		fmt.Fprintf(w, "\n== server process\npeak RSS       %.1f MiB (VmHWM); %.1f MiB at the end (VmRSS)\n",
			float64(r.peakKB)/1024, float64(r.rssKB)/1024)
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond)) }

func secs(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return fmt.Sprintf("%.1fms", s*1000)
}

// ownCPU is the user+system CPU loadgen has used so far.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func readProcStat() (cpuTimes, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTimes{}, err
	}
	defer f.Close()
	return parseProcStat(f)
}
