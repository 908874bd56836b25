package deploy

import (
	"maps"
	"net/url"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestAppManifest(t *testing.T) {
	t.Parallel()
	var app struct {
		Name           string `yaml:"name"`
		URL            string `yaml:"url"`
		RedirectURL    string `yaml:"redirect_url"`
		Public         *bool  `yaml:"public"`
		HookAttributes struct {
			URL    string `yaml:"url"`
			Active bool   `yaml:"active"`
		} `yaml:"hook_attributes"`
		DefaultPermissions map[string]string `yaml:"default_permissions"`
		DefaultEvents      []string          `yaml:"default_events"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "../app.yml")), &app); err != nil {
		t.Fatalf("app.yml: %v", err)
	}
	if app.Name == "" || app.URL == "" || app.RedirectURL == "" || app.Public == nil {
		t.Error("app.yml needs name, url, redirect_url and public")
	}
	hook, err := url.Parse(app.HookAttributes.URL)
	if err != nil || hook.Scheme != "https" || !app.HookAttributes.Active {
		t.Errorf("hook_attributes.url %q must be an active https URL", app.HookAttributes.URL)
	} else if !strings.Contains(readFile(t, "../cmd/reviewpolicy/routes.go"), `"POST `+hook.Path+`"`) {
		t.Errorf("the server does not answer POST %s", hook.Path)
	}

	// Least privilege: exactly these, so widening one is a deliberate edit.
	want := map[string]string{
		"checks": "write", "pull_requests": "write", "issues": "write",
		"contents": "read", "members": "read", "metadata": "read", "merge_queues": "read",
	}
	if !maps.Equal(app.DefaultPermissions, want) {
		t.Errorf("default_permissions = %v, want %v", app.DefaultPermissions, want)
	}

	// Every subscribed event is one the app acts on; installation events
	// arrive without subscribing and cannot be listed.
	dispatch := readFile(t, "../handlers/app.go")
	for _, e := range app.DefaultEvents {
		if strings.HasPrefix(e, "installation") {
			t.Errorf("default_events lists %s, which GitHub sends to every app unasked", e)
		} else if !strings.Contains(dispatch, `"`+e+`"`) {
			t.Errorf("default_events lists %s, which handlers/app.go does not dispatch", e)
		}
	}
	for _, e := range []string{"pull_request", "pull_request_review", "check_run", "check_suite", "push", "merge_group",
		"membership", "team", "organization"} {
		if !slices.Contains(app.DefaultEvents, e) {
			t.Errorf("default_events lacks %s", e)
		}
	}
}
