// Package githubfake is an in-process fake of the GitHub REST API for tests.
//
// A Fake serves the endpoints the app calls (installation tokens, repository
// contents, pull requests (also by head commit), reviews and review
// requests, team members, collaborators and their permission, check runs,
// issue comments, rate limit, and for the web pages the GitHub App web flow
// (oauth.go) with /user and /user/installations listings) from in-memory state that tests seed
// (AddRepo, SetFile, AddPullRequest, ...) and inspect (Calls, CheckRuns,
// Comments, RequestedReviewers). Responses have GitHub's
// shapes, pagination Link headers, ETags with 304 answers, and rate-limit
// headers; FailNext injects one-off failures such as 502s or rate limiting.
//
// # Why every request is validated
//
// A fake that accepts whatever it is sent lets the app pass its tests while
// sending requests GitHub rejects (a completed check run without a
// conclusion, a review request naming nobody, per_page=101). So each request
// is checked against GitHub's own OpenAPI description of the API: method,
// path, path and query parameters, and JSON body. Rules that octokit's copy
// of the description dropped are patched back from
// upstream-request-body-diffs.json, and GitHub's per_page maximum of 100 is
// enforced. A request that breaks a rule gets a 422 naming the rule and is
// also reported with t.Errorf, so the test fails even when the app retries
// or swallows the error. Requests for endpoints GitHub does not have, or
// that the fake does not serve, get a 404 and are reported too.
//
// The description is a trimmed copy committed in testdata/openapi and
// embedded in the package: GitHub's 13 MB file cut down by cmd/trimspec to
// the operations of openapitrim.ServedPaths and the components they use,
// with every other operation kept as a method and path only (see
// testdata/openapi/SOURCE.md, and `go generate` to refresh it). It is loaded
// once per test binary (about 0.15 s; 1 s under -race). A copy that does
// not keep exactly ServedPaths, or an upstream rule that finds no operation
// to patch, fails the test: validation is never skipped silently.
//
// # GraphQL
//
// POST /graphql validates each query (and its variables) against GitHub's
// GraphQL schema (testdata/graphql, from @octokit/graphql-schema, parsed on
// the first GraphQL request of the test binary, about 60 ms). An invalid
// query gets GitHub's answer, 200 with "errors" and no "data", and is
// reported like an invalid REST request. A valid query is answered from
// the users' seeded status (SetBusy) and login, a repository's pull
// requests (head, files, renames) and the pull requests on a commit, and
// the minimizeComment mutation; any other field is reported as
// unsupported rather than answered with made-up data.
//
// # Authentication
//
// /app/... endpoints require the app's JWT (RS256, signed with PrivateKeyPEM,
// iss = AppID), as GitHub does. All other endpoints require an installation
// token from POST /app/installations/{id}/access_tokens or IssueToken, and
// only see the repositories of that installation (others answer 404).
//
// # Seeding notes
//
// Repositories must be added before files or pull requests (misuse panics).
// Requesting a team reviewer needs the team (AddTeam); once SetCollaborators
// or SetPermission is called, only those logins may be requested as
// reviewers, matching GitHub's 422 answers. The permission endpoint reports
// their role (SetCollaborators: write); anyone else gets read on a public
// repository and none on a private one (SetPrivate). A commit's pull
// requests are those whose head it is. Comments the app writes are
// authored by BotLogin.
package githubfake
