package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

// GitHub's GraphQL API has no OpenAPI description; the fake answers the one
// query the app sends (people's "busy" status) and reports anything else.
var userStatusField = regexp.MustCompile(`(\w+)\s*:\s*user\(login:\s*"([^"]+)"\)\s*\{\s*status\s*\{\s*indicatesLimitedAvailability\s*\}\s*\}`)

// SetBusy marks a user's GitHub status as "limited availability".
func (f *Fake) SetBusy(login string, busy bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st.busy == nil {
		f.st.busy = map[string]bool{}
	}
	f.st.busy[strings.ToLower(login)] = busy
}

func (f *Fake) graphql(r *http.Request, body []byte) response {
	req := &request{r: r, body: body, fake: f}
	if resp, ok := f.authenticate(req, "/graphql"); !ok {
		return resp
	}
	var q struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(body, &q); err != nil || q.Query == "" {
		f.report("githubfake: graphql: body is not a query")
		return response{status: http.StatusBadRequest, body: msg("Problems parsing JSON")}
	}
	fields := userStatusField.FindAllStringSubmatch(q.Query, -1)
	rest := strings.TrimSpace(userStatusField.ReplaceAllString(q.Query, ""))
	if len(fields) == 0 || strings.Trim(rest, "{} \n\tquery") != "" {
		f.report(fmt.Sprintf("githubfake: graphql query not supported by the fake: %q", q.Query))
		return response{status: http.StatusOK, body: map[string]any{"errors": []any{map[string]any{"message": "unsupported by the fake"}}}}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	data := map[string]any{}
	for _, m := range fields {
		status := any(nil)
		if busy, ok := f.st.busy[strings.ToLower(m[2])]; ok {
			status = map[string]any{"indicatesLimitedAvailability": busy}
		}
		data[m[1]] = map[string]any{"status": status}
	}
	return response{status: http.StatusOK, body: map[string]any{"data": data}}
}
