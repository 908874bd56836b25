package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// Slack is the Slack app's bot token and where its Web API is. An empty
// token turns Slack off.
type Slack struct {
	BotToken string `yaml:"bot_token"`
	APIURL   string `yaml:"api_url"`
}

// DefaultSlackAPIURL is slack.api_url when unset.
const DefaultSlackAPIURL = "https://slack.com/api/"

// Teams maps webhook names (which policies name) to Microsoft Teams
// Workflows webhook URLs. The URLs are secrets: whoever has one can post.
type Teams struct {
	Webhooks map[string]string `yaml:"webhooks"`
}

// teamsEnvPrefix: REVIEWPOLICY_TEAMS_WEBHOOK_BACKEND_LEADS sets the webhook
// named backend-leads (upper case, "_" for "-").
const teamsEnvPrefix = "REVIEWPOLICY_TEAMS_WEBHOOK_"

// webhookName is the form of teams.webhooks keys; policy files use the same.
var webhookName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// applyTeamsEnv reads the webhook URLs from the environment. getenv cannot
// list variables, so names come from the file's keys and, for webhooks only
// the environment names, from os.Environ when getenv is the process's own.
func (c *Config) applyTeamsEnv(getenv func(string) string) {
	if getenv == nil {
		return
	}
	names := map[string]bool{}
	for name := range c.Teams.Webhooks {
		names[name] = true
	}
	for _, kv := range environ() {
		k, _, _ := strings.Cut(kv, "=")
		if rest, ok := strings.CutPrefix(k, teamsEnvPrefix); ok && rest != "" {
			names[strings.ReplaceAll(strings.ToLower(rest), "_", "-")] = true
		}
	}
	for name := range names {
		if v := getenv(TeamsWebhookEnv(name)); v != "" {
			if c.Teams.Webhooks == nil {
				c.Teams.Webhooks = map[string]string{}
			}
			c.Teams.Webhooks[name] = v
		}
	}
}

// environ is os.Environ; tests pass their variables through getenv and
// name them in the file.
var environ = os.Environ

// TeamsWebhookEnv is the environment variable that sets webhook name.
func TeamsWebhookEnv(name string) string {
	return teamsEnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// validateChat checks the slack and teams sections; no error echoes a
// token or a webhook URL (both are secrets).
func (c *Config) validateChat() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...)))
	}
	if t := c.Slack.BotToken; t != "" && !strings.HasPrefix(t, "xoxb-") {
		bad("slack.bot_token", "must be a bot token (it starts with xoxb-; the app's OAuth & Permissions page); env REVIEWPOLICY_SLACK_BOT_TOKEN")
	}
	if err := checkURL(c.Slack.APIURL); err != nil {
		bad("slack.api_url", "%v", err)
	} else if !strings.HasSuffix(c.Slack.APIURL, "/") {
		bad("slack.api_url", "must end with /, e.g. https://slack.com/api/")
	}
	for name, u := range c.Teams.Webhooks {
		key := "teams.webhooks." + name
		if !webhookName.MatchString(name) {
			bad(key, "the name must be lower-case letters, digits, - and _")
			continue
		}
		if p, err := url.Parse(u); err != nil || p.Scheme != "https" || p.Host == "" {
			// Never echo the URL: it carries the webhook's signature.
			bad(key, "must be an https URL (the Workflows webhook's address; env %s)", TeamsWebhookEnv(name))
		}
	}
	return errs
}
