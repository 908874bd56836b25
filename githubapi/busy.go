package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// maxStatusLogins bounds one status query (GraphQL's node limit is far
// higher; a rule rarely has more candidates).
const maxStatusLogins = 100

// Busy asks GitHub's GraphQL API at url which of logins set their status
// to "limited availability"; the result is keyed by lower-cased login. Only
// the status needs GraphQL (REST has no such field), and one query covers
// every candidate. No url or no logins asks nothing.
func (in *Installation) Busy(ctx context.Context, url string, logins []string) (map[string]bool, error) {
	if url == "" || len(logins) == 0 {
		return nil, nil
	}
	logins = slices.Clone(logins)
	slices.Sort(logins)
	logins = slices.Compact(logins)
	if len(logins) > maxStatusLogins {
		logins = logins[:maxStatusLogins]
	}
	body, _ := json.Marshal(map[string]string{"query": statusQuery(logins)})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := in.c.Client().Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var out struct {
		Data map[string]*struct {
			Status *struct {
				IndicatesLimitedAvailability bool `json:"indicatesLimitedAvailability"`
			} `json:"status"`
		} `json:"data"`
	}
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&out) != nil {
		return nil, fmt.Errorf("status query answered %d", res.StatusCode)
	}
	busy := map[string]bool{}
	for i, l := range logins {
		if u := out.Data[fmt.Sprintf("u%d", i)]; u != nil && u.Status != nil && u.Status.IndicatesLimitedAvailability {
			busy[strings.ToLower(l)] = true
		}
	}
	return busy, nil
}

// statusQuery asks for each login's status under the alias u<index>.
func statusQuery(logins []string) string {
	var q strings.Builder
	q.WriteString("query {")
	for i, l := range logins {
		// Logins are validated by the policy parser or come from GitHub;
		// quote them anyway so no value can change the query.
		name, _ := json.Marshal(l)
		fmt.Fprintf(&q, " u%d: user(login: %s) { status { indicatesLimitedAvailability } }", i, name)
	}
	q.WriteString(" }")
	return q.String()
}
