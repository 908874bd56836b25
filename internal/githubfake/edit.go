package githubfake

import "strconv"

// EditPullRequest changes a seeded pull request as a person or a push
// would (body, title, draft, head, state, labels, files), before the test
// sends the webhook that reports the change.
func (f *Fake) EditPullRequest(owner, repoName string, number int, edit func(*PullRequest)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	edit(&p.PullRequest)
}

// EditComment changes a comment's body as a person would in GitHub's page.
func (f *Fake) EditComment(owner, repoName string, id int64, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.mustRepo(owner, repoName).comments {
		if c.ID == id {
			c.Body = body
			return
		}
	}
	panic("githubfake: EditComment: no comment " + strconv.FormatInt(id, 10))
}

// DeleteComment removes a comment as a person would in GitHub's page.
func (f *Fake) DeleteComment(owner, repoName string, id int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, repoName)
	for i, c := range r.comments {
		if c.ID == id {
			r.comments = append(r.comments[:i], r.comments[i+1:]...)
			return
		}
	}
	panic("githubfake: DeleteComment: no comment " + strconv.FormatInt(id, 10))
}
