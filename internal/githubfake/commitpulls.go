package githubfake

import (
	"sort"
	"strings"
)

func init() {
	endpoints["GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls"] = listPullsForCommit
}

// listPullsForCommit answers the pull requests whose head is the commit, open
// and closed, as GitHub does for a commit that is not on the default branch.
func listPullsForCommit(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	sha := q.params["commit_sha"]
	var numbers []int
	for n, p := range r.pulls {
		if strings.EqualFold(p.HeadSHA, sha) {
			numbers = append(numbers, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(numbers)))
	out := make([]any, len(numbers))
	for i, n := range numbers {
		out[i] = f.pullJSON(r, r.pulls[n])
	}
	page, header := paginate(q, out)
	return response{status: 200, body: page, header: header}
}

// EditPullRequest changes a seeded pull request as a person or a push
// would (body, title, draft, head, state, labels, files), before the test
// sends the webhook that reports the change.
func (f *Fake) EditPullRequest(owner, repoName string, number int, edit func(*PullRequest)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	edit(&p.PullRequest)
}
