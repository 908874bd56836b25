package githubapi

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// maxStatusLogins bounds one status query (GraphQL's node limit is far
// higher; a rule rarely has more candidates).
const maxStatusLogins = 100

// statusTTL is how long a person's status is trusted. No webhook tells of
// a status change, and the status only orders candidates (a preference,
// never a requirement), so a few minutes' delay costs nothing that matters
// while a burst of pull requests asks about the same people once.
const statusTTL = 5 * time.Minute

type status struct {
	busy bool
	at   time.Time
}

// Busy asks GitHub's GraphQL API at url which of logins set their status
// to "limited availability"; the result is keyed by lower-cased login. Only
// the status needs GraphQL (REST has no such field), and one query covers
// every candidate whose status was not read within statusTTL. No url or no
// logins asks nothing.
func (in *Installation) Busy(ctx context.Context, url string, logins []string) (map[string]bool, error) {
	if url == "" || len(logins) == 0 {
		return nil, nil
	}
	busy, missing := in.api.cachedStatuses(logins)
	if len(missing) == 0 {
		return busy, nil
	}
	fresh, err := in.queryBusy(ctx, url, missing)
	if err != nil {
		return nil, err
	}
	now := in.api.now()
	for _, l := range missing {
		b := fresh[strings.ToLower(l)]
		in.api.cache.statuses.Add(strings.ToLower(l), status{busy: b, at: now})
		if b {
			busy[strings.ToLower(l)] = true
		}
	}
	return busy, nil
}

// cachedStatuses splits logins into the busy ones known within statusTTL
// and those to ask about (sorted, unique, at most maxStatusLogins).
func (a *API) cachedStatuses(logins []string) (busy map[string]bool, missing []string) {
	busy = map[string]bool{}
	now := a.now()
	for _, l := range logins {
		v, ok := a.cache.statuses.Get(strings.ToLower(l))
		if s, _ := v.(status); ok && now.Sub(s.at) >= 0 && now.Sub(s.at) < statusTTL {
			if s.busy {
				busy[strings.ToLower(l)] = true
			}
			continue
		}
		missing = append(missing, l)
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	if len(missing) > maxStatusLogins {
		missing = missing[:maxStatusLogins]
	}
	return busy, missing
}

// queryBusy asks about logins in one GraphQL query.
func (in *Installation) queryBusy(ctx context.Context, url string, logins []string) (map[string]bool, error) {
	var out struct {
		Data map[string]*struct {
			Status *struct {
				IndicatesLimitedAvailability bool `json:"indicatesLimitedAvailability"`
			} `json:"status"`
		} `json:"data"`
	}
	if err := in.postGraphQL(ctx, url, statusQuery(logins), "", nil, &out); err != nil {
		return nil, fmt.Errorf("status query: %w", err)
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
