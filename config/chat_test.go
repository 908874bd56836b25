package config

import (
	"strings"
	"testing"
)

func baseEnv(t *testing.T, extra map[string]string) func(string) string {
	m := map[string]string{"GITHUB_APP_INTEGRATION_ID": "1", "GITHUB_APP_WEBHOOK_SECRET": "s",
		"GITHUB_APP_PRIVATE_KEY": testKey(t)}
	for k, v := range extra {
		m[k] = v
	}
	return envOf(m)
}

func TestChatKeysFromFileAndEnvironment(t *testing.T) {
	t.Parallel()
	cfg := write(t, "config.yml", `
slack: {bot_token: xoxb-file, api_url: "http://127.0.0.1:1/api/"}
teams:
  webhooks:
    backend-leads: https://prod.example/workflows/1?sig=file
    frontend: ""
`)
	c, err := Load(cfg, baseEnv(t, map[string]string{
		"REVIEWPOLICY_SLACK_BOT_TOKEN":           "xoxb-env",
		"REVIEWPOLICY_TEAMS_WEBHOOK_FRONTEND":    "https://prod.example/workflows/2?sig=env",
		"REVIEWPOLICY_TEAMS_WEBHOOK_UNNAMED_ONE": "https://prod.example/workflows/3",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Slack.BotToken != "xoxb-env" || c.Slack.APIURL != "http://127.0.0.1:1/api/" {
		t.Errorf("slack = %+v", c.Slack)
	}
	if got := c.Teams.Webhooks; got["backend-leads"] != "https://prod.example/workflows/1?sig=file" ||
		got["frontend"] != "https://prod.example/workflows/2?sig=env" {
		t.Errorf("webhooks = %v", got)
	}
	d, err := Load("", baseEnv(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	if d.Slack.BotToken != "" || d.Slack.APIURL != DefaultSlackAPIURL {
		t.Errorf("defaults: %+v", d.Slack)
	}
}

// A webhook named only in the environment is found by its variable's name.
func TestTeamsWebhookOnlyInEnvironment(t *testing.T) {
	t.Setenv("REVIEWPOLICY_TEAMS_WEBHOOK_BACKEND_LEADS", "https://prod.example/workflows/9")
	c, err := Load("", baseEnv(t, map[string]string{
		"REVIEWPOLICY_TEAMS_WEBHOOK_BACKEND_LEADS": "https://prod.example/workflows/9"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Teams.Webhooks["backend-leads"] != "https://prod.example/workflows/9" {
		t.Errorf("webhooks = %v", c.Teams.Webhooks)
	}
}

func TestChatErrorsNameKeysAndHideSecrets(t *testing.T) {
	t.Parallel()
	cfg := write(t, "config.yml", `
slack: {bot_token: xoxp-user-token-secret, api_url: "ftp://x/"}
teams: {webhooks: {leads: "http://insecure.example/secret-sig", "Bad Name": "https://x.example/"}}
`)
	_, err := Load(cfg, baseEnv(t, nil))
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, want := range []string{"slack.bot_token: must be a bot token", "slack.api_url: must be an http(s) URL",
		"teams.webhooks.leads: must be an https URL", "teams.webhooks.Bad Name: the name must be"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	for _, secret := range []string{"user-token-secret", "secret-sig"} {
		if strings.Contains(msg, secret) {
			t.Errorf("error shows a secret %q:\n%s", secret, msg)
		}
	}
}
