// Package slackfake is an in-process fake of the Slack Web API for tests.
//
// It serves the methods the app calls (auth.test, conversations.open,
// chat.postMessage, chat.update, conversations.history) from in-memory state that tests seed
// (AddUser, AddChannel) and read (Calls, Messages, DMs). Every request is
// checked against Slack's published description of the method (a trimmed
// copy in testdata, corrected where Slack has changed since: see
// testdata/SOURCE.md): HTTP method, authentication, known arguments and
// their types, required arguments. Then it answers as Slack does: HTTP 200
// with {"ok": false, "error": "..."} for what Slack refuses (not_authed,
// invalid_auth, missing_scope, channel_not_found, not_in_channel,
// is_archived, user_not_found, message_not_found, no_text, invalid_blocks,
// msg_too_long), and HTTP 429 with Retry-After when rate limited.
//
// An argument the description does not know is reported with t.Errorf:
// Slack ignores it, so a typo would silently lose what the app meant.
// FailNext and RateLimitNext inject errors; PerChannelPerSecond makes the
// fake enforce Slack's per-channel posting rate.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the bot token the fake accepts.
const Token = "xoxb-slackfake-token"

// Limits Slack documents for a message.
const (
	maxText   = 40000
	maxBlocks = 50
)

// Fake is an in-memory Slack workspace with its Web API. It is safe for
// concurrent use.
type Fake struct {
	// URL is the Web API's base URL, ending in "/api/", for slack.OptionAPIURL.
	URL string
	// PerChannelPerSecond, when positive, answers 429 (Retry-After: 1) to a
	// post into a channel that had this many in the last second.
	PerChannelPerSecond int

	report  func(string)
	methods map[string]*method
	server  *httptest.Server
	now     func() time.Time

	mu       sync.Mutex
	scopes   map[string]bool
	users    map[string]bool
	channels map[string]*channel // by ID
	calls    []Call
	faults   []fault
	lastTS   int64                  // the last message's ts, in microseconds
	recent   map[string][]time.Time // channel -> recent post times
}

type channel struct {
	id, name string
	member   bool // the bot is in it
	archived bool
	dmUser   string // set for a DM
	messages []*Message
}

// Message is a message as a person would see it.
type Message struct {
	Channel string
	TS      string
	Text    string
	Blocks  string // the blocks argument as sent (JSON), "" when none
	Edited  bool
	// Metadata is what chat.postMessage attached, kept by chat.update
	// unless it sends new metadata; nil when none.
	Metadata *Metadata
}

// Call is one request the fake answered.
type Call struct {
	Method string
	Args   url.Values
	Status int
	Error  string // Slack's error code when ok was false
}

type fault struct {
	method     string
	err        string
	retryAfter int
}

// New starts a fake that reports invalid requests with t.Errorf; it stops
// when the test ends. The token has chat:write and im:write.
func New(t testing.TB) *Fake {
	t.Helper()
	return NewWithReporter(t, func(msg string) { t.Errorf("%s", msg) })
}

// NewWithReporter is New with invalid requests sent to report.
func NewWithReporter(t testing.TB, report func(string)) *Fake {
	t.Helper()
	methods, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	f := &Fake{report: report, methods: methods, now: time.Now,
		scopes:   map[string]bool{"chat:write": true, "im:write": true},
		users:    map[string]bool{},
		channels: map[string]*channel{},
		recent:   map[string][]time.Time{},
	}
	f.server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.server.Close)
	f.URL = f.server.URL + "/api/"
	return f
}

// SetClock sets the time the per-channel rate is measured in.
func (f *Fake) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// SetScopes replaces the token's scopes.
func (f *Fake) SetScopes(scopes ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.scopes = map[string]bool{}
	for _, s := range scopes {
		f.scopes[s] = true
	}
}

func (f *Fake) scopeList() string {
	var l []string
	for s := range f.scopes {
		l = append(l, s)
	}
	sort.Strings(l)
	return strings.Join(l, ",")
}

// AddUser adds a member of the workspace by ID (U…).
func (f *Fake) AddUser(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[id] = true
}

// AddChannel adds a channel; member says whether the app was invited.
func (f *Fake) AddChannel(id, name string, member bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[id] = &channel{id: id, name: name, member: member}
}

// ArchiveChannel archives a channel.
func (f *Fake) ArchiveChannel(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[id].archived = true
}

// FailNext makes the next call of method answer ok:false with err.
func (f *Fake) FailNext(method, err string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{method: method, err: err})
}

// RateLimitNext makes the next call of method answer 429 with Retry-After.
func (f *Fake) RateLimitNext(method string, retryAfter int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, fault{method: method, retryAfter: retryAfter})
}

// Calls returns every request answered so far.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// Messages returns the messages in a channel (by ID), oldest first.
func (f *Fake) Messages(channelID string) []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.channels[channelID]
	if c == nil {
		return nil
	}
	out := make([]Message, len(c.messages))
	for i, m := range c.messages {
		out[i] = *m
	}
	return out
}

// DMs returns the messages the app sent a user directly, oldest first.
func (f *Fake) DMs(userID string) []Message {
	return f.Messages(dmID(userID))
}

func dmID(user string) string { return "D" + strings.TrimLeft(user, "UW") }

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, "/api/")
	m := f.methods[name]
	if !ok || m == nil {
		f.report(fmt.Sprintf("slackfake: %s %s: no such method (or not served by the fake)", r.Method, r.URL.Path))
		f.answer(w, name, nil, http.StatusNotFound, "unknown_method", nil)
		return
	}
	if !m.httpMethods[r.Method] {
		f.report(fmt.Sprintf("slackfake: %s: HTTP %s is not accepted", name, r.Method))
		f.answer(w, name, nil, http.StatusMethodNotAllowed, "method_not_supported_for_channel_type", nil)
		return
	}
	args, token, err := readArgs(r)
	if err != nil {
		f.answer(w, name, args, http.StatusOK, "invalid_form_data", nil)
		return
	}
	if code := f.check(name, m, args, token); code != "" {
		f.answer(w, name, args, http.StatusOK, code, nil)
		return
	}
	f.mu.Lock()
	res, code, retry := f.call(name, args)
	scopes := f.scopeList()
	f.mu.Unlock()
	if name == "auth.test" {
		// Slack names the token's scopes in a header of every answer;
		// clients read them from auth.test's.
		w.Header().Set("X-OAuth-Scopes", scopes)
	}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retry))
		f.answer(w, name, args, http.StatusTooManyRequests, "ratelimited", nil)
		return
	}
	f.answer(w, name, args, http.StatusOK, code, res)
}

// readArgs reads a method's arguments from the query (GET), a form or a
// JSON body, and the token from the Authorization header or the form. Like
// Slack, it takes no token from the query string and none from JSON.
func readArgs(r *http.Request) (url.Values, string, error) {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if r.Method == http.MethodGet {
		args := r.URL.Query()
		args.Del("token")
		return args, token, nil
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, "", err
	}
	args := url.Values{}
	switch ct {
	case "application/json":
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, token, err
		}
		for k, v := range m {
			if s, ok := v.(string); ok {
				args.Set(k, s)
			} else {
				raw, _ := json.Marshal(v)
				args.Set(k, string(raw))
			}
		}
	default:
		if args, err = url.ParseQuery(string(body)); err != nil {
			return nil, token, err
		}
		if t := args.Get("token"); t != "" && token == "" {
			token = t
		}
		args.Del("token")
	}
	return args, token, nil
}

// check applies the description and authentication; it returns Slack's
// error code, or "".
func (f *Fake) check(name string, m *method, args url.Values, token string) string {
	switch {
	case token == "":
		return "not_authed"
	case token != Token:
		return "invalid_auth"
	}
	for k := range args {
		p, known := m.params[k]
		if !known {
			f.report(fmt.Sprintf("slackfake: %s: argument %q is not in Slack's description (Slack ignores it)", name, k))
			continue
		}
		if p.typ == "boolean" && !oneOf(args.Get(k), "true", "false", "1", "0") {
			return "invalid_arguments"
		}
	}
	for k, p := range m.params {
		if p.required && args.Get(k) == "" {
			return missingError(name, k)
		}
	}
	if len(m.scopes) == 0 {
		return ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range m.scopes {
		if f.scopes[s] {
			return ""
		}
	}
	return "missing_scope"
}

func missingError(method, arg string) string {
	switch {
	case arg == "channel":
		return "channel_not_found"
	case method == "chat.update" && arg == "ts":
		return "message_not_found"
	}
	return "invalid_arguments"
}

func oneOf(s string, options ...string) bool {
	for _, o := range options {
		if s == o {
			return true
		}
	}
	return false
}

// answer writes Slack's envelope and records the call.
func (f *Fake) answer(w http.ResponseWriter, name string, args url.Values, status int, code string, res map[string]any) {
	f.mu.Lock()
	f.calls = append(f.calls, Call{Method: name, Args: args, Status: status, Error: code})
	f.mu.Unlock()
	body := map[string]any{"ok": code == ""}
	if code != "" {
		body["error"] = code
	}
	for k, v := range res {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
