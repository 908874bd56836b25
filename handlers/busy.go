package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"
)

// maxStatusLogins bounds one status query (GraphQL's node limit is far
// higher; a rule rarely has more candidates).
const maxStatusLogins = 100

// busyPeople asks GitHub's GraphQL API which of logins set their status to
// "limited availability" (busy). Only the REST-less status needs GraphQL,
// and one query covers every candidate. A failure leaves nobody busy: the
// preference is a nicety, not worth failing an evaluation over.
func (a *App) busyPeople(ctx context.Context, c *github.Client, logins []string) map[string]bool {
	if a.GraphQLURL == "" || len(logins) == 0 {
		return nil
	}
	logins = slices.Clone(logins)
	slices.Sort(logins)
	logins = slices.Compact(logins)
	if len(logins) > maxStatusLogins {
		logins = logins[:maxStatusLogins]
	}
	var q strings.Builder
	q.WriteString("query {")
	for i, l := range logins {
		// Logins are validated by the policy parser or come from GitHub;
		// quote them anyway so no value can change the query.
		name, _ := json.Marshal(l)
		fmt.Fprintf(&q, " u%d: user(login: %s) { status { indicatesLimitedAvailability } }", i, name)
	}
	q.WriteString(" }")
	body, _ := json.Marshal(map[string]string{"query": q.String()})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.GraphQLURL, bytes.NewReader(body))
	if err != nil {
		return nil
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.Client().Do(req)
	if err != nil {
		a.Logger.Warn("reading GitHub statuses", "err", err)
		return nil
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
		a.Logger.Warn("reading GitHub statuses", "status", res.StatusCode)
		return nil
	}
	busy := map[string]bool{}
	for i, l := range logins {
		if u := out.Data[fmt.Sprintf("u%d", i)]; u != nil && u.Status != nil && u.Status.IndicatesLimitedAvailability {
			busy[strings.ToLower(l)] = true
		}
	}
	return busy
}
