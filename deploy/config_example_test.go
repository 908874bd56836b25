package deploy

import (
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/config"
)

func TestConfigExampleLoads(t *testing.T) {
	t.Parallel()
	getenv := secretEnv(t, nil)
	cfg, err := config.Load("config.example.yml", getenv)
	if err != nil {
		t.Fatalf("config.example.yml does not load: %v", err)
	}
	if got := cfg.ListenAddr(); got != "0.0.0.0:8080" {
		t.Errorf("listen address = %q, want 0.0.0.0:8080 (reachable in a container)", got)
	}
	if cfg.GitHub.App.IntegrationID != 12345 || cfg.GitHub.App.PrivateKey != getenv("GITHUB_APP_PRIVATE_KEY") {
		t.Errorf("app identity not taken from the environment: id %d", cfg.GitHub.App.IntegrationID)
	}

	// Apart from the keys the example sets on purpose, it must show the
	// defaults, or it documents values the server does not use.
	want := config.Default()
	want.Server.Address = "0.0.0.0"
	want.Server.PublicURL = "https://reviewpolicy.example.com"
	want.GitHub.App = cfg.GitHub.App
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("config.example.yml differs from the defaults:\n got %+v\nwant %+v", *cfg, want)
	}
}

// The example holds no secrets: without the environment it must fail, and
// say which values are missing.
func TestConfigExampleNeedsSecretsFromEnv(t *testing.T) {
	t.Parallel()
	_, err := config.Load("config.example.yml", func(string) string { return "" })
	if err == nil {
		t.Fatal("config.example.yml loads without secrets; it must not carry any")
	}
	for _, key := range []string{"github.app.integration_id", "github.app.webhook_secret", "github.app.private_key"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s: %v", key, err)
		}
	}
}

// Every key of config.Config is documented in the example, set or
// commented out.
func TestConfigExampleDocumentsEveryKey(t *testing.T) {
	t.Parallel()
	text := readFile(t, "config.example.yml")
	for _, key := range yamlKeys(reflect.TypeFor[config.Config]()) {
		if !regexp.MustCompile(`(?m)^[ #]*` + regexp.QuoteMeta(key) + `:`).MatchString(text) {
			t.Errorf("config.example.yml does not mention key %q", key)
		}
	}
}

// yamlKeys lists the yaml tag of every field in t, recursively.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		keys = append(keys, name)
		if f.Type.Kind() == reflect.Struct {
			keys = append(keys, yamlKeys(f.Type)...)
		}
	}
	return keys
}
