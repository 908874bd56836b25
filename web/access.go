package web

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
)

// Access lists the repositories ("owner/name", lower-cased) a user token
// reaches through the app's installations.
type Access interface {
	Repos(ctx context.Context, token string) (map[string]bool, error)
}

// GitHubAccess asks GitHub: GET /user/installations, then
// /user/installations/{id}/repositories for each, every page.
type GitHubAccess struct {
	APIURL string
	Client *http.Client
}

// maxAccessPages bounds the listing (100 per page): 10,000 repositories.
const maxAccessPages = 100

// Repos implements Access.
func (g *GitHubAccess) Repos(ctx context.Context, token string) (map[string]bool, error) {
	c, err := g.client(token)
	if err != nil {
		return nil, err
	}
	var ids []int64
	opt := &github.ListOptions{PerPage: 100}
	for page := 0; page < maxAccessPages; page++ {
		insts, res, err := c.Apps.ListUserInstallations(ctx, opt)
		if err != nil {
			return nil, fmt.Errorf("web: listing the user's installations: %w", err)
		}
		for _, in := range insts {
			ids = append(ids, in.GetID())
		}
		if res.NextPage == 0 {
			break
		}
		opt.Page = res.NextPage
	}
	out := map[string]bool{}
	for _, id := range ids {
		if err := g.addRepos(ctx, c, id, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (g *GitHubAccess) addRepos(ctx context.Context, c *github.Client, id int64, out map[string]bool) error {
	opt := &github.ListOptions{PerPage: 100}
	for page := 0; page < maxAccessPages; page++ {
		repos, res, err := c.Apps.ListUserRepos(ctx, id, opt)
		if err != nil {
			return fmt.Errorf("web: listing installation %d's repositories: %w", id, err)
		}
		for _, r := range repos.Repositories {
			out[strings.ToLower(r.GetFullName())] = true
		}
		if res.NextPage == 0 {
			return nil
		}
		opt.Page = res.NextPage
	}
	return nil
}

func (g *GitHubAccess) client(token string) (*github.Client, error) {
	c := github.NewClient(g.Client).WithAuthToken(token)
	base := g.APIURL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("web: api url: %w", err)
	}
	c.BaseURL = u
	return c, nil
}

// accessCache keeps each session's access for a short while, so a page
// view usually costs no GitHub call, and a lost access is seen within ttl.
// Keyed by the session's ID and a hash of its token, never the token.
type accessCache struct {
	src Access
	ttl time.Duration
	now func() time.Time

	mu      sync.Mutex
	entries map[string]accessEntry
}

type accessEntry struct {
	repos map[string]bool
	at    time.Time
}

// maxAccessEntries bounds the cache; past it, expired entries go first.
const maxAccessEntries = 10000

func newAccessCache(src Access, ttl time.Duration, now func() time.Time) *accessCache {
	return &accessCache{src: src, ttl: ttl, now: now, entries: map[string]accessEntry{}}
}

// staleAccess is how old a session's cached access may be and still be
// used when GitHub cannot answer the access check for a while.
const staleAccess = 10 * time.Minute

// errAccessRevoked: GitHub refused the token (401), so the session ends.
var errAccessRevoked = errors.New("web: GitHub refused the user's token")

// unavailableError is an access check that failed for a reason that may
// pass (5xx, network, rate limit) with no recent access to fall back on.
type unavailableError struct {
	retryAfter time.Duration
	err        error
}

func (e *unavailableError) Error() string { return "web: access check unavailable: " + e.err.Error() }
func (e *unavailableError) Unwrap() error { return e.err }

// repos returns the session's access: cached within ttl, else asked of
// GitHub. When GitHub fails for a passing reason, access cached within
// staleAccess stands in; only a refused token is errAccessRevoked.
func (c *accessCache) repos(ctx context.Context, v *session) (map[string]bool, error) {
	sum := sha256.Sum256([]byte(v.ID + "\x00" + v.Token))
	key := string(sum[:])
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.repos, nil
	}
	repos, err := c.src.Repos(ctx, v.Token)
	if err != nil {
		if refused(err) {
			return nil, fmt.Errorf("%w: %w", errAccessRevoked, err)
		}
		if ok && now.Sub(e.at) < staleAccess {
			return e.repos, nil
		}
		return nil, &unavailableError{retryAfter: retryAfter(err), err: err}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxAccessEntries {
		for k, old := range c.entries {
			if now.Sub(old.at) >= c.ttl || len(c.entries) >= maxAccessEntries {
				delete(c.entries, k)
			}
		}
	}
	c.entries[key] = accessEntry{repos: repos, at: now}
	return repos, nil
}

// refused reports whether GitHub answered 401: the token was revoked or
// expired.
func refused(err error) bool {
	var er *github.ErrorResponse
	return errors.As(err, &er) && er.Response != nil && er.Response.StatusCode == http.StatusUnauthorized
}

// retryAfter is when to try again: GitHub's rate limit reset or
// Retry-After when it said, else half a minute, within a minute and an hour.
func retryAfter(err error) time.Duration {
	d := 30 * time.Second
	var rl *github.RateLimitError
	var abuse *github.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		d = time.Until(rl.Rate.Reset.Time)
	case errors.As(err, &abuse) && abuse.RetryAfter != nil:
		d = *abuse.RetryAfter
	}
	return min(max(d, 5*time.Second), time.Hour).Round(time.Second)
}

// owners lists the owners of the repositories, sorted.
func owners(repos map[string]bool) []string {
	seen := map[string]bool{}
	for full := range repos {
		o, _, _ := strings.Cut(full, "/")
		seen[o] = true
	}
	out := make([]string, 0, len(seen))
	for o := range seen {
		out = append(out, o)
	}
	sort.Strings(out)
	return out
}
