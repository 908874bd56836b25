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
	"runtime/pprof"
	"sort"
	"strings"
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
	duration, warmup, drain, startTimeout, rssEvery, rssWarmup                       time.Duration
	rssTolerance                                                                     float64
	concurrency, max, repos, prs, servers                                            int
	seed                                                                             uint64
	fakeGitHub, updatedNow                                                           bool
	cpuProfile, ackLog                                                               string
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
	fs.DurationVar(&o.warmup, "warmup", 0, "send at -rate for this long first; those answers are reported apart and left out of the acknowledgement figures (everything else counts them)")
	fs.IntVar(&o.max, "max", 0, "deliveries to send at most (0: rate × duration)")
	fs.IntVar(&o.concurrency, "concurrency", 64, "requests in flight at most; a delivery due beyond it is skipped")
	fs.StringVar(&o.payloads, "payloads", defaultPayloads(), "directory of octokit payload examples, one folder per event")
	fs.StringVar(&o.mix, "mix", defaultMix, "event=weight,...")
	fs.IntVar(&o.repos, "repos", 20, "distinct repositories the deliveries name")
	fs.IntVar(&o.prs, "prs", 200, "distinct pull requests per repository")
	fs.Uint64Var(&o.seed, "seed", uint64(time.Now().UnixNano()), "random seed (delivery IDs stay unique per run)")
	fs.DurationVar(&o.drain, "drain", 60*time.Second, "after sending, wait up to this long for the queue to empty")
	fs.BoolVar(&o.updatedNow, "updated-now", false, "stamp each pull request's updated_at with the time of sending, so the server may use the payload instead of reading the pull request (issue 18)")
	fs.BoolVar(&o.fakeGitHub, "fake-github", false, "serve a minimal fake GitHub API on 127.0.0.1 for the server's jobs")
	fs.StringVar(&o.fakeAddr, "fake-addr", "127.0.0.1:0", "address of the fake GitHub (loopback)")
	fs.StringVar(&o.serverCmd, "server-cmd", "", "start the server with this command (split on spaces, no shell) and stop it after")
	fs.IntVar(&o.servers, "servers", 1, "with -server-cmd, start this many servers (each must listen on its own port, e.g. port 0) and send to them in turn")
	fs.StringVar(&o.serverLog, "server-log", filepath.Join(os.TempDir(), "loadgen-server.log"), "where -server-cmd's stderr goes (with -servers N: NAME-1.log ... NAME-N.log)")
	fs.DurationVar(&o.rssEvery, "rss-every", 0, "with -server-cmd, sample each server's RSS at this interval from the first send to the end of the drain (0: off)")
	fs.DurationVar(&o.rssWarmup, "rss-warmup", 0, "with -rss-every, judge RSS flat over the samples from this time on: the last third's highest against the first third's highest")
	fs.Float64Var(&o.rssTolerance, "rss-tolerance", 10, "with -rss-every, the growth in percent that still counts as flat")
	fs.DurationVar(&o.startTimeout, "start-timeout", 60*time.Second, "how long -server-cmd may take to listen")
	fs.StringVar(&o.writeKey, "write-key", "", "write a new RSA private key (PEM) for the server config to this file and exit")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write loadgen's own CPU profile (sender and fake GitHub) to this file")
	fs.StringVar(&o.ackLog, "ack-log", "", "write every answered delivery (sent_ms,latency_ms,event,status) to this CSV file, to see when slow answers came")
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
	if o.cpuProfile != "" {
		// The load generator shares the machine with the server; this shows
		// what its share is spent on.
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	return loadTest(ctx, o, stdout)
}

// defaultMix is the share of each event in a run, by default.
const defaultMix = "pull_request=70,pull_request_review=20,check_suite=5,ping=5"

// payloadsInRepo is where the octokit examples are committed, relative to
// the module root.
var payloadsInRepo = filepath.Join("cmd", "reviewpolicy", "testdata", "webhooks")

// defaultPayloads finds the examples committed in the repository from
// wherever loadgen runs inside it, by walking up to the module root (the
// directory holding go.mod). Outside the repository it falls back to the
// path relative to the working directory, which the flag's help shows.
func defaultPayloads() string {
	dir, err := os.Getwd()
	if err != nil {
		return payloadsInRepo
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, payloadsInRepo)
		}
		if filepath.Dir(d) == d {
			return payloadsInRepo
		}
	}
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
	rep, err := measure(ctx, o, out)
	if err != nil || rep == nil {
		return err
	}
	rep.print(out)
	return rep.serverErr
}

// measure runs the load o describes and returns what it saw; nil when it
// only served the fake GitHub until interrupted.
func measure(ctx context.Context, o options, out io.Writer) (*report, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	mix, err := parseMix(o.mix)
	if err != nil {
		return nil, err
	}
	templates, err := loadTemplates(o.payloads, mix)
	if err != nil {
		return nil, err
	}

	// End-to-end latency: a pull_request delivery's job ends by creating a
	// check run on the head SHA that only this delivery carried.
	e2e := newE2ETracker()
	var env []string
	var fake *fakeGitHub
	if o.fakeGitHub {
		var fakeURL string
		var stop func()
		if fake, fakeURL, stop, err = serveFake(o.fakeAddr, e2e, out); err != nil {
			return nil, err
		}
		defer stop()
		env = append(env, "GITHUB_V3_API_URL="+fakeURL, "GITHUB_V4_API_URL="+fakeURL+"graphql")
		if o.url == "" && o.serverCmd == "" {
			<-ctx.Done() // serve the fake alone until interrupted
			return nil, nil
		}
	}
	servers, err := startServers(ctx, o, env)
	defer stopServers(servers, out)
	if err != nil {
		return nil, err
	}
	hookURLs, metricsURLs, err := targetURLs(o, servers)
	if err != nil {
		return nil, err
	}
	client := newClient(o.concurrency)
	before, scrapeErr := fetchAll(ctx, client, metricsURLs)
	if scrapeErr != nil {
		fmt.Fprintf(out, "warning: no metrics before the run: %v\n", scrapeErr)
	}
	o.announce(out, hookURLs)

	sampler := startRSSSampling(ctx, o.rssEvery, servers, func() []int64 { return cachesKB(ctx, client, metricsURLs) }, out)
	picker := newPicker(o.seed, mix, templates, o.repos, o.prs)
	picker.updatedNow = o.updatedNow
	res, busy := sendLoad(ctx, client, o, hookURLs, picker, fake, e2e)
	if o.ackLog != "" {
		if err := writeAckLog(o.ackLog, res.Acks); err != nil {
			fmt.Fprintln(out, "warning:", err)
		}
	}
	drained, drainTook := drain(ctx, client, metricsURLs, before, o.drain)
	warm, measured := res.split(o.warmup)
	rep := report{res: res, machineBusy: busy, ack: summarise(measured), drained: drained, drainTook: drainTook,
		warmup: o.warmup, warm: summarise(warm)}
	if sampler != nil {
		r := sampler()
		rep.rss, rep.rssErr = r.samples, r.err
		rep.rssWarmup, rep.rssTolerance = o.rssWarmup, o.rssTolerance/100
	}
	if scrapeErr == nil {
		rep.addServerMetrics(ctx, client, metricsURLs, before, out)
	}
	if fake != nil {
		got, missing, superseded, examples := e2e.result()
		rep.e2e, rep.e2eMissing, rep.e2eSuperseded, rep.e2eExamples = summarise(got), missing, superseded, examples
		rep.fake = fake
	}
	rep.addServerMemory(servers)
	rep.loadgenCPU = ownCPU()
	return &rep, nil
}

// newClient sends at most concurrency requests at once, as GitHub would
// wait for each.
func newClient(concurrency int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second, // GitHub gives up on a webhook after 10 s
		Transport: &http.Transport{
			MaxIdleConns: concurrency, MaxIdleConnsPerHost: concurrency, MaxConnsPerHost: concurrency,
			IdleConnTimeout: 30 * time.Second,
		},
	}
}

func (o options) announce(out io.Writer, hookURLs []string) {
	warmup := ""
	if o.warmup > 0 {
		warmup = fmt.Sprintf(" after a %s warm-up", o.warmup)
	}
	fmt.Fprintf(out, "sending to %s: %.0f/s for %s%s (max %d in flight), mix %s\n",
		strings.Join(hookURLs, ", "), o.rate, o.duration, warmup, o.concurrency, o.mix)
}

// check refuses option combinations that cannot make a run.
func (o options) check() error {
	switch {
	case o.rate <= 0 || o.duration <= 0 || o.concurrency < 1:
		return errors.New("-rate, -duration and -concurrency must be positive")
	case o.warmup < 0:
		return errors.New("-warmup must not be negative")
	case o.rate*o.duration.Seconds() < 1 && o.max == 0:
		return errors.New("-rate × -duration is less than one delivery")
	case o.url == "" && o.serverCmd == "" && !o.fakeGitHub:
		return errors.New("give -url or -server-cmd (or -fake-github alone to serve only the fake)")
	case (o.url != "" || o.serverCmd != "") && o.secret == "":
		return errors.New("-secret is required to sign deliveries")
	case o.servers < 1 || (o.servers > 1 && (o.serverCmd == "" || o.url != "" || o.metricsURL != "")):
		return errors.New("-servers N needs -server-cmd and no -url or -metrics-url")
	case o.rssWarmup < 0 || o.rssTolerance < 0:
		return errors.New("-rss-warmup and -rss-tolerance must not be negative")
	case o.rssEvery < 0 || (o.rssEvery > 0 && o.serverCmd == ""):
		return errors.New("-rss-every needs -server-cmd and a positive interval")
	}
	return nil
}

// serveFake starts the fake GitHub on a loopback address; its check runs
// feed the end-to-end tracker.
func serveFake(addr string, e2e *e2eTracker, out io.Writer) (*fakeGitHub, string, func(), error) {
	if _, err := checkLoopback("http://" + addr); err != nil {
		return nil, "", nil, fmt.Errorf("-fake-addr: %w", err)
	}
	fake := newFakeGitHub(time.Now, e2e.checked)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", nil, fmt.Errorf("fake GitHub: %w", err)
	}
	fakeSrv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = fakeSrv.Serve(ln) }()
	fakeURL := "http://" + ln.Addr().String() + "/"
	fmt.Fprintf(out, "fake GitHub listening on %s\n", fakeURL)
	return fake, fakeURL, func() { fakeSrv.Close() }, nil
}

// startServers starts -server-cmd's processes one after another, so that
// only the first migrates the database; they share its config, so each needs
// port 0 (or its own port through the environment). On an error it returns
// the ones started, for the caller to stop.
func startServers(ctx context.Context, o options, env []string) ([]*server, error) {
	if o.serverCmd == "" {
		return nil, nil
	}
	var servers []*server
	env = append(env, "GITHUB_APP_WEBHOOK_SECRET="+o.secret)
	for i := 1; i <= o.servers; i++ {
		srv, err := startServer(ctx, o.serverCmd, env, serverLogPath(o.serverLog, i, o.servers), o.startTimeout)
		if err != nil {
			return servers, fmt.Errorf("server %d of %d: %w", i, o.servers, err)
		}
		servers = append(servers, srv)
	}
	return servers, nil
}

func stopServers(servers []*server, out io.Writer) {
	for _, srv := range servers {
		if err := srv.stop(); err != nil {
			fmt.Fprintln(out, "server stop:", err)
		}
	}
}

// targetURLs gives each target's hook URL and the metrics URLs to scrape.
func targetURLs(o options, servers []*server) (hookURLs, metricsURLs []string, err error) {
	targets := []string{o.url}
	if o.url == "" {
		targets = nil
		for _, srv := range servers {
			targets = append(targets, srv.URL)
		}
	}
	for _, t := range targets {
		base, err := checkLoopback(t)
		if err != nil {
			return nil, nil, err
		}
		hook, metrics := endpoints(base)
		hookURLs, metricsURLs = append(hookURLs, hook), append(metricsURLs, metrics)
	}
	if o.metricsURL != "" {
		u, err := checkLoopback(o.metricsURL)
		if err != nil {
			return nil, nil, err
		}
		metricsURLs = []string{u.String()}
	}
	return hookURLs, metricsURLs, nil
}

// startRSSSampling samples the servers' RSS every interval until the
// returned function is called; nil when sampling is off.
func startRSSSampling(ctx context.Context, every time.Duration, servers []*server, caches func() []int64, out io.Writer) func() rssResult {
	if every <= 0 {
		return nil
	}
	sampled := make(chan rssResult, 1)
	sctx, cancel := context.WithCancel(ctx)
	tick := time.NewTicker(every)
	start := time.Now()
	go func() {
		defer tick.Stop()
		samples, err := sampleRSS(sctx, tick.C, start, func() ([]int64, error) { return serversRSS(servers) }, readProcStat, caches, out)
		sampled <- rssResult{samples, err}
	}()
	return func() rssResult {
		cancel()
		return <-sampled
	}
}

// sendLoad sends at -rate and returns the answers and the share of the
// machine's CPUs busy meanwhile.
func sendLoad(ctx context.Context, client *http.Client, o options, hookURLs []string, picker *picker,
	fake *fakeGitHub, e2e *e2eTracker) (loadResult, float64) {
	cpuBefore, cpuErr := readProcStat()
	ticker := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
	defer ticker.Stop()
	res := runLoad(ctx, client, loadConfig{HookURLs: hookURLs, Secret: []byte(o.secret), Rate: o.rate,
		Duration: o.warmup + o.duration, Max: o.max, Concurrency: o.concurrency}, ticker.C, picker.next,
		func(d delivery, at time.Time) {
			if fake == nil {
				return
			}
			if d.PR.Number != 0 {
				fake.sentPull(d.PR)
			}
			e2e.sent(d, at)
		})
	var busy float64
	if cpuAfter, err := readProcStat(); err == nil && cpuErr == nil {
		busy = busyShare(cpuBefore, cpuAfter)
	}
	return res, busy
}

// addServerMetrics adds what the servers' metrics moved by during the run,
// in all and, with several servers, each one's share.
func (r *report) addServerMetrics(ctx context.Context, client *http.Client, metricsURLs []string, before scrapes, out io.Writer) {
	after, err := fetchAll(ctx, client, metricsURLs)
	if err == nil {
		var d serverDelta
		if d, err = diffScrapes(before.all(), after.all()); err == nil {
			r.server = &d
		}
		if len(metricsURLs) > 1 {
			for i := range metricsURLs {
				if d, err := diffScrapes(before[i], after[i]); err == nil {
					r.perServer = append(r.perServer, d)
				}
			}
		}
	}
	if err != nil {
		fmt.Fprintf(out, "warning: metrics after the run: %v\n", err)
	}
}

// addServerMemory records each server's memory, or why it could not.
func (r *report) addServerMemory(servers []*server) {
	for i, srv := range servers {
		if err := srv.alive(); err != nil {
			r.serverErr = fmt.Errorf("server %d of %d: %w", i+1, len(servers), err)
			return
		}
		var m procMemory
		m.PID = srv.pid()
		var err error
		if m.PeakKB, m.RSSKB, err = srv.memory(); err != nil {
			r.memErr = err
			return
		}
		r.mem = append(r.mem, m)
	}
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

// scrapes is one scrape per server, in start order.
type scrapes []scrape

// all joins the servers' samples into one scrape, so sums and histogram
// buckets add up across processes. Gauges read with value come from the
// first server: the queue depth is the shared database's.
func (ss scrapes) all() scrape {
	var out scrape
	for _, s := range ss {
		out = append(out, s...)
	}
	return out
}

// fetchAll scrapes every server.
func fetchAll(ctx context.Context, c *http.Client, urls []string) (scrapes, error) {
	out := make(scrapes, 0, len(urls))
	for _, u := range urls {
		s, err := fetchMetrics(ctx, c, u)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// drain polls the servers until their queue is empty and as many delivery
// jobs have finished as deliveries were queued since before (nil: the
// queue alone), or until limit passes, so the final scrape counts the jobs
// the run caused. The queue depth leaves out running jobs, so an empty
// queue alone would stop up to a worker pool's worth of jobs early.
func drain(ctx context.Context, c *http.Client, metricsURLs []string, before scrapes, limit time.Duration) (bool, time.Duration) {
	start := time.Now()
	poll := time.NewTicker(250 * time.Millisecond)
	defer poll.Stop()
	for {
		if ss, err := fetchAll(ctx, c, metricsURLs); err == nil && queuesEmpty(ss) && jobsCaughtUp(before, ss) {
			return true, time.Since(start)
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

// queuesEmpty reports whether every scrape shows a queue depth of zero.
func queuesEmpty(ss scrapes) bool {
	for _, s := range ss {
		if depth, ok := s.value(metricQueue); !ok || depth != 0 {
			return false
		}
	}
	return len(ss) > 0
}

// jobsCaughtUp reports whether, across all servers, at least as many
// delivery jobs have finished since before as deliveries were queued.
// Without a before scrape it cannot tell, and says yes.
func jobsCaughtUp(before, after scrapes) bool {
	if before == nil {
		return true
	}
	d, err := diffScrapes(before.all(), after.all())
	return err == nil && d.JobsOK+d.JobsFailed >= d.Deliveries["queued"]
}

// procMemory is one server process's memory when the run ended.
type procMemory struct {
	PID           int
	PeakKB, RSSKB int64 // VmHWM, VmRSS
}

type rssResult struct {
	samples []rssSample
	err     error
}

// cachesKB reads what each server's bounded caches hold, in kB: the sum of
// its reviewpolicy_cache_bytes and reviewpolicy_github_response_cache_bytes
// gauges. Nil if a server does not answer, or has no such gauge (an older
// build).
func cachesKB(ctx context.Context, c *http.Client, metricsURLs []string) []int64 {
	kb := make([]int64, len(metricsURLs))
	for i, u := range metricsURLs {
		s, err := fetchMetrics(ctx, c, u)
		if err != nil {
			return nil
		}
		resp, ok := s.value("reviewpolicy_github_response_cache_bytes")
		if !ok {
			return nil
		}
		kb[i] = int64(resp+s.sum("reviewpolicy_cache_bytes", nil)) / 1024
	}
	return kb
}

// serversRSS reads each server's current VmRSS.
func serversRSS(servers []*server) ([]int64, error) {
	kb := make([]int64, len(servers))
	for i, srv := range servers {
		_, rss, err := srv.memory()
		if err != nil {
			return nil, fmt.Errorf("server %d: %w", i+1, err)
		}
		kb[i] = rss
	}
	return kb, nil
}

type report struct {
	res               loadResult
	ack, e2e          latencies
	warmup            time.Duration // the first answers, in warm, are not in ack
	warm              latencies
	e2eMissing        int
	e2eSuperseded     int
	e2eExamples       []string // a few not seen, "owner/repo#n sha"
	drained           bool
	drainTook         time.Duration
	server            *serverDelta
	perServer         []serverDelta // with several servers, each one's share
	fake              *fakeGitHub
	mem               []procMemory
	memErr, serverErr error
	rss               []rssSample
	rssErr            error
	rssWarmup         time.Duration
	rssTolerance      float64 // a share
	loadgenCPU        time.Duration
	machineBusy       float64 // share of all CPUs busy while sending
}

func (r report) print(w io.Writer) {
	r.printLoad(w)
	if r.server != nil {
		r.printServer(w)
	}
	if r.fake != nil {
		r.printFake(w)
	}
	r.printMemory(w)
}

func (r report) printLoad(w io.Writer) {
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
	if r.warmup > 0 {
		fmt.Fprintf(w, "  warm-up      p50 %s  p99 %s  max %s  (n=%d sent in the first %s, not in the line above)\n",
			ms(r.warm.P50), ms(r.warm.P99), ms(r.warm.Max), r.warm.N, r.warmup)
	}
	if res.Sent > 1 && res.Elapsed > 0 && res.LastAck > 0 {
		// Elapsed runs from the first send to the last: Sent-1 intervals.
		fmt.Fprintf(w, "achieved rate  %.1f sent/s; %.1f acknowledged/s (202+200 over %.1fs to the last answer)\n",
			float64(res.Sent-1)/res.Elapsed.Seconds(), float64(acked)/res.LastAck.Seconds(), res.LastAck.Seconds())
	}
	if r.machineBusy > 0 {
		fmt.Fprintf(w, "machine CPU    %.0f%% busy while sending (all processes, all %d CPUs)\n", r.machineBusy*100, runtime.NumCPU())
	}
	fmt.Fprintf(w, "loadgen CPU    %.1fs (itself and the fake GitHub: they share the machine with the server)\n", r.loadgenCPU.Seconds())
}

func (r report) printServer(w io.Writer) {
	res, s := r.res, r.server
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
	fmt.Fprintf(w, "goroutines     %.0f before, %.0f after the drain; Go heap %.1f → %.1f MiB\n",
		s.GoroutinesBefore, s.GoroutinesAfter, s.HeapBefore/(1<<20), s.HeapAfter/(1<<20))
	for i, p := range r.perServer {
		fmt.Fprintf(w, "  server %d     deliveries %v; %.0f delivery jobs; CPU %.1fs; %.0f goroutines after\n",
			i+1, p.Deliveries, p.JobsOK+p.JobsFailed, p.CPUSeconds, p.GoroutinesAfter)
	}
}

func (r report) printFake(w io.Writer) {
	routes, unmatched := r.fake.counts()
	fmt.Fprintf(w, "\n== fake GitHub\n")
	fmt.Fprintf(w, "end-to-end     p50 %s  p99 %s  max %s  (send → check run created, n=%d, not seen: %d, superseded: %d)\n",
		ms(r.e2e.P50), ms(r.e2e.P99), ms(r.e2e.Max), r.e2e.N, r.e2eMissing, r.e2eSuperseded)
	if len(r.e2eExamples) > 0 {
		fmt.Fprintf(w, "  not seen     e.g. %s\n", strings.Join(r.e2eExamples, ", "))
	}
	fmt.Fprintf(w, "calls          %d (unmatched %d)\n", r.fake.total(), unmatched)
	for _, rc := range routes {
		fmt.Fprintf(w, "  %7d  %s\n", rc.Calls, rc.Route)
	}
}

func (r report) printMemory(w io.Writer) {
	switch {
	case r.serverErr != nil:
		fmt.Fprintf(w, "\nSERVER DIED: %v\n", r.serverErr)
	case r.memErr != nil:
		fmt.Fprintf(w, "\nserver memory: %v\n", r.memErr)
	case len(r.mem) > 0:
		fmt.Fprintf(w, "\n== server process\n")
		var peak, rss int64
		for i, m := range r.mem {
			fmt.Fprintf(w, "peak RSS       %.1f MiB (VmHWM); %.1f MiB at the end (VmRSS)  [server %d, pid %d]\n",
				float64(m.PeakKB)/1024, float64(m.RSSKB)/1024, i+1, m.PID)
			peak, rss = peak+m.PeakKB, rss+m.RSSKB
		}
		if len(r.mem) > 1 {
			fmt.Fprintf(w, "total          %.1f MiB of peaks (sum of VmHWM); %.1f MiB at the end\n", float64(peak)/1024, float64(rss)/1024)
		}
	}
	if len(r.rss) > 0 || r.rssErr != nil {
		fmt.Fprintf(w, "\n== RSS samples (%d)\n", len(r.rss))
		if r.rssErr != nil {
			fmt.Fprintf(w, "stopped early: %v\n", r.rssErr)
		}
		for i := range r.mem {
			if sum, ok := summariseRSS(r.rss, i); ok {
				fmt.Fprintf(w, "server %d       %s\n", i+1, sum)
			}
			if f, ok := judgeRSS(r.rss, i, r.rssWarmup, r.rssTolerance); ok {
				fmt.Fprintf(w, "server %d       %s\n", i+1, f)
			} else {
				fmt.Fprintf(w, "server %d       too few samples after the %s warm-up to judge flatness (3 needed)\n", i+1, r.rssWarmup)
			}
		}
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

// writeAckLog writes acks as CSV, in the order the answers came.
func writeAckLog(path string, acks []ack) error {
	var b strings.Builder
	b.WriteString("sent_ms,latency_ms,event,status\n")
	for _, a := range acks {
		fmt.Fprintf(&b, "%.3f,%.3f,%s,%d\n", a.Sent.Seconds()*1e3, a.Latency.Seconds()*1e3, a.Event, a.Status)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("ack log: %w", err)
	}
	return nil
}
