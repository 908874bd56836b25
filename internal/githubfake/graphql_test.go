package githubfake

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

type graphqlAnswer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Message    string           `json:"message"`
		Locations  []map[string]int `json:"locations"`
		Extensions map[string]any   `json:"extensions"`
	} `json:"errors"`
}

func postGraphQL(t *testing.T, f *Fake, token string, body any) (int, graphqlAnswer, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.URL+"graphql", bytes.NewReader(b))
	req.Header.Set("Authorization", "token "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(resp.Body)
	var out graphqlAnswer
	if err := json.Unmarshal(raw.Bytes(), &out); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, raw.String())
	}
	return resp.StatusCode, out, raw.String()
}

// The query the app sends (githubapi/busy.go) is valid and answered.
func TestGraphQLStatusQuery(t *testing.T) {
	t.Parallel()
	f := New(t)
	seed(f)
	f.SetBusy("alice", true)
	f.SetBusy("carol", false)
	query := `query { u0: user(login: "alice") { status { indicatesLimitedAvailability } } u1: user(login: "bob") { status { indicatesLimitedAvailability } } u2: user(login: "carol") { login status { indicatesLimitedAvailability } } }`
	status, out, raw := postGraphQL(t, f, f.IssueToken(instID), map[string]string{"query": query})
	if status != http.StatusOK || len(out.Errors) != 0 {
		t.Fatalf("status %d: %s", status, raw)
	}
	want := map[string]string{
		"u0": `{"status":{"indicatesLimitedAvailability":true}}`,
		"u1": `{"status":null}`,
		"u2": `{"login":"carol","status":{"indicatesLimitedAvailability":false}}`,
	}
	for alias, w := range want {
		if got := string(out.Data[alias]); got != w {
			t.Errorf("%s = %s, want %s", alias, got, w)
		}
	}

	vars := map[string]any{"query": `query Who($l: String!) { user(login: $l) { login } }`, "operationName": "Who", "variables": map[string]any{"l": "dave"}}
	if status, out, raw := postGraphQL(t, f, f.IssueToken(instID), vars); status != http.StatusOK || string(out.Data["user"]) != `{"login":"dave"}` {
		t.Errorf("query with a variable: %d %s", status, raw)
	}
}

func TestGraphQLRejectsQueriesTheSchemaDoesNot(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := NewWithReporter(t, rec.report)
	seed(f)
	token := f.IssueToken(instID)
	tests := []struct {
		name string
		body map[string]any
		want string // in the error message and the report
	}{
		{"unknown field", map[string]any{"query": `query { u0: user(login: "alice") { status { indicatesLimitedAvailability busyUntil } } }`}, "busyUntil"},
		{"unknown field on User", map[string]any{"query": `{ user(login: "alice") { favouriteColour } }`}, "favouriteColour"},
		{"missing argument", map[string]any{"query": `{ user { login } }`}, "login"},
		{"wrong argument type", map[string]any{"query": `{ user(login: 42) { login } }`}, "String"},
		{"syntax error", map[string]any{"query": `query { user(login: "alice") { login }`}, "Expected"},
		{"missing variable", map[string]any{"query": `query($l: String!) { user(login: $l) { login } }`}, "l"},
	}
	for _, tc := range tests {
		before := len(rec.all())
		status, out, raw := postGraphQL(t, f, token, tc.body)
		if status != http.StatusOK || out.Data != nil || len(out.Errors) == 0 || !strings.Contains(raw, tc.want) {
			t.Errorf("%s: %d %s; want 200 with errors naming %q and no data", tc.name, status, raw, tc.want)
		}
		if len(out.Errors) > 0 && tc.name != "missing variable" && len(out.Errors[0].Locations) == 0 {
			t.Errorf("%s: error without locations: %s", tc.name, raw)
		}
		msgs := rec.all()
		if len(msgs) != before+1 || !strings.Contains(msgs[len(msgs)-1], "invalid GraphQL query") {
			t.Errorf("%s: reported %q; want one report of an invalid query", tc.name, msgs[before:])
		}
	}

	// Valid for GitHub but not something the fake answers: reported too,
	// so a new query of the app cannot pass on made-up data.
	before := len(rec.all())
	status, out, _ := postGraphQL(t, f, token, map[string]any{"query": `{ viewer { login } }`})
	if msgs := rec.all(); status != http.StatusOK || len(out.Errors) != 1 || len(msgs) != before+1 || !strings.Contains(msgs[before], "not supported") {
		t.Errorf("unsupported query: status %d errors %v reports %q", status, out.Errors, msgs[before:])
	}
}

func TestGraphQLNeedsAToken(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := NewWithReporter(t, rec.report)
	seed(f)
	status, _, _ := postGraphQL(t, f, "not-a-token", map[string]string{"query": `{ user(login: "a") { login } }`})
	if status != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", status)
	}
}

func BenchmarkLoadGraphQLSchema(b *testing.B) {
	for b.Loop() {
		if _, err := loadSchema(graphqlSchemaGz); err != nil {
			b.Fatal(err)
		}
	}
}

// The schema loads once per test binary; this keeps its cost visible.
func TestGraphQLSchemaLoads(t *testing.T) {
	start := time.Now()
	s, err := loadSchema(graphqlSchemaGz)
	if err != nil {
		t.Fatal(err)
	}
	if s.Types["User"] == nil || s.Types["UserStatus"].Fields.ForName("indicatesLimitedAvailability") == nil {
		t.Error("schema lacks User or UserStatus.indicatesLimitedAvailability")
	}
	t.Logf("GitHub's GraphQL schema loads in %v", time.Since(start))
}
