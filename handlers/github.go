package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
	lru "github.com/hashicorp/golang-lru"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// GitHub answers at most 3000 files for a pull request.
const maxFiles = 3000

// caches keep what cannot change for a given key: files of a head SHA and
// parsed policies of a blob SHA. They are per process; a replica that misses
// pays one listing, which conditional requests make cheap.
type caches struct {
	files    *lru.Cache // repoID/headSHA -> []string
	policies *lru.Cache // path@blob SHA -> parsed policy result
	blobs    *lru.Cache // blob SHA -> text (templates, CODEOWNERS, policies)
	// collaborators: "repoID/login" -> collaborator, trusted for collaboratorTTL.
	collaborators *lru.Cache
}

// contentHash identifies what the app wrote to an object.
func contentHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func newCaches() *caches {
	files, _ := lru.New(2048)
	policies, _ := lru.New(1024)
	blobs, _ := lru.New(1024)
	collaborators, _ := lru.New(4096)
	return &caches{files: files, policies: policies, blobs: blobs, collaborators: collaborators}
}

// repoRef names one pull request of one installation.
type repoRef struct {
	Installation int64
	RepoID       int64
	Owner, Repo  string
	Number       int
}

func (r repoRef) String() string { return fmt.Sprintf("%s/%s#%d", r.Owner, r.Repo, r.Number) }

// getFile returns a file's text and blob SHA at ref; found is false on 404.
func getFile(ctx context.Context, c *github.Client, owner, repo, path, ref string) (text, sha string, found bool, err error) {
	fc, _, resp, err := c.Repositories.GetContents(ctx, owner, repo, path, &github.RepositoryContentGetOptions{Ref: ref})
	if resp != nil && resp.StatusCode == http.StatusNotFound {
		return "", "", false, nil
	}
	if err != nil {
		return "", "", false, fmt.Errorf("reading %s/%s:%s@%s: %w", owner, repo, path, ref, err)
	}
	if fc == nil { // a directory
		return "", "", false, nil
	}
	text, err = fc.GetContent()
	if err != nil {
		return "", "", false, fmt.Errorf("decoding %s/%s:%s: %w", owner, repo, path, err)
	}
	return text, fc.GetSHA(), true, nil
}

// listFiles lists every changed path once per head SHA.
func (a *App) listFiles(ctx context.Context, c *github.Client, r repoRef, headSHA string) ([]string, error) {
	key := fmt.Sprintf("%d/%s", r.RepoID, headSHA)
	if v, ok := a.cache.files.Get(key); ok {
		return v.([]string), nil
	}
	var files []string
	opt := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.PullRequests.ListFiles(ctx, r.Owner, r.Repo, r.Number, opt)
		if err != nil {
			return nil, fmt.Errorf("listing files of %s: %w", r, err)
		}
		for _, f := range page {
			files = append(files, f.GetFilename())
			if prev := f.GetPreviousFilename(); prev != "" {
				files = append(files, prev)
			}
		}
		if resp.NextPage == 0 || len(files) >= maxFiles*2 {
			break
		}
		opt.Page = resp.NextPage
	}
	a.cache.files.Add(key, files)
	return files, nil
}

func listReviews(ctx context.Context, c *github.Client, r repoRef) ([]*github.PullRequestReview, error) {
	var all []*github.PullRequestReview
	opt := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := c.PullRequests.ListReviews(ctx, r.Owner, r.Repo, r.Number, opt)
		if err != nil {
			return nil, fmt.Errorf("listing reviews of %s: %w", r, err)
		}
		all = append(all, page...)
		if resp.NextPage == 0 {
			return all, nil
		}
		opt.Page = resp.NextPage
	}
}

// teamMembers lists a team's members; found is false when the team does not
// exist or the app cannot see it.
func teamMembers(ctx context.Context, c *github.Client, org, slug string) (members []string, found bool, err error) {
	opt := &github.TeamListTeamMembersOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.Teams.ListTeamMembersBySlug(ctx, org, slug, opt)
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			return nil, false, nil
		}
		if err != nil {
			return nil, false, fmt.Errorf("listing members of @%s/%s: %w", org, slug, err)
		}
		for _, u := range page {
			members = append(members, u.GetLogin())
		}
		if resp.NextPage == 0 {
			return members, true, nil
		}
		opt.Page = resp.NextPage
	}
}

// findSticky looks for the app's marker among the pull request's comments.
func findSticky(ctx context.Context, c *github.Client, r repoRef, bot string) (id int64, body string, found bool, err error) {
	opt := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		page, resp, err := c.Issues.ListComments(ctx, r.Owner, r.Repo, r.Number, opt)
		if err != nil {
			return 0, "", false, fmt.Errorf("listing comments of %s: %w", r, err)
		}
		for _, cm := range page {
			// Anyone can paste the marker; only the app's own comment counts.
			if strings.EqualFold(cm.GetUser().GetLogin(), bot) && strings.HasPrefix(cm.GetBody(), check.Marker) {
				return cm.GetID(), cm.GetBody(), true, nil
			}
		}
		if resp.NextPage == 0 {
			return 0, "", false, nil
		}
		opt.Page = resp.NextPage
	}
}

var errNoClient = errors.New("no installation in the payload")

// botLogin is the login GitHub shows on what the app writes ("slug[bot]"),
// asked of GitHub once per process.
func (a *App) botLogin(ctx context.Context) (string, error) {
	a.botMu.Lock()
	defer a.botMu.Unlock()
	if a.bot != "" {
		return a.bot, nil
	}
	c, err := a.Clients.NewAppClient()
	if err != nil {
		return "", err
	}
	app, _, err := c.Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("reading the app's own slug: %w", err)
	}
	a.bot = app.GetSlug() + "[bot]"
	return a.bot, nil
}
