package handlers

import (
	"encoding/json"
	"os"
	"testing"
)

func TestReadEnvelope(t *testing.T) {
	t.Parallel()
	fixture, err := os.ReadFile("testdata/webhooks/pull_request/ready_for_review.with-installation.payload.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, body   string
		action       string
		installation int64
		ok           bool
	}{
		{name: "real payload", body: string(fixture), action: "ready_for_review", installation: 1, ok: true},
		{name: "no action, no installation (ping)", body: `{"zen":"Keep it logically awesome.","hook_id":1}`, ok: true},
		{name: "null fields", body: `{"action":null,"installation":null}`, ok: true},
		{name: "nested action is not the event's", body: `{"pull_request":{"action":"x"},"installation":{"id":9}}`, installation: 9, ok: true},
		{name: "leading whitespace", body: " \n{\"action\":\"closed\"}", action: "closed", ok: true},
		{name: "escaped action", body: `{"action":"op\u0065ned"}`, action: "opened", ok: true},
		{name: "truncated", body: `{"action":"opened","installation":{"id":1}`},
		{name: "trailing garbage", body: `{"action":"opened"} {}`},
		{name: "array", body: `[{"action":"opened"}]`},
		{name: "null", body: `null`},
		{name: "empty", body: ``},
		{name: "form encoded", body: `payload=%7B%7D`},
		{name: "action not a string", body: `{"action":1}`},
		{name: "installation id not a number", body: `{"installation":{"id":"1"}}`},
		{name: "invalid UTF-8 replaced, as encoding/json does", body: "{\"action\":\"a\xffb\"}", action: "a\ufffdb", ok: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			action, installation, ok := readEnvelope([]byte(tc.body))
			if ok != tc.ok || action != tc.action || installation != tc.installation {
				t.Errorf("readEnvelope = %q, %d, %v; want %q, %d, %v", action, installation, ok, tc.action, tc.installation, tc.ok)
			}
		})
	}
}

// readEnvelope accepts only JSON objects, and every payload the
// encoding/json decoding it replaced accepted: nothing queued before is
// refused now and nothing unreadable is queued. (The fields' values are
// compared in FuzzReadEnvelopeFields: on raw bytes the two differ on purpose
// where JSON is odd, as encoding/json matches keys case-insensitively and
// keeps the last of duplicate keys; GitHub sends neither.)
func FuzzReadEnvelope(f *testing.F) {
	for _, s := range []string{`{"action":"opened","installation":{"id":3}}`, `{}`, `[]`, `{"a":[1,2,{"b":null}]}`,
		`{"action":"\ud83d\ude00"}`, `{"x":1e400}`, "{\"s\":\"\t\"}", `{"a":1,}`, "{\"action\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _, ok := readEnvelope(body)
		if ok && (!json.Valid(body) || !isObject(body)) {
			t.Fatalf("readEnvelope accepted %q, which is not a JSON object", body)
		}
		var old envelopeJSON
		if !ok && json.Unmarshal(body, &old) == nil && isObject(body) {
			t.Errorf("readEnvelope refused %q, which encoding/json read", body)
		}
	})
}

// What GitHub sends, readEnvelope reads as encoding/json does.
func FuzzReadEnvelopeFields(f *testing.F) {
	f.Add("opened", int64(42), "body text", true)
	f.Add("", int64(0), "", false)
	f.Add("a\"b\\c\u00e9\xff", int64(-1), "{\"action\":\"nested\"}", true)
	f.Fuzz(func(t *testing.T, action string, id int64, text string, withInstallation bool) {
		payload := map[string]any{"action": action, "pull_request": map[string]any{"body": text, "action": text}}
		if withInstallation {
			payload["installation"] = map[string]any{"id": id, "node_id": text}
		}
		body, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		var old envelopeJSON
		if err := json.Unmarshal(body, &old); err != nil {
			t.Fatal(err)
		}
		want := int64(0)
		if old.Installation != nil {
			want = old.Installation.ID
		}
		gotAction, gotID, ok := readEnvelope(body)
		if !ok || gotAction != old.Action || gotID != want {
			t.Errorf("readEnvelope(%s) = %q, %d, %v; encoding/json read %q, %d", body, gotAction, gotID, ok, old.Action, want)
		}
	})
}

// envelopeJSON is how the envelope was read before readEnvelope.
type envelopeJSON struct {
	Action       string `json:"action"`
	Installation *struct {
		ID int64 `json:"id"`
	} `json:"installation"`
}

func BenchmarkReadEnvelope(b *testing.B) {
	body, err := os.ReadFile("testdata/webhooks/pull_request/ready_for_review.with-installation.payload.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("gjson", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, _, ok := readEnvelope(body); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) { // what it replaced
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var env envelopeJSON
			if err := json.Unmarshal(body, &env); err != nil {
				b.Fatal(err)
			}
		}
	})
}
