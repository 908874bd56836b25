package config

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func TestWebSignInSettings(t *testing.T) {
	t.Parallel()
	base := map[string]string{"GITHUB_APP_INTEGRATION_ID": "1", "GITHUB_APP_WEBHOOK_SECRET": "s", "GITHUB_APP_PRIVATE_KEY": testKey(t)}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32)))
	c, err := Load("", envOf(with(map[string]string{"GITHUB_OAUTH_CLIENT_ID": "Iv1.abc", "GITHUB_OAUTH_CLIENT_SECRET": "shh",
		"REVIEWPOLICY_SESSION_KEY": key, "REVIEWPOLICY_RETENTION_HISTORY": "2400h"})))
	if err != nil {
		t.Fatal(err)
	}
	if c.GitHub.OAuth.ClientID != "Iv1.abc" || c.GitHub.OAuth.ClientSecret != "shh" || c.Retention.History != 2400*time.Hour {
		t.Fatalf("loaded %+v %+v", c.GitHub.OAuth, c.Retention)
	}
	if k, err := c.SessionKeyBytes(); err != nil || len(k) != 32 {
		t.Fatalf("SessionKeyBytes = %d bytes, %v", len(k), err)
	}
	if d, _ := Load("", envOf(base)); d.Retention.History != DefaultHistoryRetention {
		t.Fatalf("default retention.history = %v", d.Retention.History)
	}
	short := base64.StdEncoding.EncodeToString([]byte("short-secret-value"))
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"GITHUB_OAUTH_CLIENT_ID": "Iv1.abc", "GITHUB_OAUTH_CLIENT_SECRET": "shh"}, "server.session_key: is required"},
		{map[string]string{"GITHUB_OAUTH_CLIENT_ID": "Iv1.abc", "REVIEWPOLICY_SESSION_KEY": key}, "github.oauth"},
		{map[string]string{"REVIEWPOLICY_SESSION_KEY": short}, "must decode to 32 or more bytes"},
		{map[string]string{"REVIEWPOLICY_SESSION_KEY": "%%%not-base64"}, "server.session_key: is not base64"},
		{map[string]string{"REVIEWPOLICY_RETENTION_HISTORY": "-1h"}, "retention.history"},
	} {
		_, err := Load("", envOf(with(c.env)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.env, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "shh") || strings.Contains(err.Error(), short) || strings.Contains(err.Error(), "not-base64")) {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}
