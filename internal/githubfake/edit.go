package githubfake

// EditPullRequest changes a seeded pull request as a person or a push
// would (body, title, draft, head, state, labels, files), before the test
// sends the webhook that reports the change.
func (f *Fake) EditPullRequest(owner, repoName string, number int, edit func(*PullRequest)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	edit(&p.PullRequest)
}
