// Package config loads the server configuration: a YAML file, then
// environment overrides, validated before the server starts.
//
// The GitHub section keeps the shape GitHub App servers in Go share
// (go-githubapp's Config), so GitHub Enterprise Server works by changing URLs.
package config

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/palantir/go-githubapp/githubapp"
	"gopkg.in/yaml.v3"
)

// Config is the whole server configuration.
type Config struct {
	Server    Server    `yaml:"server"`
	GitHub    GitHub    `yaml:"github"`
	Database  Database  `yaml:"database"`
	Logging   Logging   `yaml:"logging"`
	Workers   Workers   `yaml:"workers"`
	Reconcile Reconcile `yaml:"reconcile"`
	Retention Retention `yaml:"retention"`
	Expertise Expertise `yaml:"expertise"`
	Slack     Slack     `yaml:"slack"`
	Teams     Teams     `yaml:"teams"`
}

// Expertise sets how the expertise strategy learns a repository's past.
type Expertise struct {
	// BackfillPulls is how many of the latest merged pull requests are read
	// when a repository first chooses by expertise; 0 reads none.
	BackfillPulls int `yaml:"backfill_pulls"`
}

// MaxBackfillPulls bounds expertise.backfill_pulls, and with it the API
// cost of a backfill (docs/api-budget.md).
const MaxBackfillPulls = 5000

// DefaultBackfillPulls is expertise.backfill_pulls when unset.
const DefaultBackfillPulls = 200

// Server is where the HTTP server listens.
type Server struct {
	Address   string `yaml:"address"`
	Port      int    `yaml:"port"`
	PublicURL string `yaml:"public_url"`
	// DebugAddress, when set (e.g. 127.0.0.1:6060), serves Go's profiles
	// (/debug/pprof/) there, apart from the public port.
	DebugAddress string `yaml:"debug_address"`
	// MetricsAddress, when set (e.g. 127.0.0.1:9090), serves /metrics there
	// and not on the public port: its labels name repositories.
	MetricsAddress string `yaml:"metrics_address"`
	// SessionKey signs and encrypts the web pages' session cookies: 32 or
	// more random bytes, base64. Replicas sharing it share sessions.
	// Required when github.oauth is set.
	SessionKey string `yaml:"session_key"`
}

// GitHub locates GitHub and identifies the app.
type GitHub struct {
	WebURL   string `yaml:"web_url"`
	V3APIURL string `yaml:"v3_api_url"`
	V4APIURL string `yaml:"v4_api_url"`
	App      App    `yaml:"app"`
	OAuth    OAuth  `yaml:"oauth"`
}

// OAuth is the GitHub App's client, for signing people in to the web
// pages (GitHub's web flow, user-to-server tokens). Empty: no sign-in, and
// only the public front page is served.
type OAuth struct {
	ClientID     string `yaml:"client_id"`
	ClientSecret string `yaml:"client_secret"`
}

// MinSessionKey is the least number of bytes server.session_key decodes to.
const MinSessionKey = 32

// SessionKeyBytes decodes server.session_key (standard or URL base64,
// padded or not).
func (c *Config) SessionKeyBytes() ([]byte, error) {
	k := strings.TrimSpace(c.Server.SessionKey)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(k); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("is not base64")
}

// App holds the GitHub App's identity and secrets.
type App struct {
	IntegrationID  int64  `yaml:"integration_id"`
	WebhookSecret  string `yaml:"webhook_secret"`
	PrivateKey     string `yaml:"private_key"`
	PrivateKeyFile string `yaml:"private_key_file"`
}

// Database selects the store: "sqlite://path" (default) or "postgres://...".
type Database struct {
	URL string `yaml:"url"`
}

// Logging sets the log level (debug, info, warn, error) and format (json, text).
type Logging struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Workers sizes the job workers. A job running longer than JobTimeout is
// cancelled and retried; one still marked running after RescueAfter (its
// process died) is run again. While more than 1% of webhook
// acknowledgements take longer than AckGoal, fewer delivery and
// evaluation jobs run at once, so that the CPU goes to the
// acknowledgements first (0: never; unset: see Config.AckGoal).
type Workers struct {
	Concurrency int            `yaml:"concurrency"`
	JobTimeout  time.Duration  `yaml:"job_timeout"`
	RescueAfter time.Duration  `yaml:"rescue_after"`
	AckGoal     *time.Duration `yaml:"ack_goal"`
}

// Defaults of workers.ack_goal, by engine.
const (
	DefaultSQLiteAckGoal   = 2 * time.Millisecond
	DefaultPostgresAckGoal = 4 * time.Millisecond
)

// AckGoal is workers.ack_goal, or its engine's default. An acknowledgement
// is CPU work in this process and, on PostgreSQL, a round trip to the
// database per batch, which the jobs' CPU and their backends' delay.
// PostgreSQL's intake once waited for a disk flush per commit, which no
// bound on the jobs shortens, so the gate stayed off there; it commits
// asynchronously now (store/groupcommit.go). Its goal is higher than
// SQLite's because of that round trip (p50 2.4 ms at 500/s, against
// SQLite's 0.8). It was 8 ms while the acknowledgement was five round
// trips; at 4 ms PostgreSQL's ack p99 at 500/s was 10.9 and 13.8 ms against
// 14.1-18.0 ms in three runs at 8 ms, with no fewer jobs done (BENCHMARKS.md,
// issue 18's fourth session). Issue 18's target is PostgreSQL's ack p99
// within twice SQLite's.
func (c *Config) AckGoal() time.Duration {
	switch {
	case c.Workers.AckGoal != nil:
		return *c.Workers.AckGoal
	case strings.HasPrefix(c.Database.URL, "sqlite://"):
		return DefaultSQLiteAckGoal
	}
	return DefaultPostgresAckGoal
}

// Reconcile sets how often open pull requests are swept for missed webhooks.
type Reconcile struct {
	Interval time.Duration `yaml:"interval"`
}

// Retention sets how long the store keeps what it records per pull request
// (check run and comment IDs, SLA clocks, claims, removed reviewers) after
// the pull request closed; the daily prune job deletes it then. 0 keeps it
// for ever.
type Retention struct {
	ClosedPullRequests time.Duration `yaml:"closed_pull_requests"`
	// History is how long the web pages' history (pull request events, and
	// summaries of closed pull requests) is kept; 0 keeps it for ever.
	History time.Duration `yaml:"history"`
}

// DefaultHistoryRetention is retention.history when unset: half a year,
// well beyond the overview's 12 weeks.
const DefaultHistoryRetention = 182 * 24 * time.Hour

// DefaultClosedRetention is retention.closed_pull_requests when unset.
const DefaultClosedRetention = 30 * 24 * time.Hour

// Default returns the configuration used for keys a file leaves out.
func Default() Config {
	return Config{
		Server: Server{Address: "127.0.0.1", Port: 8080},
		GitHub: GitHub{
			WebURL:   "https://github.com",
			V3APIURL: "https://api.github.com/",
			V4APIURL: "https://api.github.com/graphql",
		},
		Database:  Database{URL: "sqlite://reviewpolicy.db"},
		Logging:   Logging{Level: "info", Format: "json"},
		Workers:   Workers{Concurrency: 10, JobTimeout: 2 * time.Minute, RescueAfter: 5 * time.Minute},
		Reconcile: Reconcile{Interval: time.Hour},
		Retention: Retention{ClosedPullRequests: DefaultClosedRetention, History: DefaultHistoryRetention},
		Expertise: Expertise{BackfillPulls: DefaultBackfillPulls},
		Slack:     Slack{APIURL: DefaultSlackAPIURL},
	}
}

// Load reads the file at path ("" for none), applies environment overrides
// through getenv, reads a private key file if one is named, and validates.
func Load(path string, getenv func(string) string) (*Config, error) {
	c := Default()
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		// io.EOF: an empty file sets no keys.
		if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	if err := c.applyEnv(getenv); err != nil {
		return nil, err
	}
	c.applyTeamsEnv(getenv)
	if c.GitHub.App.PrivateKey == "" && c.GitHub.App.PrivateKeyFile != "" {
		key, err := os.ReadFile(c.GitHub.App.PrivateKeyFile)
		if err != nil {
			return nil, fmt.Errorf("config: github.app.private_key_file: %w", err)
		}
		c.GitHub.App.PrivateKey = string(key)
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// env names the environment variables that override the file.
var env = []struct {
	name string
	set  func(c *Config, v string) error
}{
	{"REVIEWPOLICY_ADDRESS", func(c *Config, v string) error { c.Server.Address = v; return nil }},
	{"REVIEWPOLICY_PORT", func(c *Config, v string) (err error) { c.Server.Port, err = strconv.Atoi(v); return }},
	{"REVIEWPOLICY_PUBLIC_URL", func(c *Config, v string) error { c.Server.PublicURL = v; return nil }},
	{"REVIEWPOLICY_DEBUG_ADDRESS", func(c *Config, v string) error { c.Server.DebugAddress = v; return nil }},
	{"REVIEWPOLICY_METRICS_ADDRESS", func(c *Config, v string) error { c.Server.MetricsAddress = v; return nil }},
	{"REVIEWPOLICY_DATABASE_URL", func(c *Config, v string) error { c.Database.URL = v; return nil }},
	{"REVIEWPOLICY_WORKERS_RESCUE_AFTER", func(c *Config, v string) (err error) { c.Workers.RescueAfter, err = time.ParseDuration(v); return }},
	{"REVIEWPOLICY_WORKERS_JOB_TIMEOUT", func(c *Config, v string) (err error) { c.Workers.JobTimeout, err = time.ParseDuration(v); return }},
	{"REVIEWPOLICY_WORKERS_ACK_GOAL", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		c.Workers.AckGoal = &d
		return err
	}},
	{"REVIEWPOLICY_RETENTION_CLOSED_PULL_REQUESTS", func(c *Config, v string) (err error) {
		c.Retention.ClosedPullRequests, err = time.ParseDuration(v)
		return
	}},
	{"REVIEWPOLICY_SLACK_BOT_TOKEN", func(c *Config, v string) error { c.Slack.BotToken = v; return nil }},
	{"REVIEWPOLICY_SLACK_API_URL", func(c *Config, v string) error { c.Slack.APIURL = v; return nil }},
	{"REVIEWPOLICY_RETENTION_HISTORY", func(c *Config, v string) (err error) {
		c.Retention.History, err = time.ParseDuration(v)
		return
	}},
	{"REVIEWPOLICY_LOG_LEVEL", func(c *Config, v string) error { c.Logging.Level = v; return nil }},
	{"REVIEWPOLICY_LOG_FORMAT", func(c *Config, v string) error { c.Logging.Format = v; return nil }},
	{"GITHUB_WEB_URL", func(c *Config, v string) error { c.GitHub.WebURL = v; return nil }},
	{"GITHUB_V3_API_URL", func(c *Config, v string) error { c.GitHub.V3APIURL = v; return nil }},
	{"GITHUB_V4_API_URL", func(c *Config, v string) error { c.GitHub.V4APIURL = v; return nil }},
	{"GITHUB_OAUTH_CLIENT_ID", func(c *Config, v string) error { c.GitHub.OAuth.ClientID = v; return nil }},
	{"GITHUB_OAUTH_CLIENT_SECRET", func(c *Config, v string) error { c.GitHub.OAuth.ClientSecret = v; return nil }},
	{"REVIEWPOLICY_SESSION_KEY", func(c *Config, v string) error { c.Server.SessionKey = v; return nil }},
	{"GITHUB_APP_INTEGRATION_ID", func(c *Config, v string) (err error) {
		c.GitHub.App.IntegrationID, err = strconv.ParseInt(v, 10, 64)
		return
	}},
	{"GITHUB_APP_WEBHOOK_SECRET", func(c *Config, v string) error { c.GitHub.App.WebhookSecret = v; return nil }},
	{"GITHUB_APP_PRIVATE_KEY", func(c *Config, v string) error { c.GitHub.App.PrivateKey = v; return nil }},
	{"GITHUB_APP_PRIVATE_KEY_FILE", func(c *Config, v string) error {
		c.GitHub.App.PrivateKeyFile, c.GitHub.App.PrivateKey = v, ""
		return nil
	}},
}

func (c *Config) applyEnv(getenv func(string) string) error {
	if getenv == nil {
		return nil
	}
	for _, e := range env {
		v := getenv(e.name)
		if v == "" {
			continue
		}
		if err := e.set(c, v); err != nil {
			// The value may be a secret: name the variable, never echo it.
			return fmt.Errorf("config: environment variable %s is not valid", e.name)
		}
	}
	return nil
}

// Validate reports every missing or invalid value, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	c.validateServer(bad)
	c.validateGitHub(bad)
	c.validateWeb(bad)
	c.validateRuntime(bad)
	errs = append(errs, c.validateChat()...)
	return errors.Join(errs...)
}

// keyValue keeps the order of checks, and so of errors, stable.
type keyValue struct{ key, value string }

func (c *Config) validateServer(bad func(key, format string, args ...any)) {
	if c.Server.Port < 0 || c.Server.Port > 65535 {
		bad("server.port", "must be between 0 and 65535, got %d", c.Server.Port)
	}
	for _, kv := range []keyValue{
		{"server.debug_address", c.Server.DebugAddress}, {"server.metrics_address", c.Server.MetricsAddress},
	} {
		if _, _, err := net.SplitHostPort(kv.value); kv.value != "" && err != nil {
			bad(kv.key, "must be host:port, e.g. 127.0.0.1:9090, got %q", kv.value)
		}
	}
	if c.Server.PublicURL != "" {
		if err := checkURL(c.Server.PublicURL); err != nil {
			bad("server.public_url", "%v", err)
		}
	}
}

func (c *Config) validateGitHub(bad func(key, format string, args ...any)) {
	for _, kv := range []keyValue{
		{"github.web_url", c.GitHub.WebURL}, {"github.v3_api_url", c.GitHub.V3APIURL},
		{"github.v4_api_url", c.GitHub.V4APIURL},
	} {
		if err := checkURL(kv.value); err != nil {
			bad(kv.key, "%v", err)
		}
	}
	if c.GitHub.App.IntegrationID <= 0 {
		bad("github.app.integration_id", "is required (the App ID from the app's settings page; env GITHUB_APP_INTEGRATION_ID)")
	}
	if c.GitHub.App.WebhookSecret == "" {
		bad("github.app.webhook_secret", "is required (env GITHUB_APP_WEBHOOK_SECRET)")
	}
	if c.GitHub.App.PrivateKey == "" {
		bad("github.app.private_key", "is required (PEM text, or github.app.private_key_file; env GITHUB_APP_PRIVATE_KEY or GITHUB_APP_PRIVATE_KEY_FILE)")
	} else if err := checkPrivateKey(c.GitHub.App.PrivateKey); err != nil {
		bad("github.app.private_key", "%v", err)
	}
}

// validateRuntime checks the database, logging, workers and retention.
func (c *Config) validateRuntime(bad func(key, format string, args ...any)) {
	if u := c.Database.URL; !strings.HasPrefix(u, "sqlite://") && !strings.HasPrefix(u, "postgres://") &&
		!strings.HasPrefix(u, "postgresql://") {
		bad("database.url", "must start with sqlite://, postgres:// or postgresql://")
	}
	switch c.Logging.Level {
	case "debug", "info", "warn", "error":
	default:
		bad("logging.level", "must be debug, info, warn or error, got %q", c.Logging.Level)
	}
	switch c.Logging.Format {
	case "json", "text":
	default:
		bad("logging.format", "must be json or text, got %q", c.Logging.Format)
	}
	c.validateWorkers(bad)
	if c.Reconcile.Interval < 0 {
		bad("reconcile.interval", "must not be negative")
	}
	if c.Retention.History < 0 {
		bad("retention.history", "must not be negative (0 keeps everything)")
	}
	if c.Retention.ClosedPullRequests < 0 {
		bad("retention.closed_pull_requests", "must not be negative (0 keeps everything)")
	}
	if c.Expertise.BackfillPulls < 0 || c.Expertise.BackfillPulls > MaxBackfillPulls {
		bad("expertise.backfill_pulls", "must be between 0 and %d", MaxBackfillPulls)
	}
}

func (c *Config) validateWorkers(bad func(key, format string, args ...any)) {
	if c.Workers.Concurrency < 1 || c.Workers.Concurrency > 1000 {
		bad("workers.concurrency", "must be between 1 and 1000, got %d", c.Workers.Concurrency)
	}
	if c.Workers.JobTimeout <= 0 {
		bad("workers.job_timeout", "must be positive")
	}
	if c.Workers.RescueAfter < c.Workers.JobTimeout {
		bad("workers.rescue_after", "must not be shorter than workers.job_timeout (%s)", c.Workers.JobTimeout)
	}
	if c.Workers.AckGoal != nil && *c.Workers.AckGoal < 0 {
		bad("workers.ack_goal", "must not be negative (0 turns it off)")
	}
}

// validateWeb checks the sign-in settings: both OAuth values or neither,
// and a session key of MinSessionKey bytes with them. Never echoes a secret.
func (c *Config) validateWeb(bad func(key, format string, args ...any)) {
	o := c.GitHub.OAuth
	if (o.ClientID == "") != (o.ClientSecret == "") {
		bad("github.oauth", "client_id and client_secret go together (env GITHUB_OAUTH_CLIENT_ID, GITHUB_OAUTH_CLIENT_SECRET)")
	}
	if c.Server.SessionKey == "" {
		if o.ClientID != "" {
			bad("server.session_key", "is required with github.oauth: %d or more random bytes, base64 (env REVIEWPOLICY_SESSION_KEY; e.g. openssl rand -base64 32)", MinSessionKey)
		}
		return
	}
	if k, err := c.SessionKeyBytes(); err != nil {
		bad("server.session_key", "%v", err)
	} else if len(k) < MinSessionKey {
		bad("server.session_key", "must decode to %d or more bytes, got %d", MinSessionKey, len(k))
	}
}

func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("must be an http(s) URL, got %q", s)
	}
	return nil
}

// checkPrivateKey catches a truncated or mangled key at start rather than at
// the first webhook. It never includes the key in the error.
func checkPrivateKey(key string) error {
	block, _ := pem.Decode([]byte(key))
	if block == nil {
		return errors.New("is not a PEM-encoded key")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return nil
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		return nil
	}
	return errors.New("is not an RSA private key in PKCS#1 or PKCS#8 form")
}

// GitHubApp returns the go-githubapp view of the GitHub section.
func (c *Config) GitHubApp() githubapp.Config {
	var g githubapp.Config
	g.WebURL, g.V3APIURL, g.V4APIURL = c.GitHub.WebURL, c.GitHub.V3APIURL, c.GitHub.V4APIURL
	g.App.IntegrationID = c.GitHub.App.IntegrationID
	g.App.WebhookSecret = c.GitHub.App.WebhookSecret
	g.App.PrivateKey = c.GitHub.App.PrivateKey
	return g
}

// ListenAddr is host:port for net.Listen.
func (c *Config) ListenAddr() string {
	return fmt.Sprintf("%s:%d", c.Server.Address, c.Server.Port)
}
