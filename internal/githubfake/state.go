package githubfake

import (
	"maps"
	"sort"
	"strings"
	"time"
)

// PullRequest seeds a pull request. State "" means "open"; BaseRef ""
// means the repository's default branch.
type PullRequest struct {
	Number                                         int
	Title, Body, HeadRef, HeadSHA, BaseRef, Author string
	Draft                                          bool
	Labels                                         []string
	Files                                          []string
	State                                          string
	// Renamed maps a path in Files (its new path) to the path it had
	// before, for files the pull request renamed: REST lists them as
	// "renamed" with previous_filename, GraphQL as changeType RENAMED. Files
	// not in it count as modified.
	Renamed map[string]string // new path -> previous path
	// Additions and Deletions are the line counts GitHub reports; 0 and 0
	// stand for one line each way per file.
	Additions, Deletions int
	// Association is the author's author_association; "" is MEMBER.
	Association string
	// BaseSHA is the base branch's commit the pull request was last
	// compared with ("": derived from BaseRef); files stored at that ref are
	// the base as of the pull request.
	BaseSHA string
	// CreatedAt, ClosedAt and MergedAt default to the fake's creation time,
	// never and never. A merged pull request should be closed too.
	CreatedAt, ClosedAt, MergedAt time.Time
}

// CheckRun is a check run as the fake stores it.
type CheckRun struct {
	ID                                                int64
	Name, HeadSHA, Status, Conclusion, Title, Summary string
	DetailsURL                                        string
	Annotations                                       int // total annotations added over all requests
}

// Comment is an issue or pull-request comment.
type Comment struct {
	ID           int64
	Body, Author string
	// MinimizedReason is set once the comment was minimized (GraphQL
	// minimizeComment), e.g. "OUTDATED"; "" while it shows.
	MinimizedReason string
}

// state is everything the fake knows; guarded by Fake.mu. Logins, owners
// and repository names are keyed in lower case, as GitHub compares them.
type state struct {
	nextID        int64
	repos         map[string]*repo // "owner/name"
	installations map[int64]*installation
	tokens        map[string]token
	teams         map[string][]string // "org/slug" -> members
	busy          map[string]bool     // lower-case login -> limited availability
	created       time.Time
	oauth         oauthState
}

type repo struct {
	id                  int64
	owner, name, branch string
	files               map[string]string // "ref\x00path" -> content
	pulls               map[int]*pull
	checkRuns           []*CheckRun
	comments            []*issueComment
	collaborators       map[string]string // lower-case login -> role; nil: everyone is a "write" collaborator
	private             bool
}

type pull struct {
	PullRequest
	id             int64
	reviews        []review
	requestedUsers []string
	requestedTeams []string
	timeline       []timelineEvent
}

type review struct {
	id                         int64
	author, state, association string
	submitted                  time.Time
}

type issueComment struct {
	Comment
	reactions []string // contents the app reacted with, each once
	number    int
	created   time.Time
	updated   time.Time
}

type installation struct {
	id      int64
	account string
	repos   []string // "owner/name"; empty: all of the account's repositories
}

type token struct {
	installation int64
	expires      time.Time
}

func newState() state {
	return state{
		nextID:        1000,
		repos:         map[string]*repo{},
		installations: map[int64]*installation{},
		tokens:        map[string]token{},
		teams:         map[string][]string{},
		created:       time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC),
	}
}

func (s *state) newID() int64 {
	s.nextID++
	return s.nextID
}

func repoKey(owner, name string) string { return strings.ToLower(owner + "/" + name) }

// AddRepo adds (or replaces) a repository.
func (f *Fake) AddRepo(owner, name string, id int64, defaultBranch string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.repos[repoKey(owner, name)] = &repo{
		id: id, owner: owner, name: name, branch: defaultBranch,
		files: map[string]string{}, pulls: map[int]*pull{},
	}
}

// AddInstallation adds an installation of the app on account. repos
// ("owner/name") are the repositories it may access; none means all of the
// account's repositories.
func (f *Fake) AddInstallation(id int64, account string, repos ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.installations[id] = &installation{id: id, account: account, repos: append([]string(nil), repos...)}
}

// SetFile stores a file at ref ("" means the default branch). The
// repository must have been added.
func (f *Fake) SetFile(owner, repoName, ref, path, content string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, repoName)
	if ref == "" {
		ref = r.branch
	}
	r.files[ref+"\x00"+strings.TrimPrefix(path, "/")] = content
}

// AddPullRequest adds (or replaces) a pull request of an added repository.
func (f *Fake) AddPullRequest(owner, repoName string, pr PullRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, repoName)
	if pr.State == "" {
		pr.State = "open"
	}
	if pr.BaseRef == "" {
		pr.BaseRef = r.branch
	}
	pr.Labels = append([]string(nil), pr.Labels...)
	pr.Files = append([]string(nil), pr.Files...)
	pr.Renamed = maps.Clone(pr.Renamed)
	r.pulls[pr.Number] = &pull{PullRequest: pr, id: f.st.newID()}
}

// AddReview records a submitted review (state APPROVED, CHANGES_REQUESTED,
// COMMENTED, DISMISSED). Like GitHub, it removes the author from the
// requested reviewers.
func (f *Fake) AddReview(owner, repoName string, number int, author, reviewState string) {
	f.AddReviewAs(owner, repoName, number, author, reviewState, "COLLABORATOR")
}

// AddReviewAs is AddReview by an author whose author_association (OWNER,
// MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR, FIRST_TIMER,
// NONE) GitHub reports on the review.
func (f *Fake) AddReviewAs(owner, repoName string, number int, author, reviewState, association string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	p.reviews = append(p.reviews, review{
		id: f.st.newID(), author: author, state: strings.ToUpper(reviewState), association: association,
		submitted: f.st.created.Add(time.Duration(len(p.reviews)+1) * time.Minute),
	})
	p.requestedUsers = removeFold(p.requestedUsers, author)
}

// RequestReviewers seeds review requests a person made, as if through the
// web interface.
func (f *Fake) RequestReviewers(owner, repoName string, number int, logins ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	p.requestedUsers = addFold(p.requestedUsers, logins...)
}

// RequestTeams seeds review requests of teams (slugs) a person made, as
// if through the web interface.
func (f *Fake) RequestTeams(owner, repoName string, number int, slugs ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	p.requestedTeams = addFold(p.requestedTeams, slugs...)
}

// addFold appends the names list does not hold yet, ignoring case.
func addFold(list []string, names ...string) []string {
	for _, n := range names {
		if !containsFold(list, n) {
			list = append(list, n)
		}
	}
	return list
}

// RemoveReviewRequest removes a person's review request, as someone
// would in the web interface.
func (f *Fake) RemoveReviewRequest(owner, repoName string, number int, login string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	p.requestedUsers = removeFold(p.requestedUsers, login)
}

// AddComment seeds an existing comment on an issue or pull request and
// returns its ID.
func (f *Fake) AddComment(owner, repoName string, number int, author, body string) int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, repoName)
	c := &issueComment{Comment: Comment{ID: f.st.newID(), Body: body, Author: author}, number: number, created: f.st.created, updated: f.st.created}
	r.comments = append(r.comments, c)
	return c.ID
}

// AddTeam adds a team of org with its members.
func (f *Fake) AddTeam(org, slug string, members ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.st.teams[repoKey(org, slug)] = append([]string(nil), members...)
}

// SetCollaborators restricts who counts as a collaborator of the
// repository, each with the "write" role (or the role SetPermission gave
// them). Until it or SetPermission is called, everyone is a collaborator.
func (f *Fake) SetCollaborators(owner, repoName string, logins ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, repoName)
	old := r.collaborators
	r.collaborators = map[string]string{}
	for _, l := range logins {
		role := old[strings.ToLower(l)]
		if role == "" {
			role = "write"
		}
		r.collaborators[strings.ToLower(l)] = role
	}
}

// repoRoles are GitHub's repository roles with the legacy permission the
// permission endpoint reports for each.
var repoRoles = map[string]string{"read": "read", "triage": "read", "write": "write", "maintain": "write", "admin": "admin"}

// SetPermission makes login a collaborator with role (read, triage, write,
// maintain or admin); like SetCollaborators, it ends "everyone is a
// collaborator" for the repository. Misuse panics, as seeding errors do.
func (f *Fake) SetPermission(owner, repoName, login, role string) {
	if _, ok := repoRoles[role]; !ok {
		panic("githubfake: unknown repository role " + role)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, repoName)
	if r.collaborators == nil {
		r.collaborators = map[string]string{}
	}
	r.collaborators[strings.ToLower(login)] = role
}

// SetPrivate makes the repository private (or public again). Non-
// collaborators can read a public repository, so GitHub reports "read" for
// them there and "none" on a private one.
func (f *Fake) SetPrivate(owner, repoName string, private bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustRepo(owner, repoName).private = private
}

// role is login's role in r: "" when it has no access beyond the public's.
func (r *repo) role(login string) string {
	if r.collaborators == nil {
		return "write"
	}
	return r.collaborators[strings.ToLower(login)]
}

// CheckRuns returns copies of the repository's check runs, oldest first.
func (f *Fake) CheckRuns(owner, repoName string) []CheckRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	r := f.mustRepo(owner, repoName)
	out := make([]CheckRun, len(r.checkRuns))
	for i, c := range r.checkRuns {
		out[i] = *c
	}
	return out
}

// Comments returns the comments of an issue or pull request, oldest first.
func (f *Fake) Comments(owner, repoName string, number int) []Comment {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Comment
	for _, c := range f.mustRepo(owner, repoName).comments {
		if c.number == number {
			out = append(out, c.Comment)
		}
	}
	return out
}

// RequestedReviewers returns the pending review requests of a pull request,
// sorted.
func (f *Fake) RequestedReviewers(owner, repoName string, number int) (users, teams []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.mustPull(owner, repoName, number)
	users = append([]string(nil), p.requestedUsers...)
	teams = append([]string(nil), p.requestedTeams...)
	sort.Strings(users)
	sort.Strings(teams)
	return users, teams
}

// mustRepo panics on a repository the test never added: that is a bug in
// the test's setup, not a condition to handle.
func (f *Fake) mustRepo(owner, name string) *repo {
	r, ok := f.st.repos[repoKey(owner, name)]
	if !ok {
		panic("githubfake: repository " + owner + "/" + name + " not added (call AddRepo first)")
	}
	return r
}

func (f *Fake) mustPull(owner, name string, number int) *pull {
	p, ok := f.mustRepo(owner, name).pulls[number]
	if !ok {
		panic("githubfake: pull request " + owner + "/" + name + "#" + itoa(number) + " not added")
	}
	return p
}

func removeFold(list []string, v string) []string {
	out := list[:0]
	for _, x := range list {
		if !strings.EqualFold(x, v) {
			out = append(out, x)
		}
	}
	return out
}

func containsFold(list []string, v string) bool {
	for _, x := range list {
		if strings.EqualFold(x, v) {
			return true
		}
	}
	return false
}
