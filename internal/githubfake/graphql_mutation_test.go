package githubfake

import (
	"net/http"
	"strings"
	"testing"
)

// minimizeComment, as the app sends it (githubapi/mention.go), hides the
// comment; a misspelt classifier is refused by the schema; an unknown node
// is an error.
func TestGraphQLMinimizeComment(t *testing.T) {
	t.Parallel()
	var reports []string
	f := NewWithReporter(t, func(s string) { reports = append(reports, s) })
	seed(f)
	id := f.AddComment(owner, name, 7, f.BotLogin(), "<!-- reviewpolicy:mention remind g1 -->\n@bob")
	node := nodeID("IC", id)
	m := `mutation Minimize($id: ID!) { minimizeComment(input: {subjectId: $id, classifier: OUTDATED}) { minimizedComment { isMinimized } } }`
	status, out, raw := postGraphQL(t, f, f.IssueToken(instID), map[string]any{"query": m, "operationName": "Minimize",
		"variables": map[string]string{"id": node}})
	if status != http.StatusOK || len(out.Errors) != 0 || string(out.Data["minimizeComment"]) != `{"minimizedComment":{"isMinimized":true}}` {
		t.Fatalf("status %d: %s", status, raw)
	}
	if cs := f.Comments(owner, name, 7); len(cs) != 1 || cs[0].MinimizedReason != "OUTDATED" {
		t.Errorf("comments: %+v", cs)
	}
	bad := strings.Replace(m, "OUTDATED", "OLD", 1)
	if _, out, _ := postGraphQL(t, f, f.IssueToken(instID), map[string]any{"query": bad, "operationName": "Minimize",
		"variables": map[string]string{"id": node}}); len(out.Errors) == 0 {
		t.Error("classifier OLD accepted")
	}
	if _, out, _ := postGraphQL(t, f, f.IssueToken(instID), map[string]any{"query": m, "operationName": "Minimize",
		"variables": map[string]string{"id": "IC_nope"}}); len(out.Errors) == 0 {
		t.Error("an unknown node was minimized")
	}
	if len(reports) != 2 {
		t.Errorf("reports: %q", reports)
	}
}
