package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	t.Parallel()
	got, err := parseMix(" pull_request=70, pull_request_review=20,check_suite=5,ping=5,push=0")
	if err != nil {
		t.Fatal(err)
	}
	want := []weight{{"pull_request", 70}, {"pull_request_review", 20}, {"check_suite", 5}, {"ping", 5}}
	if len(got) != len(want) {
		t.Fatalf("parseMix = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("parseMix = %v, want %v", got, want)
		}
	}
	for _, bad := range []string{"", "ping", "ping=x", "ping=-1", "=3", "ping=1,ping=2", "ping=0"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) succeeded, want an error", bad)
		}
	}
}

// writePayloads lays out a payload directory like the octokit examples.
func writePayloads(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const prPayload = `{"action":"opened","number":2,
 "pull_request":{"number":2,"state":"open","title":"<b>x</b>","head":{"sha":"ec26c3e","ref":"changes"},"base":{"ref":"master"}},
 "repository":{"id":186853002,"name":"Hello-World","full_name":"Codertocat/Hello-World","owner":{"login":"Codertocat"}},
 "installation":{"id":42}}`

func TestTemplateRewritesPullRequest(t *testing.T) {
	t.Parallel()
	tm, err := newTemplate("pull_request", "opened.json", []byte(prPayload))
	if err != nil {
		t.Fatal(err)
	}
	if !tm.TracksSHA {
		t.Errorf("an open pull request's SHA should be tracked")
	}
	body := tm.render(vars{PR: 17, RepoID: 100003, Repo: "loadgen-3", SHA: "abc123"})
	var got struct {
		Number      int
		PullRequest struct {
			Number int
			Title  string
			Head   struct{ SHA, Ref string }
		} `json:"pull_request"`
		Repository struct {
			ID       int64
			Name     string
			FullName string `json:"full_name"`
		}
		Installation struct{ ID int64 }
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("rendered body is not JSON: %v\n%s", err, body)
	}
	if got.Number != 17 || got.PullRequest.Number != 17 || got.PullRequest.Head.SHA != "abc123" ||
		got.PullRequest.Head.Ref != "changes" || got.PullRequest.Title != "<b>x</b>" {
		t.Errorf("pull request = %+v", got.PullRequest)
	}
	if got.Repository.ID != 100003 || got.Repository.Name != "loadgen-3" || got.Repository.FullName != "Codertocat/loadgen-3" {
		t.Errorf("repository = %+v", got.Repository)
	}
	if got.Installation.ID != 42 {
		t.Errorf("installation = %d, want it kept as 42", got.Installation.ID)
	}
}

func TestTemplateRewritesCheckSuite(t *testing.T) {
	t.Parallel()
	payload := `{"action":"rerequested","check_suite":{"head_sha":"old","pull_requests":[{"number":5,"head":{"sha":"old"}}]},
	 "repository":{"id":1,"name":"r","full_name":"o/r","owner":{"login":"o"}},"installation":{"id":7}}`
	tm, err := newTemplate("check_suite", "rerequested.json", []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	if tm.TracksSHA {
		t.Errorf("a check suite's job reads the pull request afresh; its SHA cannot be tracked")
	}
	var got struct {
		CheckSuite struct {
			HeadSHA      string `json:"head_sha"`
			PullRequests []struct {
				Number int
				Head   struct{ SHA string }
			} `json:"pull_requests"`
		} `json:"check_suite"`
	}
	if err := json.Unmarshal(tm.render(vars{PR: 9, RepoID: 2, Repo: "n", SHA: "feed"}), &got); err != nil {
		t.Fatal(err)
	}
	cs := got.CheckSuite
	if cs.HeadSHA != "feed" || len(cs.PullRequests) != 1 || cs.PullRequests[0].Number != 9 || cs.PullRequests[0].Head.SHA != "feed" {
		t.Errorf("check suite = %+v", cs)
	}
}

func TestLoadTemplatesSkipsPayloadsWithoutInstallation(t *testing.T) {
	t.Parallel()
	dir := writePayloads(t, map[string]string{
		"pull_request/opened.json":           prPayload,
		"pull_request/no-installation.json":  `{"action":"opened","number":1}`,
		"ping/payload.json":                  `{"zen":"Keep it logically awesome.","hook_id":1}`,
		"pull_request_review/submitted.json": `{"action":"submitted"}`,
	})
	ts, err := loadTemplates(dir, []weight{{"pull_request", 1}, {"ping", 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ts["pull_request"]) != 1 || ts["pull_request"][0].Name != "opened.json" {
		t.Errorf("pull_request templates = %v, want only opened.json", ts["pull_request"])
	}
	if len(ts["ping"]) != 1 {
		t.Errorf("ping needs no installation; templates = %v", ts["ping"])
	}
	if _, err := loadTemplates(dir, []weight{{"pull_request_review", 1}}); err == nil {
		t.Errorf("an event with no usable payload should be an error")
	}
}

func TestPickerFollowsMixAndNeverRepeatsIDsOrBodies(t *testing.T) {
	t.Parallel()
	dir := writePayloads(t, map[string]string{
		"pull_request/opened.json": prPayload,
		"ping/payload.json":        `{"zen":"z"}`,
	})
	mix := []weight{{"pull_request", 3}, {"ping", 1}}
	ts, err := loadTemplates(dir, mix)
	if err != nil {
		t.Fatal(err)
	}
	p := newPicker(1, mix, ts, 4, 10)
	ids, shas, bodies := map[string]bool{}, map[string]bool{}, map[string]bool{}
	counts := map[string]int{}
	const n = 4000
	for range n {
		d := p.next()
		if ids[d.ID] {
			t.Fatalf("delivery ID %s repeated", d.ID)
		}
		ids[d.ID] = true
		// The server refuses a body it has seen under another ID (a replay).
		if bodies[string(d.Body)] {
			t.Fatalf("%s delivery body repeated: %s", d.Event, d.Body)
		}
		bodies[string(d.Body)] = true
		counts[d.Event]++
		if d.Event == "pull_request" {
			if d.SHA == "" || shas[d.SHA] || !strings.Contains(string(d.Body), d.SHA) {
				t.Fatalf("pull_request delivery has SHA %q (seen before: %v)", d.SHA, shas[d.SHA])
			}
			shas[d.SHA] = true
		}
		if !json.Valid(d.Body) {
			t.Fatalf("delivery body is not JSON: %s", d.Body)
		}
	}
	// 3:1 within a generous margin (the picker is seeded, so this is stable).
	if pr := counts["pull_request"]; pr < n*70/100 || pr > n*80/100 {
		t.Errorf("pull_request share = %d of %d, want about 75%%", pr, n)
	}
}

// loadgen's default payloads are the examples committed in the repository,
// found from any directory inside it, and hold every event of the default
// mix; a fresh clone needs nothing beside it.
func TestDefaultPayloadsAreInTheRepository(t *testing.T) {
	dir := defaultPayloads()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(filepath.Dir(wd)) // cmd/loadgen -> module root
	if want := filepath.Join(root, payloadsInRepo); dir != want {
		t.Errorf("defaultPayloads() = %q, want %q", dir, want)
	}
	mix, err := parseMix(defaultMix)
	if err != nil {
		t.Fatal(err)
	}
	templates, err := loadTemplates(dir, mix)
	if err != nil {
		t.Fatalf("loading the default mix from %s: %v", dir, err)
	}
	for _, w := range mix {
		if len(templates[w.Event]) == 0 {
			t.Errorf("no %s payloads under %s", w.Event, dir)
		}
	}
	if n := len(templates["pull_request"]); n != 13 {
		t.Errorf("%d pull_request payloads; want the 13 octokit examples that name an installation", n)
	}
}

// TestUpdatedNowStampsThePullRequest: with -updated-now a pull request's
// updated_at is the time of building the delivery; without, the fixtures'.
func TestUpdatedNowStampsThePullRequest(t *testing.T) {
	t.Parallel()
	dir := writePayloads(t, map[string]string{"pull_request/opened.json": prPayload})
	mix := []weight{{"pull_request", 1}}
	ts, err := loadTemplates(dir, mix)
	if err != nil {
		t.Fatal(err)
	}
	updated := func(d delivery) time.Time {
		var doc struct {
			PR struct {
				UpdatedAt time.Time `json:"updated_at"`
			} `json:"pull_request"`
		}
		if err := json.Unmarshal(d.Body, &doc); err != nil {
			t.Fatal(err)
		}
		return doc.PR.UpdatedAt
	}
	p := newPicker(1, mix, ts, 1, 1)
	if got := updated(p.next()); got.Format(time.RFC3339) != fixtureUpdated {
		t.Errorf("without -updated-now: %v, want %s", got, fixtureUpdated)
	}
	p.updatedNow = true
	before := time.Now().Add(-time.Second)
	if got := updated(p.next()); got.Before(before) || got.After(time.Now().Add(time.Second)) {
		t.Errorf("with -updated-now: %v, want about now", got)
	}
}
