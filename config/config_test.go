package config

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	keyOnce sync.Once
	keyPEM  string
)

func testKey(t *testing.T) string {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)}))
	})
	return keyPEM
}

func write(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadFileThenEnvironment(t *testing.T) {
	t.Parallel()
	keyFile := write(t, "app.pem", testKey(t))
	cfg := write(t, "config.yml", `
server: {address: 0.0.0.0, port: 9000, public_url: https://rp.example.com, metrics_address: "127.0.0.1:9090", debug_address: "127.0.0.1:6060"}
github:
  web_url: https://ghe.example.com
  v3_api_url: https://ghe.example.com/api/v3/
  v4_api_url: https://ghe.example.com/api/graphql
  app: {integration_id: 12345, webhook_secret: from-file, private_key_file: `+keyFile+`}
database: {url: "postgres://u@db/rp"}
logging: {level: debug, format: text}
workers: {ack_goal: 5ms, job_timeout: 1m}
retention: {closed_pull_requests: 168h}
`)
	c, err := Load(cfg, envOf(map[string]string{"GITHUB_APP_WEBHOOK_SECRET": "from-env", "REVIEWPOLICY_PORT": "9100",
		"REVIEWPOLICY_WORKERS_ACK_GOAL": "0s", "REVIEWPOLICY_METRICS_ADDRESS": "10.0.0.5:9100"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.MetricsAddress != "10.0.0.5:9100" || c.Server.DebugAddress != "127.0.0.1:6060" {
		t.Errorf("metrics_address %q (want the environment's), debug_address %q (want the file's)",
			c.Server.MetricsAddress, c.Server.DebugAddress)
	}
	if c.GitHub.App.WebhookSecret != "from-env" || c.Server.Port != 9100 {
		t.Errorf("environment did not override: secret %q port %d", c.GitHub.App.WebhookSecret, c.Server.Port)
	}
	if c.GitHub.App.PrivateKey != testKey(t) {
		t.Error("private key was not read from private_key_file")
	}
	g := c.GitHubApp()
	if g.V3APIURL != "https://ghe.example.com/api/v3/" || g.App.IntegrationID != 12345 {
		t.Errorf("GitHubApp() = %+v", g)
	}
	if c.AckGoal() != 0 || c.Workers.JobTimeout != time.Minute {
		t.Errorf("ack goal %s, job_timeout %s; want 0 from the environment and 1m", c.AckGoal(), c.Workers.JobTimeout)
	}
	if c.Retention.ClosedPullRequests != 7*24*time.Hour {
		t.Errorf("retention.closed_pull_requests = %s, want 168h from the file", c.Retention.ClosedPullRequests)
	}
	if c.ListenAddr() != "0.0.0.0:9100" || c.Database.URL != "postgres://u@db/rp" || c.Logging.Format != "text" {
		t.Errorf("unexpected config %+v", c)
	}
}

func TestLoadOnlyEnvironmentUsesDefaults(t *testing.T) {
	t.Parallel()
	c, err := Load("", envOf(map[string]string{
		"GITHUB_APP_INTEGRATION_ID": "7", "GITHUB_APP_WEBHOOK_SECRET": "s", "GITHUB_APP_PRIVATE_KEY": testKey(t),
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Database.URL != "sqlite://reviewpolicy.db" || c.GitHub.V3APIURL != "https://api.github.com/" || c.Server.Port != 8080 {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.Retention.ClosedPullRequests != 30*24*time.Hour {
		t.Errorf("retention.closed_pull_requests defaults to %s, want 30 days", c.Retention.ClosedPullRequests)
	}
	c, err = Load("", envOf(map[string]string{
		"GITHUB_APP_INTEGRATION_ID": "7", "GITHUB_APP_WEBHOOK_SECRET": "s", "GITHUB_APP_PRIVATE_KEY": testKey(t),
		"REVIEWPOLICY_RETENTION_CLOSED_PULL_REQUESTS": "48h",
	}))
	if err != nil || c.Retention.ClosedPullRequests != 48*time.Hour {
		t.Errorf("REVIEWPOLICY_RETENTION_CLOSED_PULL_REQUESTS=48h: %v, %v", c, err)
	}
	if c.AckGoal() != 2*time.Millisecond {
		t.Errorf("workers.ack_goal defaults to %s on SQLite, want 2ms", c.AckGoal())
	}
	for _, tc := range []struct {
		env  map[string]string
		want time.Duration
	}{
		{map[string]string{"REVIEWPOLICY_DATABASE_URL": "postgres://u@db/rp"}, 4 * time.Millisecond},
		{map[string]string{"REVIEWPOLICY_DATABASE_URL": "postgres://u@db/rp", "REVIEWPOLICY_WORKERS_ACK_GOAL": "5ms"}, 5 * time.Millisecond},
		{map[string]string{"REVIEWPOLICY_WORKERS_ACK_GOAL": "0"}, 0},
	} {
		maps.Copy(tc.env, map[string]string{"GITHUB_APP_INTEGRATION_ID": "7", "GITHUB_APP_WEBHOOK_SECRET": "s", "GITHUB_APP_PRIVATE_KEY": testKey(t)})
		c, err := Load("", envOf(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.AckGoal(); got != tc.want {
			t.Errorf("ack goal with %s %s = %s, want %s", tc.env["REVIEWPOLICY_DATABASE_URL"], tc.env["REVIEWPOLICY_WORKERS_ACK_GOAL"], got, tc.want)
		}
	}
}

func TestErrorsNameEveryKeyAndHideSecrets(t *testing.T) {
	t.Parallel()
	cfg := write(t, "config.yml", `
server: {port: 70000, metrics_address: "9090", debug_address: "localhost"}
github: {v3_api_url: "not a url", app: {private_key: "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LXZhbHVl\n-----END RSA PRIVATE KEY-----\n"}}
database: {url: "mysql://x"}
logging: {level: loud}
workers: {ack_goal: -1ms}
retention: {closed_pull_requests: -1h}
expertise: {backfill_pulls: -5}
`)
	_, err := Load(cfg, envOf(nil))
	if err == nil {
		t.Fatal("invalid config loaded")
	}
	for _, key := range []string{"server.port", "server.metrics_address", "server.debug_address", "github.v3_api_url", "github.app.integration_id",
		"github.app.webhook_secret", "github.app.private_key", "database.url", "logging.level", "workers.ack_goal",
		"retention.closed_pull_requests", "expertise.backfill_pulls"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
	if strings.Contains(err.Error(), "c2VjcmV0LXZhbHVl") {
		t.Error("error leaks the private key")
	}
	_, err = Load("", envOf(map[string]string{"GITHUB_APP_INTEGRATION_ID": "secret-ish"}))
	if err == nil || !strings.Contains(err.Error(), "GITHUB_APP_INTEGRATION_ID") || strings.Contains(err.Error(), "secret-ish") {
		t.Errorf("bad env value: %v", err)
	}
}

func TestUnknownKeyRejected(t *testing.T) {
	t.Parallel()
	cfg := write(t, "config.yml", "server: {prot: 1}\n")
	_, err := Load(cfg, envOf(nil))
	if err == nil || !strings.Contains(err.Error(), "prot") || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("unknown key: %v", err)
	}
}
