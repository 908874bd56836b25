// Package openapitrim cuts GitHub's REST OpenAPI description (13 MB) down
// to what the fake GitHub validates against, and patches back the request
// rules that octokit's copy of the description drops.
//
// ServedPaths is the one list of path templates kept in full: the trimming
// program (../cmd/trimspec) writes it into the committed copy, and the fake
// refuses a committed copy whose list differs, so the two cannot drift.
package openapitrim

// ServedPaths are the path templates whose operations keep their full
// definitions, with every component they reach. Add a path here when the app
// starts calling it, then run `go generate ./internal/githubfake`.
var ServedPaths = []string{
	"/app",
	"/app/installations",
	"/app/installations/{installation_id}/access_tokens",
	"/installation/repositories",
	"/orgs/{org}/teams/{team_slug}/members",
	"/rate_limit",
	"/repos/{owner}/{repo}",
	"/repos/{owner}/{repo}/check-runs",
	"/repos/{owner}/{repo}/check-runs/{check_run_id}",
	"/repos/{owner}/{repo}/collaborators/{username}",
	"/repos/{owner}/{repo}/collaborators/{username}/permission",
	"/repos/{owner}/{repo}/commits/{commit_sha}/pulls",
	"/repos/{owner}/{repo}/commits/{ref}/check-runs",
	"/repos/{owner}/{repo}/compare/{basehead}",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/git/blobs/{file_sha}",
	"/repos/{owner}/{repo}/git/trees/{tree_sha}",
	"/repos/{owner}/{repo}/installation",
	"/repos/{owner}/{repo}/issues/comments/{comment_id}",
	"/repos/{owner}/{repo}/issues/comments/{comment_id}/reactions",
	"/repos/{owner}/{repo}/issues/{issue_number}/comments",
	"/repos/{owner}/{repo}/issues/{issue_number}/timeline",
	"/repos/{owner}/{repo}/pulls",
	"/repos/{owner}/{repo}/pulls/{pull_number}",
	"/repos/{owner}/{repo}/pulls/{pull_number}/files",
	"/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
	"/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
	"/user",
	"/user/installations",
	"/user/installations/{installation_id}/repositories",
}
