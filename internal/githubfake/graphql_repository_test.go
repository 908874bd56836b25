package githubfake

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// headFactsQuery is the query the app sends (githubapi/headfacts.go).
const headFactsQuery = `query HeadFacts($owner: String!, $name: String!, $number: Int!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      headRefOid
      files(first: 100) {
        pageInfo { hasNextPage endCursor }
        nodes { path changeType }
      }
    }
    object(oid: $oid) {
      ... on Commit {
        associatedPullRequests(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes { number state headRefOid }
        }
      }
    }
  }
}`

// fieldAnswer is a GraphQL answer with the parts of errors GitHub adds for
// a field: its type and path.
type fieldAnswer struct {
	Data   map[string]json.RawMessage `json:"data"`
	Errors []struct {
		Type      string           `json:"type"`
		Message   string           `json:"message"`
		Path      []any            `json:"path"`
		Locations []map[string]int `json:"locations"`
	} `json:"errors"`
}

// query posts a query with variables and decodes the answer.
func query(t *testing.T, f *Fake, q string, vars map[string]any) (fieldAnswer, string) {
	t.Helper()
	status, _, raw := postGraphQL(t, f, f.IssueToken(instID), map[string]any{"query": q, "variables": vars})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, raw)
	}
	var out fieldAnswer
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("answer: %v: %s", err, raw)
	}
	return out, raw
}

// sameJSON compares JSON texts ignoring key order and spacing.
func sameJSON(t *testing.T, got []byte, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("want %s: %v", want, err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}

func TestGraphQLHeadFacts(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := NewWithReporter(t, rec.report)
	seed(f) // #7: open, head abc123, files a.go and b.go
	merged := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	f.AddPullRequest(owner, name, PullRequest{Number: 9, HeadRef: "feature", HeadSHA: "abc123", State: "closed",
		Author: "bob", ClosedAt: merged, MergedAt: merged})
	f.AddPullRequest(owner, name, PullRequest{Number: 10, HeadRef: "other", HeadSHA: "def456", Author: "bob"})
	want := `{"repository": {
		"pullRequest": {"headRefOid": "abc123", "files": {
			"pageInfo": {"hasNextPage": false, "endCursor": "Y3Vyc29yOjI="},
			"nodes": [{"path": "a.go", "changeType": "MODIFIED"}, {"path": "b.go", "changeType": "MODIFIED"}]}},
		"object": {"associatedPullRequests": {
			"pageInfo": {"hasNextPage": false, "endCursor": "Y3Vyc29yOjI="},
			"nodes": [{"number": 7, "state": "OPEN", "headRefOid": "abc123"},
				{"number": 9, "state": "MERGED", "headRefOid": "abc123"}]}}}}`
	for _, opName := range []string{"", "HeadFacts"} {
		body := map[string]any{"query": headFactsQuery, "operationName": opName,
			"variables": map[string]any{"owner": strings.ToUpper(owner), "name": name, "number": 7, "oid": "ABC123"}}
		status, _, raw := postGraphQL(t, f, f.IssueToken(instID), body)
		var out struct {
			Data   json.RawMessage `json:"data"`
			Errors []any           `json:"errors"`
		}
		json.Unmarshal([]byte(raw), &out)
		if status != http.StatusOK || out.Errors != nil || !sameJSON(t, out.Data, want) {
			t.Errorf("operationName %q: %d %s\nwant data %s", opName, status, raw, want)
		}
	}
	if msgs := rec.all(); len(msgs) != 0 {
		t.Errorf("reported %q", msgs)
	}
}

func TestGraphQLAssociatedPullRequestsOrder(t *testing.T) {
	t.Parallel()
	f := New(t)
	seed(f)
	// #9 was opened before #7 (whose creation time is the fake's).
	f.AddPullRequest(owner, name, PullRequest{Number: 9, HeadSHA: "abc123", State: "closed", Author: "bob",
		CreatedAt: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)})
	for order, want := range map[string][]int{"": {9, 7}, `, orderBy: {field: CREATED_AT, direction: DESC}`: {7, 9}} {
		q := fmt.Sprintf(`{ repository(owner: %q, name: %q) { object(oid: "abc123") { __typename ... on Tree { oid }
			... on Commit { oid associatedPullRequests(first: 10%s) { totalCount nodes { number state } } } } } }`, owner, name, order)
		out, raw := query(t, f, q, nil)
		var got struct {
			Object struct {
				Typename string `json:"__typename"`
				OID      string `json:"oid"`
				Pulls    struct {
					TotalCount int `json:"totalCount"`
					Nodes      []struct {
						Number int
						State  string
					} `json:"nodes"`
				} `json:"associatedPullRequests"`
			} `json:"object"`
		}
		json.Unmarshal(out.Data["repository"], &got)
		var numbers []int
		for _, n := range got.Object.Pulls.Nodes {
			numbers = append(numbers, n.Number)
		}
		if !slices.Equal(numbers, want) || got.Object.Pulls.TotalCount != 2 || got.Object.Typename != "Commit" ||
			got.Object.OID != "abc123" || got.Object.Pulls.Nodes[0].State == "" {
			t.Errorf("order %q: %s; want pulls %v of a Commit", order, raw, want)
		}
	}
}

func TestGraphQLFilesPagination(t *testing.T) {
	t.Parallel()
	f := New(t)
	seed(f)
	files := []string{"1.go", "2.go", "3.go", "4.go", "5.go"}
	f.AddPullRequest(owner, name, PullRequest{Number: 8, HeadSHA: "eee555", Author: "bob", Files: files})
	q := `query($o: String!, $n: String!, $after: String) { repository(owner: $o, name: $n) { pullRequest(number: 8) {
		files(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { path } } } } } }`
	var got []string
	var more []bool
	vars := map[string]any{"o": owner, "n": name}
	for page := 0; page < 5; page++ {
		out, raw := query(t, f, q, vars)
		var ans struct {
			PullRequest struct {
				Files struct {
					TotalCount int `json:"totalCount"`
					PageInfo   struct {
						HasNextPage bool    `json:"hasNextPage"`
						EndCursor   *string `json:"endCursor"`
					} `json:"pageInfo"`
					Edges []struct {
						Cursor string                `json:"cursor"`
						Node   struct{ Path string } `json:"node"`
					} `json:"edges"`
				} `json:"files"`
			} `json:"pullRequest"`
		}
		if err := json.Unmarshal(out.Data["repository"], &ans); err != nil || len(out.Errors) > 0 {
			t.Fatalf("page %d: %v: %s", page, err, raw)
		}
		fs := ans.PullRequest.Files
		if fs.TotalCount != len(files) || len(fs.Edges) == 0 || fs.PageInfo.EndCursor == nil || *fs.PageInfo.EndCursor != fs.Edges[len(fs.Edges)-1].Cursor {
			t.Fatalf("page %d: %s; want totalCount 5 and endCursor the last edge's cursor", page, raw)
		}
		for _, e := range fs.Edges {
			got = append(got, e.Node.Path)
		}
		more = append(more, fs.PageInfo.HasNextPage)
		if !fs.PageInfo.HasNextPage {
			break
		}
		vars["after"] = *fs.PageInfo.EndCursor
	}
	if !slices.Equal(got, files) || !slices.Equal(more, []bool{true, true, false}) {
		t.Errorf("paged files %v, hasNextPage %v; want %v, [true true false]", got, more, files)
	}

	// Past the end: no nodes, so no cursor.
	vars["after"] = cursor(4)
	out, raw := query(t, f, q, vars)
	if !strings.Contains(string(out.Data["repository"]), `"edges":[]`) || !strings.Contains(string(out.Data["repository"]), `"endCursor":null`) {
		t.Errorf("after the last file: %s", raw)
	}
}

func TestRenamedFile(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	f.AddPullRequest(owner, name, PullRequest{Number: 8, HeadSHA: "eee555", Author: "bob",
		Files: []string{"kept.go", "new.go"}, Renamed: map[string]string{"new.go": "old.go"}})
	out, raw := query(t, f, fmt.Sprintf(`{ repository(owner: %q, name: %q) { pullRequest(number: 8) {
		files(first: 10) { nodes { path changeType } } } } }`, owner, name), nil)
	want := `{"pullRequest": {"files": {"nodes": [{"path": "kept.go", "changeType": "MODIFIED"}, {"path": "new.go", "changeType": "RENAMED"}]}}}`
	if !sameJSON(t, out.Data["repository"], want) {
		t.Errorf("GraphQL: %s; want repository %s", raw, want)
	}

	rest, _, err := c.PullRequests.ListFiles(context.Background(), owner, name, 8, nil)
	if err != nil || len(rest) != 2 {
		t.Fatalf("REST files: %v, %v", rest, err)
	}
	if rest[0].GetStatus() != "modified" || rest[0].PreviousFilename != nil {
		t.Errorf("kept.go: status %q, previous %v", rest[0].GetStatus(), rest[0].PreviousFilename)
	}
	if rest[1].GetFilename() != "new.go" || rest[1].GetStatus() != "renamed" || rest[1].GetPreviousFilename() != "old.go" {
		t.Errorf("new.go: %s status %q previous %q; want renamed from old.go", rest[1].GetFilename(), rest[1].GetStatus(), rest[1].GetPreviousFilename())
	}
}

func TestGraphQLNotFound(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := NewWithReporter(t, rec.report)
	seed(f)
	f.AddRepo("other-org", "secret", 2, "main") // outside the installation
	vars := func(o, n string, number int, oid string) map[string]any {
		return map[string]any{"owner": o, "name": n, "number": number, "oid": oid}
	}
	tests := []struct {
		name     string
		vars     map[string]any
		wantData string
		wantPath []any
		wantMsg  string
	}{
		{"unknown repository", vars(owner, "nope", 7, "abc123"), `{"repository": null}`,
			[]any{"repository"}, "Could not resolve to a Repository with the name '" + owner + "/nope'."},
		{"repository outside the installation", vars("other-org", "secret", 7, "abc123"), `{"repository": null}`,
			[]any{"repository"}, "Could not resolve to a Repository with the name 'other-org/secret'."},
		{"unknown pull request", vars(owner, name, 99, "0123456789abcdef0123456789abcdef01234567"),
			`{"repository": {"pullRequest": null, "object": null}}`,
			[]any{"repository", "pullRequest"}, "Could not resolve to a PullRequest with the number of 99."},
	}
	for _, tc := range tests {
		out, raw := query(t, f, headFactsQuery, tc.vars)
		data, _ := json.Marshal(out.Data)
		if !sameJSON(t, data, tc.wantData) || len(out.Errors) != 1 {
			t.Errorf("%s: %s; want data %s and one error", tc.name, raw, tc.wantData)
			continue
		}
		e := out.Errors[0]
		if e.Type != "NOT_FOUND" || e.Message != tc.wantMsg || fmt.Sprint(e.Path) != fmt.Sprint(tc.wantPath) || len(e.Locations) != 1 {
			t.Errorf("%s: error %+v; want NOT_FOUND %q at %v", tc.name, e, tc.wantMsg, tc.wantPath)
		}
	}
	if msgs := rec.all(); len(msgs) != 0 {
		t.Errorf("GitHub's not-found answers were reported: %q", msgs)
	}
}

func TestGraphQLUnknownCommit(t *testing.T) {
	t.Parallel()
	f := New(t)
	seed(f)
	out, raw := query(t, f, headFactsQuery, map[string]any{"owner": owner, "name": name, "number": 7,
		"oid": "0123456789abcdef0123456789abcdef01234567"})
	var repo map[string]json.RawMessage
	json.Unmarshal(out.Data["repository"], &repo)
	if len(out.Errors) != 0 || string(repo["object"]) != "null" || !strings.Contains(string(repo["pullRequest"]), `"a.go"`) {
		t.Errorf("unknown commit: %s; want object null, the pull request answered, no errors", raw)
	}
}

// What GitHub refuses, and what the fake does not model, are errors with no
// data and are reported, so the app cannot pass on them.
func TestGraphQLRepositoryRefusals(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := NewWithReporter(t, rec.report)
	seed(f)
	pr := func(sel string) string {
		return fmt.Sprintf(`{ repository(owner: %q, name: %q) { pullRequest(number: 7) { %s } } }`, owner, name, sel)
	}
	tests := []struct {
		name, query, wantType, wantMsg, wantReport string
	}{
		{"first over 100", pr(`files(first: 101) { nodes { path } }`), "EXCESSIVE_PAGINATION",
			"Requesting 101 records on the `files` connection exceeds the `first` limit of 100 records.", "refuses"},
		{"no first", pr(`files { nodes { path } }`), "MISSING_PAGINATION_BOUNDARIES",
			"You must provide a `first` or `last` value to properly paginate the `files` connection.", "refuses"},
		{"unknown field", pr(`title`), "", "PullRequest.title", "not supported"},
		{"unknown argument", pr(`files(last: 2) { nodes { path } }`), "", "files(last:)", "not supported"},
		{"cursor the fake did not give", pr(`files(first: 2, after: "bm9wZQ==") { nodes { path } }`), "", "not a cursor", "not supported"},
		{"unknown field on a commit", fmt.Sprintf(`{ repository(owner: %q, name: %q) { object(oid: "abc123") { ... on Commit { message } } } }`, owner, name),
			"", "Commit.message", "not supported"},
	}
	for _, tc := range tests {
		before := len(rec.all())
		out, raw := query(t, f, tc.query, nil)
		if out.Data != nil || len(out.Errors) != 1 || out.Errors[0].Type != tc.wantType || !strings.Contains(out.Errors[0].Message, tc.wantMsg) {
			t.Errorf("%s: %s; want no data and one error %q of type %q", tc.name, raw, tc.wantMsg, tc.wantType)
		}
		if msgs := rec.all(); len(msgs) != before+1 || !strings.Contains(msgs[before], tc.wantReport) || !strings.Contains(msgs[before], tc.wantMsg) {
			t.Errorf("%s: reported %q; want one report saying %q", tc.name, msgs[before:], tc.wantReport)
		}
	}
}
