package handlers

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The payloads of cmd/reviewpolicy's end-to-end tests (octokit's, see
// their SOURCE.md).
const webhookFixtures = "../cmd/reviewpolicy/testdata/webhooks/"

// TestDecodeSparseAsUnmarshal: on every pull_request and review payload of
// the fixtures, and on hand-made ones at the edges, decodeSparse gives
// what json.Unmarshal gives, and fails where it fails.
func TestDecodeSparseAsUnmarshal(t *testing.T) {
	var payloads = map[string]string{
		"nulls":                    `{"number": null, "pull_request": null, "repository": {"id": null, "owner": null}, "sender": null}`,
		"null labels":              `{"pull_request": {"labels": [null, {"name": "a"}], "requested_reviewers": null}}`,
		"keys in another case":     `{"Number": 7, "PULL_REQUEST": {"Title": "t", "number": 8}}`,
		"a key twice":              `{"number": 1, "number": 2, "pull_request": {"title": "a"}, "pull_request": {"body": "b"}}`,
		"escapes":                  `{"pull_request": {"title": "\u003cb\u003e \ud83d\ude00 \"q\"", "body": "line\nnext"}}`,
		"timestamps":               `{"pull_request": {"updated_at": "2026-12-06T10:00:00Z", "closed_at": 1700000000}}`,
		"changes":                  `{"changes": {"title": {"from": "x"}, "base": {"ref": {"from": "main"}}}}`,
		"unknown deep":             `{"x": [[[[{"a": [1, {"b": null}]}]]]], "number": 3}`,
		"a string for a number":    `{"number": "7"}`,
		"a float for an int":       `{"number": 7.5}`,
		"an array for an object":   `{"pull_request": []}`,
		"a number for an array":    `{"pull_request": {"labels": 3}}`,
		"an object for a string":   `{"pull_request": {"title": {}}}`,
		"a string for a bool":      `{"pull_request": {"draft": "yes"}}`,
		"a bad timestamp":          `{"pull_request": {"updated_at": "yesterday"}}`,
		"a number for changes":     `{"changes": {"title": 1}}`,
		"not an object":            `[1, 2]`,
		"escaped key":              `{"\u006eumber": 5, "pull_\u0072equest": {"title": "t"}}`,
		"capital keys":             `{"NUMBER": 5, "Sender": {"LOGIN": "x"}, "Unknown": {"A": 1}}`,
		"kelvin sign key":          `{"sender": {"\u212aey": 1, "login": "\u212a"}}`,
		"quotes and backslashes":   `{"x": "a\\", "y": "b\\\"]}", "pull_request": {"title": "c\\\\", "body": "\"}"}}`,
		"brackets in strings":      `{"x": ["]", "}", {"a": "{["}], "number": 9}`,
		"spaces everywhere":        " \n{ \"number\" :\t4 , \"pull_request\" : { \"labels\" : [ { \"name\" : \"l\" } , null ] } } \n",
		"empty containers":         `{"pull_request": {"labels": [], "requested_reviewers": [], "head": {}}, "changes": {}}`,
		"labels twice":             `{"pull_request": {"labels": [{"name": "a"}, {"name": "b"}], "labels": [{}]}}`,
		"data after the object":    `{"number": 1} {"number": 2}`,
		"unterminated":             `{"number": 1, "pull_request": {"title": "x"`,
		"empty":                    ``,
		"invalid utf-8 in a key":   "{\"n\xffumber\": 1, \"number\": 2}",
		"invalid utf-8 in a value": "{\"pull_request\": {\"title\": \"a\xffb\"}}",
	}
	for _, dir := range []string{"pull_request", "pull_request_review"} {
		files, err := filepath.Glob(filepath.Join(webhookFixtures, dir, "*.json"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no fixtures in %s: %v", dir, err)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			payloads[f] = string(b)
		}
	}
	for name, p := range payloads {
		if msg := sparseDiffers([]byte(p)); msg != "" {
			t.Errorf("%s: %s", name, msg)
		}
	}
}

// sparseDiffers says how decodeSparse and json.Unmarshal disagree on p,
// or "". Both may fail on it; one failing alone is a difference.
func sparseDiffers(p []byte) string {
	for _, fresh := range []func() any{func() any { return new(prEvent) }, func() any { return new(reviewEvent) }} {
		want, got := fresh(), fresh()
		wantErr := json.Unmarshal(p, want)
		gotErr := decodeSparse(p, got)
		if (wantErr == nil) != (gotErr == nil) {
			return fmt.Sprintf("into %T: error %v, json.Unmarshal's %v", got, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			return fmt.Sprintf("into %T:\n got %s\nwant %s", got, g, w)
		}
	}
	return ""
}

// FuzzDecodeSparse: on valid JSON decodeSparse agrees with json.Unmarshal;
// on any input it returns (the intake stores only valid JSON, but a bug
// there must not become a panic or a hang here).
func FuzzDecodeSparse(f *testing.F) {
	for _, seed := range []string{`{"number": 1, "pull_request": {"labels": [{"name": "a"}, null]}}`,
		`{"x": ["]", {"a": "{"}], "review": {"user": {"login": "\u00e9"}}}`, `{"changes": {"title": {}}}`, `[]`, `"`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if !json.Valid(p) {
			_ = decodeSparse(p, new(prEvent))
			return
		}
		if msg := sparseDiffers(p); msg != "" {
			t.Errorf("%q: %s", p, msg)
		}
	})
}

func BenchmarkDecodePullRequest(b *testing.B) {
	p, err := os.ReadFile(filepath.Join(webhookFixtures, "pull_request/opened.payload.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			var ev prEvent
			if err := json.Unmarshal(p, &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeSparse", func(b *testing.B) {
		b.SetBytes(int64(len(p)))
		for b.Loop() {
			var ev prEvent
			if err := decodeSparse(p, &ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}
