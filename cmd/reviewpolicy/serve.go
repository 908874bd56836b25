package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gregjones/httpcache"
	"github.com/palantir/go-githubapp/githubapp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/reviewpolicy/reviewpolicy/config"
	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/handlers"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// gateInterval is how often the delivery jobs' bound is adjusted
// (handlers.JobGate): at 500 deliveries/s each look sees 50
// acknowledgements, and the bound is back to workers.concurrency within a
// second of them speeding up.
const gateInterval = 100 * time.Millisecond

func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (YAML); environment variables override it")
	if err := fs.Parse(args); err != nil {
		return exitError{2}
	}
	cfg, err := config.Load(*cfgPath, getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg.Logging, stderr)

	reg := newRegistry()
	var st *store.Store // read by the gauges at scrape time, once open
	metrics := newMetrics(reg, func() *store.Store { return st })
	clients, err := githubClients(cfg, metrics, reg)
	if err != nil {
		return err
	}

	sender, err := notifications(ctx, cfg, reg, func() *store.Store { return st }, logger)
	if err != nil {
		return err
	}
	now := clockOf(ctx)
	sender.Now = now
	app := handlers.New(clients, cfg.GitHub.App.IntegrationID, metrics, logger, now)
	registerCacheGauges(reg, app)
	app.GraphQLURL = cfg.GitHub.V4APIURL
	app.LeaseTTL = cfg.Workers.JobTimeout + time.Minute
	app.PublicURL = cfg.Server.PublicURL
	app.BackfillPulls = cfg.Expertise.BackfillPulls
	metrics.JobLimit.Set(float64(cfg.Workers.Concurrency))
	if goal := cfg.AckGoal(); goal > 0 {
		app.Gate = handlers.NewJobGate(cfg.Workers.Concurrency, goal)
		go app.Gate.Run(ctx, gateInterval, func(n int) { metrics.JobLimit.Set(float64(n)) })
	}
	workers := river.NewWorkers()
	app.Register(workers)
	periodic := []*river.PeriodicJob{handlers.PruneJob(cfg.Retention.ClosedPullRequests, cfg.Retention.History)}
	if cfg.Reconcile.Interval > 0 {
		periodic = append(periodic, handlers.ReconcileJob(cfg.Reconcile.Interval))
	}
	var middleware []rivertype.Middleware
	if app.Gate != nil {
		middleware = append(middleware, app.Gate.Middleware())
	}
	st, err = store.Open(ctx, cfg.Database.URL, store.Options{
		Workers: workers, PeriodicJobs: periodic, MaxWorkers: cfg.Workers.Concurrency, Logger: logger,
		JobTimeout: cfg.Workers.JobTimeout, RescueStuckJobsAfter: cfg.Workers.RescueAfter, Middleware: middleware,
		Deliveries: app,
	})
	if err != nil {
		return err
	}
	defer st.Close()
	for name, db := range st.Pools() {
		// How long queries waited for a connection: on SQLite every write
		// shares one, and its wait is where a backlog's time goes.
		reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	app.Store = st
	// Before the workers start: they read app.Notify.
	stopSender := startSender(ctx, app, sender)
	defer stopSender()
	if err := st.Start(ctx); err != nil {
		return err
	}

	hook := &handlers.Webhook{Secret: []byte(cfg.GitHub.App.WebhookSecret), Store: st, Metrics: metrics,
		Logger: logger, Now: time.Now, Gate: app.Gate}
	pages, err := webPages(ctx, cfg, st, clients, logger)
	if err != nil {
		return err
	}
	return listenAndServe(ctx, cfg, routes(hook, st.Ping, reg, cfg.Server.MetricsAddress == "", pages), reg, st, logger, stdout)
}

// serveAside serves h on its own listener at addr, named by its
// configuration key, and prints where (tests and scripts read the line).

// listenAndServe serves handler at the configured address (and profiles
// and metrics at theirs) until ctx ends, then shuts down the server and
// the store's workers.
func listenAndServe(ctx context.Context, cfg *config.Config, handler http.Handler, reg *prometheus.Registry,
	st *store.Store, logger *slog.Logger, stdout io.Writer) error {
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr())
	if err != nil {
		return err
	}
	// The address line lets tests and scripts find a port-0 server.
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	logger.Info("serving", "addr", ln.Addr().String(), "database", st.Dialect, "version", buildVersion())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	// Profiles and metrics, when given addresses, are served there only:
	// keep those private.
	for _, side := range []struct {
		key, addr, path string
		h               http.Handler
	}{
		{"server.debug_address", cfg.Server.DebugAddress, "/debug/pprof/", debugRoutes()},
		{"server.metrics_address", cfg.Server.MetricsAddress, "/metrics", metricsRoutes(reg)},
	} {
		if side.addr == "" {
			continue
		}
		stop, err := serveAside(side.key, side.addr, side.path, side.h, stdout)
		if err != nil {
			return err
		}
		defer stop()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	if serr := st.Stop(shutdown); serr != nil && !errors.Is(serr, context.Canceled) {
		err = errors.Join(err, serr)
	}
	return err
}

// newRegistry is the metrics registry with the process's own collectors
// and the build's version.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector())
	buildInfo := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "reviewpolicy_build_info",
		Help: "The running version."}, []string{"version"})
	buildInfo.WithLabelValues(buildVersion()).Set(1)
	reg.MustRegister(buildInfo)
	return reg
}

// newMetrics registers the app's metrics; the queue and SLA gauges ask the
// store that st returns at scrape time (0 before it is open).
func newMetrics(reg *prometheus.Registry, st func() *store.Store) *handlers.Metrics {
	gauge := func(f func(context.Context, *store.Store) (int64, error)) func() float64 {
		return func() float64 {
			s := st()
			if s == nil {
				return 0
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			n, err := f(ctx, s)
			if err != nil {
				return -1
			}
			return float64(n)
		}
	}
	return handlers.NewMetrics(reg,
		gauge(func(ctx context.Context, s *store.Store) (int64, error) { return s.QueueDepth(ctx) }),
		gauge(func(ctx context.Context, s *store.Store) (int64, error) { return s.CountWaitingSLA(ctx) }))
}

// registerCacheGauges adds reviewpolicy_cache_bytes{cache=…}, one series
// per byte-bounded cache of app (App.CacheBytes), read once per scrape.
func registerCacheGauges(reg prometheus.Registerer, app *handlers.App) {
	reg.MustRegister(cacheCollector{app})
}

var cacheBytesDesc = prometheus.NewDesc("reviewpolicy_cache_bytes",
	"Bytes held by one of the process's byte-bounded caches (files, blobs, CODEOWNERS, facts, policies).",
	[]string{"cache"}, nil)

type cacheCollector struct{ app *handlers.App }

func (c cacheCollector) Describe(ch chan<- *prometheus.Desc) { ch <- cacheBytesDesc }

func (c cacheCollector) Collect(ch chan<- prometheus.Metric) {
	for name, n := range c.app.CacheBytes() {
		ch <- prometheus.MustNewConstMetric(cacheBytesDesc, prometheus.GaugeValue, float64(n), name)
	}
}

// githubClients makes every installation's client, sharing one bounded
// response cache. What is worth revalidating (the .github listing, team
// members, reviews, requested reviewers, comments) is small; per-commit
// lists are read once and only fill it, so 16 MiB of responses is plenty.
func githubClients(cfg *config.Config, metrics *handlers.Metrics, reg prometheus.Registerer) (githubapp.ClientCreator, error) {
	responses := githubapi.NewHTTPCache(16 << 20)
	// A long soak's memory is mostly this cache filling towards its bound;
	// the gauge tells that apart from a leak.
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "reviewpolicy_github_response_cache_bytes",
		Help: "Bytes held by the cache of GitHub's responses (conditional requests), bounded at 16 MiB.",
	}, func() float64 { return float64(responses.Bytes()) }))
	clients, err := githubapp.NewDefaultCachingClientCreator(cfg.GitHubApp(),
		githubapp.WithClientUserAgent("reviewpolicy/"+buildVersion()),
		// No client timeout: net/http then keeps a goroutine per request
		// until the body is closed, and go-github replaces (never closes)
		// the body of every error response, so each 404 held one for the
		// whole timeout. The job's context (workers.job_timeout) bounds
		// every request instead.
		// Revalidate every cached read: a 304 costs no rate limit, and a
		// stale list of check runs or comments would create duplicates.
		githubapp.WithClientCaching(true, func() httpcache.Cache { return responses }),
		// Metrics sit under the cache, so they see GitHub's real answers
		// (a 304 as a 304) and token refreshes too.
		githubapp.WithTransport(metrics.RoundTripper(githubTransport(cfg.Workers.Concurrency))),
	)
	if err != nil {
		return nil, fmt.Errorf("github clients: %w", err)
	}
	return clients, nil
}

// githubTransport keeps as many idle connections to GitHub as the jobs
// use at once. Every call goes to one host, and http.DefaultTransport keeps
// two idle connections per host: with ten workers calling at once, the
// others were closed after one request and the next call dialled again
// (with TLS, a handshake per call), and calls waited for connections.
func githubTransport(workers int) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = max(2*workers, 16)
	t.MaxIdleConns = max(t.MaxIdleConns, t.MaxIdleConnsPerHost)
	return t
}

func serveAside(key, addr, path string, h http.Handler, stdout io.Writer) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	name := strings.TrimSuffix(strings.TrimPrefix(key, "server."), "_address")
	fmt.Fprintf(stdout, "%s on http://%s%s\n", name, ln.Addr(), path)
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}

func newLogger(c config.Logging, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
