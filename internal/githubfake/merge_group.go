package githubfake

import (
	"net/http"
	"strings"
	"sync"
)

// Comparisons for merge queues. The fake keeps no commit graph, so a test
// seeds what GitHub would answer for base...head with SetCompare. This file
// keeps its state apart from state.go (a registry keyed by repository) so
// that it merges without touching the shared files; it can fold into state
// later.

func init() {
	endpoints["GET /repos/{owner}/{repo}/compare/{basehead}"] = compareCommits
}

var compares = struct {
	sync.Mutex
	byRepo map[*repo]map[string][]string // "base...head" -> commit SHAs, oldest first
}{byRepo: map[*repo]map[string][]string{}}

// SetCompare makes GET /repos/{owner}/{repo}/compare/{base}...{head} list
// commits (SHAs, oldest first), as the commits head has and base lacks.
// A pair never set answers 404, as GitHub does for unrelated commits.
func (f *Fake) SetCompare(owner, repoName, base, head string, commits ...string) {
	f.mu.Lock()
	r := f.mustRepo(owner, repoName)
	f.mu.Unlock()
	compares.Lock()
	defer compares.Unlock()
	if compares.byRepo[r] == nil {
		compares.byRepo[r] = map[string][]string{}
	}
	compares.byRepo[r][base+"..."+head] = append([]string(nil), commits...)
}

func compareCommits(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	compares.Lock()
	shas, found := compares.byRepo[r][q.params["basehead"]]
	compares.Unlock()
	if !found {
		return notFound
	}
	base, head, _ := strings.Cut(q.params["basehead"], "...")
	items := make([]any, len(shas))
	for i, sha := range shas {
		items[i] = f.commitJSON(r, sha)
	}
	page, header := paginate(q, items)
	return response{status: http.StatusOK, header: header, body: map[string]any{
		"url":           f.apiURL("repos/%s/compare/%s", full(r), q.params["basehead"]),
		"html_url":      "https://github.com/" + full(r) + "/compare/" + q.params["basehead"],
		"permalink_url": "https://github.com/" + full(r) + "/compare/" + base + "..." + head,
		"diff_url":      "https://github.com/" + full(r) + "/compare/" + q.params["basehead"] + ".diff",
		"patch_url":     "https://github.com/" + full(r) + "/compare/" + q.params["basehead"] + ".patch",
		"base_commit":   f.commitJSON(r, base), "merge_base_commit": f.commitJSON(r, base),
		"status": "ahead", "ahead_by": len(shas), "behind_by": 0, "total_commits": len(shas),
		"commits": page, "files": []any{},
	}}
}

func (f *Fake) commitJSON(r *repo, sha string) map[string]any {
	ts := f.st.created.Format("2006-01-02T15:04:05Z")
	person := map[string]any{"name": "Codertocat", "email": "codertocat@example.com", "date": ts}
	return map[string]any{
		"sha": sha, "node_id": nodeID("C", stableID(sha)),
		"url":          f.apiURL("repos/%s/commits/%s", full(r), sha),
		"html_url":     "https://github.com/" + full(r) + "/commit/" + sha,
		"comments_url": f.apiURL("repos/%s/commits/%s/comments", full(r), sha),
		"commit": map[string]any{
			"message": "commit " + sha, "author": person, "committer": person, "comment_count": 0,
			"url":  f.apiURL("repos/%s/git/commits/%s", full(r), sha),
			"tree": map[string]any{"sha": blobSHA(sha), "url": f.apiURL("repos/%s/git/trees/%s", full(r), blobSHA(sha))},
		},
		"author": nil, "committer": nil, "parents": []any{},
	}
}
