package slackfake

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// specJSON is Slack's Web API description, trimmed to the methods the app
// calls (testdata/SOURCE.md).
//
//go:embed testdata/slack_web_api_trimmed.json
var specJSON []byte

// param is one argument of a method as the description defines it.
type param struct {
	typ      string // string, boolean, integer, number
	required bool
}

// method is what the fake checks of one Web API method.
type method struct {
	httpMethods map[string]bool
	params      map[string]param
	scopes      []string // any one of them is enough
}

// loadSpec reads the description, then applies the corrections that
// testdata/SOURCE.md lists: the description is from 2020 and wrong in
// places that matter to a client.
func loadSpec() (map[string]*method, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name, In, Type string
				Required       bool
			}
			Security []map[string][]string
		}
	}
	if err := json.Unmarshal(specJSON, &doc); err != nil {
		return nil, fmt.Errorf("slackfake: reading the description: %w", err)
	}
	out := map[string]*method{}
	for path, ops := range doc.Paths {
		m := &method{httpMethods: map[string]bool{}, params: map[string]param{}}
		for verb, op := range ops {
			m.httpMethods[strings.ToUpper(verb)] = true
			for _, p := range op.Parameters {
				if p.Name == "token" {
					continue // authentication is checked on its own
				}
				m.params[p.Name] = param{typ: p.Type, required: p.Required}
			}
			for _, s := range op.Security {
				m.scopes = append(m.scopes, s["slackAuth"]...)
			}
		}
		out[strings.TrimPrefix(path, "/")] = m
	}
	correct(out)
	return out, nil
}

// correct patches the description where Slack's current documentation
// differs (each listed in testdata/SOURCE.md).
func correct(ms map[string]*method) {
	// Every method accepts POST; the description lists GET for auth.test,
	// which slack-go (and most clients) POST.
	for _, m := range ms {
		m.httpMethods[http.MethodPost] = true
	}
	// Granular bot scopes replaced chat:write:bot and chat:write:user.
	for _, name := range []string{"chat.postMessage", "chat.update"} {
		ms[name].scopes = []string{"chat:write"}
	}
	ms["conversations.open"].scopes = []string{"im:write", "mpim:write", "channels:manage", "groups:write"}
	ms["auth.test"].scopes = nil
	// chat.postMessage: arguments added since 2020.
	pm := ms["chat.postMessage"]
	pm.params["metadata"] = param{typ: "string"}
	pm.params["markdown_text"] = param{typ: "string"}
	ms["chat.update"].params["metadata"] = param{typ: "string"}
	ms["chat.update"].params["reply_broadcast"] = param{typ: "boolean"}
	ms["chat.update"].params["file_ids"] = param{typ: "string"}
	// conversations.open takes channel or users, one of them; the
	// description marks neither required, rightly, and prevent_creation is
	// newer.
	ms["conversations.open"].params["prevent_creation"] = param{typ: "boolean"}
	// conversations.history: metadata came in 2022; the channel is
	// required (Slack answers channel_not_found without it). Which
	// history scope is needed depends on the conversation (methods.go).
	h := ms["conversations.history"]
	h.params["include_all_metadata"] = param{typ: "boolean"}
	h.params["channel"] = param{typ: "string", required: true}
	h.scopes = nil
}
