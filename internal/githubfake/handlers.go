package githubfake

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"net/url"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// request is a validated, authenticated call to a served endpoint.
type request struct {
	r            *http.Request
	body         []byte
	params       map[string]string
	fake         *Fake
	installation int64  // set for installation-token calls
	user         string // set for user-token calls (lower-cased login)
}

type handler func(*request) response

// endpoints maps "METHOD /template" (as in GitHub's description) to its
// handler. Each handler takes Fake.mu for its whole run.
var endpoints = map[string]handler{
	"POST /app/installations/{installation_id}/access_tokens": createToken,
	"GET /app":                       getApp,
	"GET /app/installations":         listInstallations,
	"GET /installation/repositories": listInstallationRepos,
	"GET /user":                      getUser,
	"GET /user/installations":        listUserInstallations,
	"GET /user/installations/{installation_id}/repositories": listUserInstallationRepos,
	"GET /rate_limit":                                                      getRateLimit,
	"GET /repos/{owner}/{repo}":                                            getRepo,
	"GET /repos/{owner}/{repo}/contents/{path}":                            getContents,
	"GET /repos/{owner}/{repo}/git/trees/{tree_sha}":                       getTree,
	"GET /repos/{owner}/{repo}/git/blobs/{file_sha}":                       getBlob,
	"GET /repos/{owner}/{repo}/pulls":                                      listPulls,
	"GET /repos/{owner}/{repo}/pulls/{pull_number}":                        getPull,
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/files":                  listPullFiles,
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews":                listReviews,
	"GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers":    listRequestedReviewers,
	"POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers":   requestReviewers,
	"DELETE /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers": removeRequestedReviewers,
	"GET /orgs/{org}/teams/{team_slug}/members":                            listTeamMembers,
	"GET /repos/{owner}/{repo}/collaborators/{username}":                   checkCollaborator,
	"GET /repos/{owner}/{repo}/collaborators/{username}/permission":        getCollaboratorPermission,
	"GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls":                 listPullsForCommit,
	"POST /repos/{owner}/{repo}/check-runs":                                createCheckRun,
	"GET /repos/{owner}/{repo}/check-runs/{check_run_id}":                  getCheckRun,
	"PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}":                updateCheckRun,
	"GET /repos/{owner}/{repo}/commits/{ref}/check-runs":                   listCheckRunsForRef,
	"GET /repos/{owner}/{repo}/issues/{issue_number}/comments":             listComments,
	"GET /repos/{owner}/{repo}/issues/{issue_number}/timeline":             listTimeline,
	"GET " + repoInstallationPath:                                          getRepoInstallation,
	"POST /repos/{owner}/{repo}/issues/{issue_number}/comments":            createComment,
	"GET /repos/{owner}/{repo}/issues/comments/{comment_id}":               getComment,
	"PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}":             updateComment,
}

var notFound = response{status: http.StatusNotFound, body: msg("Not Found")}

func ok(body any) response      { return response{status: http.StatusOK, body: body} }
func created(body any) response { return response{status: http.StatusCreated, body: body} }

func unprocessable(text string) response {
	return response{status: http.StatusUnprocessableEntity, body: msg(text)}
}

// --- apps and installations ---

func createToken(q *request) response {
	f := q.fake
	id, _ := strconv.ParseInt(q.params["installation_id"], 10, 64)
	f.mu.Lock()
	defer f.mu.Unlock()
	inst, found := f.st.installations[id]
	if !found {
		return notFound
	}
	tok, exp := f.issueLocked(id)
	return created(map[string]any{
		"token":                tok,
		"expires_at":           exp.Format(time.RFC3339),
		"permissions":          appPermissions,
		"repository_selection": inst.selection(),
	})
}

var appPermissions = map[string]string{
	"checks": "write", "contents": "read", "issues": "write", "members": "read",
	"metadata": "read", "pull_requests": "write",
}

func (i *installation) selection() string {
	if len(i.repos) == 0 {
		return "all"
	}
	return "selected"
}

func getApp(q *request) response {
	return ok(map[string]any{"id": appID, "slug": appSlug, "name": appSlug, "node_id": nodeID("A", appID),
		"owner": q.fake.userJSON("octo-org"), "html_url": "https://github.com/apps/" + appSlug,
		"created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
		"permissions": map[string]string{"checks": "write"}, "events": []string{"pull_request"}})
}

func listInstallations(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]int64, 0, len(f.st.installations))
	for id := range f.st.installations {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(a, b int) bool { return ids[a] < ids[b] })
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = f.installationJSON(f.st.installations[id])
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

func listInstallationRepos(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	inst := f.st.installations[q.installation]
	if inst == nil {
		return notFound
	}
	var out []any
	for _, k := range sortedKeys(f.st.repos) {
		if r := f.st.repos[k]; inst.canAccess(r) {
			out = append(out, f.repoJSON(r))
		}
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, header: header, body: map[string]any{
		"total_count": len(out), "repository_selection": inst.selection(), "repositories": page,
	}}
}

func (i *installation) canAccess(r *repo) bool {
	if len(i.repos) == 0 {
		return strings.EqualFold(i.account, r.owner)
	}
	return containsFold(i.repos, r.owner+"/"+r.name)
}

func getRateLimit(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	rate := map[string]any{
		"limit": rateLimit, "remaining": f.remaining, "reset": f.resetAt.Unix(),
		"used": rateLimit - f.remaining, "resource": "core",
	}
	return ok(map[string]any{"resources": map[string]any{"core": rate}, "rate": rate})
}

// --- repositories and contents ---

// repoFor returns the repository named in the path if the caller's
// installation may see it; GitHub answers 404 for repositories it hides.
func (q *request) repoFor() (*repo, bool) {
	f := q.fake
	r, found := f.st.repos[repoKey(q.params["owner"], q.params["repo"])]
	if !found {
		return nil, false
	}
	inst := f.st.installations[q.installation]
	if inst == nil || !inst.canAccess(r) {
		return nil, false
	}
	return r, true
}

func (q *request) pullFor() (*repo, *pull, bool) {
	r, found := q.repoFor()
	if !found {
		return nil, nil, false
	}
	n, _ := strconv.Atoi(q.params["pull_number"])
	p, found := r.pulls[n]
	return r, p, found
}

func getRepo(q *request) response {
	q.fake.mu.Lock()
	defer q.fake.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	return ok(q.fake.repoJSON(r))
}

func getContents(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	file := strings.Trim(q.params["path"], "/")
	for _, ref := range r.refAliases(q.r.URL.Query().Get("ref")) {
		if content, found := r.files[ref+"\x00"+file]; found {
			return ok(f.fileJSON(r, ref, file, content, true))
		}
		if entries := f.dirJSON(r, ref, file); len(entries) > 0 {
			return ok(entries)
		}
	}
	return notFound
}

// getTree answers a recursive tree of the files stored at a ref (branch
// name or head SHA); the fake keeps no directories, so it lists blobs only.
func getTree(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	var entries []any
	for _, ref := range r.refAliases(q.params["tree_sha"]) {
		for _, key := range sortedKeys(r.files) {
			fref, file, _ := strings.Cut(key, "\x00")
			if fref != ref {
				continue
			}
			entries = append(entries, map[string]any{"path": file, "mode": "100644", "type": "blob",
				"sha": blobSHA(r.files[key]), "size": len(r.files[key])})
		}
		if len(entries) > 0 {
			break
		}
	}
	if entries == nil {
		return notFound
	}
	return ok(map[string]any{"sha": blobSHA(q.params["tree_sha"]), "truncated": false, "tree": entries,
		"url": "https://api.github.com/repos/" + r.owner + "/" + r.name + "/git/trees/" + q.params["tree_sha"]})
}

// getBlob answers a blob of any stored file by its SHA, base64-encoded:
// the way to read a file the contents endpoint answers without content.
func getBlob(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	sha := q.params["file_sha"]
	for _, key := range sortedKeys(r.files) {
		if content := r.files[key]; blobSHA(content) == sha {
			return ok(map[string]any{"sha": sha, "node_id": nodeID("B", stableID(sha)), "size": len(content),
				"url": f.apiURL("repos/%s/%s/git/blobs/%s", r.owner, r.name, sha), "content": wrapBase64(content),
				"encoding": "base64"})
		}
	}
	return notFound
}

// refAliases lists the names under which files of ref may be stored: the
// ref itself, the default branch for "", and a pull request's branch for
// its head SHA (and back).
func (r *repo) refAliases(ref string) []string {
	if ref == "" {
		return []string{r.branch}
	}
	refs := []string{ref}
	for _, p := range r.pulls {
		switch ref {
		case p.HeadSHA:
			refs = append(refs, p.HeadRef)
		case p.HeadRef:
			refs = append(refs, p.HeadSHA)
		}
	}
	return refs
}

func (f *Fake) fileJSON(r *repo, ref, file, content string, withContent bool) map[string]any {
	sha := blobSHA(content)
	api := f.apiURL("repos/%s/%s/contents/%s?ref=%s", r.owner, r.name, file, url.QueryEscape(ref))
	html := fmt.Sprintf("https://github.com/%s/%s/blob/%s/%s", r.owner, r.name, ref, file)
	git := f.apiURL("repos/%s/%s/git/blobs/%s", r.owner, r.name, sha)
	m := map[string]any{
		"type": "file", "name": path.Base(file), "path": file, "sha": sha, "size": len(content),
		"url": api, "html_url": html, "git_url": git,
		"download_url": fmt.Sprintf("https://raw.githubusercontent.com/%s/%s/%s/%s", r.owner, r.name, ref, file),
		"_links":       map[string]string{"self": api, "git": git, "html": html},
	}
	switch {
	case withContent && len(content) > maxContentsSize:
		// GitHub sends files of 1 to 100 MB without their content.
		m["encoding"] = "none"
		m["content"] = ""
	case withContent:
		m["encoding"] = "base64"
		m["content"] = wrapBase64(content)
	}
	return m
}

// wrapBase64 encodes like GitHub: 60-character lines, each ending in "\n".
func wrapBase64(content string) string {
	enc := base64.StdEncoding.EncodeToString([]byte(content))
	var b strings.Builder
	for len(enc) > 60 {
		b.WriteString(enc[:60] + "\n")
		enc = enc[60:]
	}
	b.WriteString(enc + "\n")
	return b.String()
}

// dirJSON lists a directory the way GitHub does when the path names one.
func (f *Fake) dirJSON(r *repo, ref, dir string) []any {
	prefix := dir + "/"
	if dir == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	var out []any
	for _, key := range sortedKeys(r.files) {
		fref, file, _ := strings.Cut(key, "\x00")
		rest, found := strings.CutPrefix(file, prefix)
		if fref != ref || !found {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if seen[name] {
			continue
		}
		seen[name] = true
		entry := f.fileJSON(r, ref, prefix+name, r.files[key], false)
		if isDir {
			entry["type"], entry["size"], entry["sha"] = "dir", 0, blobSHA(prefix+name)
			entry["download_url"] = nil
		}
		out = append(out, entry)
	}
	return out
}

// --- pull requests ---

func listPulls(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	query := q.r.URL.Query()
	state := query.Get("state")
	if state == "" {
		state = "open"
	}
	numbers := make([]int, 0, len(r.pulls))
	for n, p := range r.pulls {
		if state != "all" && p.State != state ||
			query.Get("base") != "" && p.BaseRef != query.Get("base") ||
			query.Get("head") != "" && !strings.EqualFold(query.Get("head"), r.owner+":"+p.HeadRef) {
			continue
		}
		numbers = append(numbers, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(numbers))) // newest first, like GitHub
	out := make([]any, len(numbers))
	for i, n := range numbers {
		out[i] = f.pullJSON(r, r.pulls[n])
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

func getPull(q *request) response {
	q.fake.mu.Lock()
	defer q.fake.mu.Unlock()
	r, p, found := q.pullFor()
	if !found {
		return notFound
	}
	return ok(q.fake.pullJSON(r, p))
}

// listPullsForCommit lists the pull requests whose head is the commit, in
// any state, newest first. GitHub also lists the merged pull request that
// brought a commit into the default branch; the fake keeps no history of
// merged commits, so only heads match.
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
		if p.HeadSHA != "" && strings.EqualFold(p.HeadSHA, sha) {
			numbers = append(numbers, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(numbers)))
	out := make([]any, len(numbers))
	for i, n := range numbers {
		out[i] = f.pullJSON(r, r.pulls[n])
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

func listPullFiles(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, p, found := q.pullFor()
	if !found {
		return notFound
	}
	files := p.Files
	if len(files) > maxPRFiles {
		files = files[:maxPRFiles]
	}
	out := make([]any, len(files))
	for i, name := range files {
		file := map[string]any{
			"sha": blobSHA(name), "filename": name, "status": "modified",
			"additions": 1, "deletions": 1, "changes": 2, "patch": "@@ -1 +1 @@\n-old\n+new",
			"blob_url":     fmt.Sprintf("https://github.com/%s/%s/blob/%s/%s", r.owner, r.name, p.HeadSHA, name),
			"raw_url":      fmt.Sprintf("https://github.com/%s/%s/raw/%s/%s", r.owner, r.name, p.HeadSHA, name),
			"contents_url": f.apiURL("repos/%s/%s/contents/%s?ref=%s", r.owner, r.name, name, p.HeadSHA),
		}
		if previous, renamed := p.Renamed[name]; renamed {
			file["status"], file["previous_filename"] = "renamed", previous
		}
		out[i] = file
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

func listReviews(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, p, found := q.pullFor()
	if !found {
		return notFound
	}
	out := make([]any, len(p.reviews))
	for i, rv := range p.reviews {
		out[i] = map[string]any{
			"id": rv.id, "node_id": nodeID("PRR", rv.id), "user": f.userJSON(rv.author), "body": "",
			"state": rv.state, "commit_id": p.HeadSHA, "author_association": rv.association,
			"submitted_at":     rv.submitted.Format(time.RFC3339),
			"html_url":         fmt.Sprintf("https://github.com/%s/%s/pull/%d#pullrequestreview-%d", r.owner, r.name, p.Number, rv.id),
			"pull_request_url": f.apiURL("repos/%s/%s/pulls/%d", r.owner, r.name, p.Number),
		}
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

func listRequestedReviewers(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, p, found := q.pullFor()
	if !found {
		return notFound
	}
	return ok(f.requestedJSON(r, p))
}

type reviewersBody struct {
	Reviewers     []string `json:"reviewers"`
	TeamReviewers []string `json:"team_reviewers"`
}

func requestReviewers(q *request) response {
	f := q.fake
	var body reviewersBody
	if err := json.Unmarshal(q.body, &body); err != nil {
		return unprocessable("Problems parsing JSON")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, p, found := q.pullFor()
	if !found {
		return notFound
	}
	for _, u := range body.Reviewers {
		if strings.EqualFold(u, p.Author) {
			return unprocessable("Review cannot be requested from pull request author.")
		}
		if r.role(u) == "" {
			return notCollaborator(r)
		}
	}
	for _, t := range body.TeamReviewers {
		if _, found := f.st.teams[repoKey(r.owner, t)]; !found {
			return notCollaborator(r)
		}
	}
	for _, u := range body.Reviewers {
		if !containsFold(p.requestedUsers, u) {
			p.requestedUsers = append(p.requestedUsers, u)
		}
	}
	for _, t := range body.TeamReviewers {
		if !containsFold(p.requestedTeams, t) {
			p.requestedTeams = append(p.requestedTeams, t)
		}
	}
	return created(f.pullJSON(r, p))
}

func notCollaborator(r *repo) response {
	return unprocessable(fmt.Sprintf("Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the %s/%s repository.", r.owner, r.name))
}

func removeRequestedReviewers(q *request) response {
	f := q.fake
	var body reviewersBody
	if err := json.Unmarshal(q.body, &body); err != nil {
		return unprocessable("Problems parsing JSON")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, p, found := q.pullFor()
	if !found {
		return notFound
	}
	for _, u := range body.Reviewers {
		p.requestedUsers = removeFold(p.requestedUsers, u)
	}
	for _, t := range body.TeamReviewers {
		p.requestedTeams = removeFold(p.requestedTeams, t)
	}
	return ok(f.pullJSON(r, p))
}

// --- teams and collaborators ---

func listTeamMembers(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	org := q.params["org"]
	members, found := f.st.teams[repoKey(org, q.params["team_slug"])]
	inst := f.st.installations[q.installation]
	if !found || inst == nil || !strings.EqualFold(inst.account, org) {
		return notFound
	}
	out := make([]any, len(members))
	for i, m := range members {
		out[i] = f.userJSON(m)
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

func checkCollaborator(q *request) response {
	q.fake.mu.Lock()
	defer q.fake.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	if r.role(q.params["username"]) == "" {
		return notFound
	}
	return response{status: http.StatusNoContent}
}

// getCollaboratorPermission answers with the seeded role; people who are
// not collaborators get what the public has: read on a public repository,
// none on a private one (GitHub answers 200 for them, not 404).
func getCollaboratorPermission(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	login := q.params["username"]
	role := r.role(login)
	if role == "" && !r.private {
		role = "read" // the public can read a public repository
	}
	permission := repoRoles[role]
	if permission == "" {
		permission = "none"
	}
	user := f.userJSON(login)
	user["permissions"] = rolePermissions(role)
	user["role_name"] = role
	return ok(map[string]any{"permission": permission, "role_name": role, "user": user})
}

// rolePermissions is the permissions object GitHub shows for a role: each
// role includes the weaker ones.
func rolePermissions(role string) map[string]bool {
	rank := slices.Index([]string{"read", "triage", "write", "maintain", "admin"}, role) // -1: none
	return map[string]bool{"pull": rank >= 0, "triage": rank >= 1, "push": rank >= 2, "maintain": rank >= 3, "admin": rank >= 4}
}

// --- check runs ---

type checkRunBody struct {
	Name       *string `json:"name"`
	HeadSHA    *string `json:"head_sha"`
	Status     *string `json:"status"`
	Conclusion *string `json:"conclusion"`
	DetailsURL *string `json:"details_url"`
	Output     *struct {
		Title       *string           `json:"title"`
		Summary     *string           `json:"summary"`
		Annotations []json.RawMessage `json:"annotations"`
	} `json:"output"`
}

func (b checkRunBody) apply(c *CheckRun) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&c.Name, b.Name)
	set(&c.HeadSHA, b.HeadSHA)
	set(&c.Status, b.Status)
	set(&c.DetailsURL, b.DetailsURL)
	if b.Conclusion != nil {
		// GitHub: providing a conclusion sets the status to completed.
		c.Conclusion, c.Status = *b.Conclusion, "completed"
	}
	if b.Output != nil {
		set(&c.Title, b.Output.Title)
		set(&c.Summary, b.Output.Summary)
		c.Annotations += len(b.Output.Annotations)
	}
}

func createCheckRun(q *request) response {
	f := q.fake
	var body checkRunBody
	if err := json.Unmarshal(q.body, &body); err != nil {
		return unprocessable("Problems parsing JSON")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	c := &CheckRun{ID: f.st.newID(), Status: "queued"}
	body.apply(c)
	r.checkRuns = append(r.checkRuns, c)
	return created(f.checkRunJSON(r, c))
}

func (q *request) checkRun() (*repo, *CheckRun, bool) {
	r, found := q.repoFor()
	if !found {
		return nil, nil, false
	}
	id, _ := strconv.ParseInt(q.params["check_run_id"], 10, 64)
	for _, c := range r.checkRuns {
		if c.ID == id {
			return r, c, true
		}
	}
	return nil, nil, false
}

func getCheckRun(q *request) response {
	q.fake.mu.Lock()
	defer q.fake.mu.Unlock()
	r, c, found := q.checkRun()
	if !found {
		return notFound
	}
	return ok(q.fake.checkRunJSON(r, c))
}

func updateCheckRun(q *request) response {
	f := q.fake
	var body checkRunBody
	if err := json.Unmarshal(q.body, &body); err != nil {
		return unprocessable("Problems parsing JSON")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, c, found := q.checkRun()
	if !found {
		return notFound
	}
	body.apply(c)
	return ok(f.checkRunJSON(r, c))
}

func listCheckRunsForRef(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, found := q.repoFor()
	if !found {
		return notFound
	}
	query := q.r.URL.Query()
	shas := r.refAliases(q.params["ref"])
	if query.Get("app_id") != "" && query.Get("app_id") != strconv.Itoa(appID) {
		shas = nil // every check run here was created by the app
	}
	latest := map[string]*CheckRun{}
	var runs []*CheckRun
	for i := len(r.checkRuns) - 1; i >= 0; i-- { // newest first, like GitHub
		c := r.checkRuns[i]
		if !containsFold(shas, c.HeadSHA) ||
			query.Get("check_name") != "" && c.Name != query.Get("check_name") ||
			query.Get("status") != "" && c.Status != query.Get("status") {
			continue
		}
		if query.Get("filter") != "all" {
			if latest[c.Name] != nil {
				continue
			}
			latest[c.Name] = c
		}
		runs = append(runs, c)
	}
	out := make([]any, len(runs))
	for i, c := range runs {
		out[i] = f.checkRunJSON(r, c)
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, header: header, body: map[string]any{"total_count": len(out), "check_runs": page}}
}

// --- issue comments ---

func (q *request) comment() (*repo, *issueComment, bool) {
	r, found := q.repoFor()
	if !found {
		return nil, nil, false
	}
	id, _ := strconv.ParseInt(q.params["comment_id"], 10, 64)
	for _, c := range r.comments {
		if c.ID == id {
			return r, c, true
		}
	}
	return nil, nil, false
}

// issueRepo returns the repository if the issue number is one of its pull
// requests: the fake has no plain issues.
func (q *request) issueRepo() (*repo, int, bool) {
	r, found := q.repoFor()
	if !found {
		return nil, 0, false
	}
	n, _ := strconv.Atoi(q.params["issue_number"])
	_, found = r.pulls[n]
	return r, n, found
}

func listComments(q *request) response {
	f := q.fake
	f.mu.Lock()
	defer f.mu.Unlock()
	r, n, found := q.issueRepo()
	if !found {
		return notFound
	}
	var out []any
	for _, c := range r.comments {
		if c.number == n {
			out = append(out, f.commentJSON(r, c))
		}
	}
	page, header := paginate(q, out)
	return response{status: http.StatusOK, body: page, header: header}
}

type commentBody struct {
	Body string `json:"body"`
}

func createComment(q *request) response {
	f := q.fake
	var body commentBody
	if err := json.Unmarshal(q.body, &body); err != nil {
		return unprocessable("Problems parsing JSON")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, n, found := q.issueRepo()
	if !found {
		return notFound
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := &issueComment{Comment: Comment{ID: f.st.newID(), Body: body.Body, Author: f.BotLogin()}, number: n, created: now, updated: now}
	r.comments = append(r.comments, c)
	return created(f.commentJSON(r, c))
}

func getComment(q *request) response {
	q.fake.mu.Lock()
	defer q.fake.mu.Unlock()
	r, c, found := q.comment()
	if !found {
		return notFound
	}
	return ok(q.fake.commentJSON(r, c))
}

func updateComment(q *request) response {
	f := q.fake
	var body commentBody
	if err := json.Unmarshal(q.body, &body); err != nil {
		return unprocessable("Problems parsing JSON")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r, c, found := q.comment()
	if !found {
		return notFound
	}
	c.Body, c.updated = body.Body, time.Now().UTC().Truncate(time.Second)
	return ok(f.commentJSON(r, c))
}

// --- pagination ---

// paginate slices items by the page and per_page query parameters (already
// validated) and builds GitHub's Link header.
func paginate(q *request, items []any) ([]any, http.Header) {
	query := q.r.URL.Query()
	perPage, page := defaultPerPage, 1
	if v, err := strconv.Atoi(query.Get("per_page")); err == nil && v > 0 {
		perPage = v
	}
	if v, err := strconv.Atoi(query.Get("page")); err == nil && v > 0 {
		page = v
	}
	last := max(1, (len(items)+perPage-1)/perPage)
	start := min(len(items), (page-1)*perPage)
	end := min(len(items), start+perPage)
	out := append([]any{}, items[start:end]...)

	link := func(n int, rel string) string {
		v := q.r.URL.Query()
		v.Set("page", strconv.Itoa(n))
		v.Set("per_page", strconv.Itoa(perPage))
		return fmt.Sprintf(`<%s%s?%s>; rel="%s"`, strings.TrimSuffix(q.fake.URL, "/"), q.r.URL.EscapedPath(), v.Encode(), rel)
	}
	var links []string
	if page > 1 {
		links = append(links, link(min(page-1, last), "prev"))
	}
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"))
	}
	if len(links) == 0 {
		return out, nil
	}
	return out, http.Header{"Link": {strings.Join(links, ", ")}}
}

// --- response shapes ---

func (f *Fake) apiURL(format string, args ...any) string {
	return f.URL + fmt.Sprintf(format, args...)
}

// stableID derives a numeric ID from a name, so users and teams need no
// registration yet keep their IDs across calls.
func stableID(name string) int64 {
	h := fnv.New32a()
	h.Write([]byte(strings.ToLower(name)))
	return int64(h.Sum32()%1_000_000_000) + 1
}

func nodeID(kind string, id int64) string {
	return kind + "_" + base64.RawStdEncoding.EncodeToString([]byte(strconv.FormatInt(id, 10)))
}

func (f *Fake) userJSON(login string) map[string]any {
	typ := "User"
	if strings.HasSuffix(login, "[bot]") {
		typ = "Bot"
	}
	id := stableID(login)
	return map[string]any{
		"login": login, "id": id, "node_id": nodeID("U", id), "type": typ, "site_admin": false,
		"url": f.apiURL("users/%s", login), "html_url": "https://github.com/" + login,
		"avatar_url": fmt.Sprintf("https://avatars.githubusercontent.com/u/%d?v=4", id),
	}
}

func (f *Fake) accountJSON(login string) map[string]any {
	u := f.userJSON(login)
	u["type"] = "Organization"
	return u
}

func (f *Fake) installationJSON(i *installation) map[string]any {
	ts := f.st.created.Format(time.RFC3339)
	return map[string]any{
		"id": i.id, "app_id": appID, "app_slug": appSlug, "account": f.accountJSON(i.account),
		"target_id": stableID(i.account), "target_type": "Organization",
		"repository_selection": i.selection(), "permissions": appPermissions,
		"events":            []string{"check_run", "pull_request", "pull_request_review"},
		"access_tokens_url": f.apiURL("app/installations/%d/access_tokens", i.id),
		"repositories_url":  f.apiURL("installation/repositories"),
		"html_url":          fmt.Sprintf("https://github.com/organizations/%s/settings/installations/%d", i.account, i.id),
		"created_at":        ts, "updated_at": ts, "single_file_name": nil,
	}
}

func (f *Fake) repoJSON(r *repo) map[string]any {
	ts := f.st.created.Format(time.RFC3339)
	full := r.owner + "/" + r.name
	return map[string]any{
		"id": r.id, "node_id": nodeID("R", r.id), "name": r.name, "full_name": full,
		"owner": f.accountJSON(r.owner), "private": r.private, "fork": false, "archived": false,
		"disabled": false, "visibility": visibility(r), "default_branch": r.branch,
		"url": f.apiURL("repos/%s", full), "html_url": "https://github.com/" + full,
		"created_at": ts, "updated_at": ts, "pushed_at": ts,
	}
}

func (f *Fake) pullJSON(r *repo, p *pull) map[string]any {
	ts := f.st.created.Format(time.RFC3339)
	created, updated, closed, merged := p.times(ts)
	add, del := len(p.Files), len(p.Files)
	if p.Additions+p.Deletions > 0 {
		add, del = p.Additions, p.Deletions
	}
	labels := make([]any, len(p.Labels))
	for i, l := range p.Labels {
		id := stableID(full(r) + "#" + l)
		labels[i] = map[string]any{"id": id, "node_id": nodeID("LA", id), "name": l, "color": "ededed", "default": false}
	}
	branch := func(ref, sha string) map[string]any {
		return map[string]any{"label": r.owner + ":" + ref, "ref": ref, "sha": sha, "user": f.accountJSON(r.owner), "repo": f.repoJSON(r)}
	}
	return map[string]any{
		"id": p.id, "node_id": nodeID("PR", p.id), "number": p.Number, "state": p.State,
		"title": p.Title, "body": p.Body, "draft": p.Draft, "locked": false,
		"user": f.userJSON(p.Author), "labels": labels,
		"head": branch(p.HeadRef, p.HeadSHA), "base": branch(p.BaseRef, p.baseSHA()),
		"requested_reviewers": f.usersJSON(p.requestedUsers), "requested_teams": f.teamsJSON(r, p.requestedTeams),
		"url":        f.apiURL("repos/%s/pulls/%d", full(r), p.Number),
		"html_url":   fmt.Sprintf("https://github.com/%s/pull/%d", full(r), p.Number),
		"issue_url":  f.apiURL("repos/%s/issues/%d", full(r), p.Number),
		"created_at": created, "updated_at": updated, "closed_at": closed, "merged_at": merged, "merged": merged != nil,
		"mergeable": nil, "author_association": cmp.Or(p.Association, "MEMBER"), "commits": 1,
		"changed_files": min(len(p.Files), maxPRFiles), "additions": add, "deletions": del,
	}
}

func full(r *repo) string { return r.owner + "/" + r.name }

func visibility(r *repo) string {
	if r.private {
		return "private"
	}
	return "public"
}

func (f *Fake) usersJSON(logins []string) []any {
	out := make([]any, len(logins))
	for i, l := range logins {
		out[i] = f.userJSON(l)
	}
	return out
}

func (f *Fake) teamsJSON(r *repo, slugs []string) []any {
	out := make([]any, len(slugs))
	for i, s := range slugs {
		id := stableID(r.owner + "/" + s)
		out[i] = map[string]any{
			"id": id, "node_id": nodeID("T", id), "name": s, "slug": s, "description": nil,
			"privacy": "closed", "permission": "pull", "parent": nil,
			"url":      f.apiURL("orgs/%s/teams/%s", r.owner, s),
			"html_url": fmt.Sprintf("https://github.com/orgs/%s/teams/%s", r.owner, s),
		}
	}
	return out
}

func (f *Fake) requestedJSON(r *repo, p *pull) map[string]any {
	return map[string]any{"users": f.usersJSON(p.requestedUsers), "teams": f.teamsJSON(r, p.requestedTeams)}
}

func (f *Fake) checkRunJSON(r *repo, c *CheckRun) map[string]any {
	ts := f.st.created.Format(time.RFC3339)
	var conclusion, completed any
	if c.Status == "completed" {
		conclusion, completed = c.Conclusion, ts
	}
	return map[string]any{
		"id": c.ID, "node_id": nodeID("CR", c.ID), "name": c.Name, "head_sha": c.HeadSHA,
		"status": c.Status, "conclusion": conclusion, "started_at": ts, "completed_at": completed,
		"external_id": "", "details_url": c.DetailsURL,
		"url":      f.apiURL("repos/%s/check-runs/%d", full(r), c.ID),
		"html_url": fmt.Sprintf("https://github.com/%s/runs/%d", full(r), c.ID),
		"output": map[string]any{
			"title": c.Title, "summary": c.Summary, "text": nil, "annotations_count": c.Annotations,
			"annotations_url": f.apiURL("repos/%s/check-runs/%d/annotations", full(r), c.ID),
		},
		"check_suite":   map[string]any{"id": stableID(c.HeadSHA)},
		"app":           map[string]any{"id": appID, "slug": appSlug, "name": appSlug},
		"pull_requests": []any{},
	}
}

func (f *Fake) commentJSON(r *repo, c *issueComment) map[string]any {
	return map[string]any{
		"id": c.ID, "node_id": nodeID("IC", c.ID), "body": c.Body, "user": f.userJSON(c.Author),
		"author_association": "NONE",
		"created_at":         c.created.Format(time.RFC3339), "updated_at": c.updated.Format(time.RFC3339),
		"url":       f.apiURL("repos/%s/issues/comments/%d", full(r), c.ID),
		"html_url":  fmt.Sprintf("https://github.com/%s/pull/%d#issuecomment-%d", full(r), c.number, c.ID),
		"issue_url": f.apiURL("repos/%s/issues/%d", full(r), c.number),
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func itoa(n int) string { return strconv.Itoa(n) }
