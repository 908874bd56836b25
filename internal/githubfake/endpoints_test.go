package githubfake

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-github/v60/github"
)

func numbers(prs []*github.PullRequest) []int {
	out := make([]int, len(prs))
	for i, p := range prs {
		out[i] = p.GetNumber()
	}
	return out
}

func TestPullsForCommit(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	// #7 (open, head abc123) comes from seed; #9 shares its head, #10 does not.
	f.AddPullRequest(owner, name, PullRequest{Number: 9, HeadRef: "feature", HeadSHA: "abc123", BaseRef: "release", State: "closed", Author: "bob"})
	f.AddPullRequest(owner, name, PullRequest{Number: 10, HeadRef: "other", HeadSHA: "def456", Author: "bob"})

	prs, _, err := c.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, "abc123", nil)
	if err != nil || !slices.Equal(numbers(prs), []int{9, 7}) {
		t.Fatalf("pulls of abc123 = %v, %v; want [9 7] (closed ones too, newest first)", numbers(prs), err)
	}
	if prs[0].GetState() != "closed" || prs[0].GetBase().GetRef() != "release" || prs[1].GetHead().GetSHA() != "abc123" {
		t.Errorf("shapes: #9 state %q base %q, #7 head %q", prs[0].GetState(), prs[0].GetBase().GetRef(), prs[1].GetHead().GetSHA())
	}

	first, resp, err := c.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, "abc123", &github.ListOptions{PerPage: 1})
	if err != nil || !slices.Equal(numbers(first), []int{9}) || resp.NextPage != 2 || resp.LastPage != 2 {
		t.Fatalf("page 1 = %v (next %d, last %d), %v; want [9], next 2", numbers(first), resp.NextPage, resp.LastPage, err)
	}
	second, resp, err := c.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, "abc123", &github.ListOptions{PerPage: 1, Page: 2})
	if err != nil || !slices.Equal(numbers(second), []int{7}) || resp.NextPage != 0 {
		t.Errorf("page 2 = %v (next %d), %v; want [7], no next", numbers(second), resp.NextPage, err)
	}

	none, _, err := c.PullRequests.ListPullRequestsWithCommit(ctx, owner, name, "0000000", nil)
	if err != nil || len(none) != 0 {
		t.Errorf("pulls of an unknown commit = %v, %v; want none", numbers(none), err)
	}
	f.AddRepo("other-org", "secret", 2, "main")
	_, resp, err = c.PullRequests.ListPullRequestsWithCommit(ctx, "other-org", "secret", "abc123", nil)
	if got := statusOf(t, resp, err); got != http.StatusNotFound {
		t.Errorf("repository outside the installation: status %d, want 404", got)
	}
}

type permissionAnswer struct {
	Permission string `json:"permission"`
	RoleName   string `json:"role_name"`
	User       struct {
		Login       string          `json:"login"`
		Permissions map[string]bool `json:"permissions"`
		RoleName    string          `json:"role_name"`
	} `json:"user"`
}

func getPermission(t *testing.T, c *github.Client, login string) permissionAnswer {
	t.Helper()
	req, err := c.NewRequest(http.MethodGet, "repos/"+owner+"/"+name+"/collaborators/"+login+"/permission", nil)
	if err != nil {
		t.Fatal(err)
	}
	var out permissionAnswer
	if _, err := c.Do(context.Background(), req, &out); err != nil {
		t.Fatalf("permission of %s: %v", login, err)
	}
	if !strings.EqualFold(out.User.Login, login) || out.User.RoleName != out.RoleName {
		t.Errorf("permission of %s: user %q role %q; want the user and the same role", login, out.User.Login, out.User.RoleName)
	}
	return out
}

func TestCollaboratorPermission(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	// Before any seeding, everyone is a collaborator (as for reviewer requests).
	if got := getPermission(t, c, "anyone"); got.Permission != "write" || got.RoleName != "write" {
		t.Errorf("unseeded: %+v; want write", got)
	}

	f.SetCollaborators(owner, name, "alice", "Bob")
	f.SetPermission(owner, name, "carol", "admin")
	f.SetPermission(owner, name, "tess", "triage")
	f.SetPermission(owner, name, "mia", "maintain")
	tests := []struct {
		login, permission, role string
		perms                   map[string]bool
	}{
		{"alice", "write", "write", map[string]bool{"pull": true, "triage": true, "push": true, "maintain": false, "admin": false}},
		{"bob", "write", "write", nil},
		{"carol", "admin", "admin", map[string]bool{"pull": true, "triage": true, "push": true, "maintain": true, "admin": true}},
		{"tess", "read", "triage", map[string]bool{"pull": true, "triage": true, "push": false, "maintain": false, "admin": false}},
		{"mia", "write", "maintain", nil},
		// Not a collaborator of a public repository: what the public has.
		{"outsider", "read", "read", map[string]bool{"pull": true, "triage": false, "push": false, "maintain": false, "admin": false}},
	}
	for _, tc := range tests {
		got := getPermission(t, c, tc.login)
		if got.Permission != tc.permission || got.RoleName != tc.role {
			t.Errorf("%s: permission %q role %q; want %q %q", tc.login, got.Permission, got.RoleName, tc.permission, tc.role)
		}
		if tc.perms != nil && !mapsEqual(got.User.Permissions, tc.perms) {
			t.Errorf("%s: permissions %v; want %v", tc.login, got.User.Permissions, tc.perms)
		}
	}

	f.SetPrivate(owner, name, true)
	if got := getPermission(t, c, "outsider"); got.Permission != "none" || got.RoleName != "" || got.User.Permissions["pull"] {
		t.Errorf("outsider of a private repository: %+v; want none", got)
	}
	if got := getPermission(t, c, "carol"); got.Permission != "admin" {
		t.Errorf("carol after SetPrivate: %+v; want admin", got)
	}
	// The seeded roles agree with the collaborator check and reviewer requests.
	if ok, _, err := c.Repositories.IsCollaborator(context.Background(), owner, name, "carol"); !ok || err != nil {
		t.Errorf("IsCollaborator(carol) = %v, %v", ok, err)
	}
	if ok, _, _ := c.Repositories.IsCollaborator(context.Background(), owner, name, "outsider"); ok {
		t.Error("IsCollaborator(outsider) = true")
	}
	if _, _, err := c.PullRequests.RequestReviewers(context.Background(), owner, name, 7, github.ReviewersRequest{Reviewers: []string{"carol"}}); err != nil {
		t.Errorf("requesting a SetPermission collaborator: %v", err)
	}
}

func mapsEqual(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range b {
		if a[k] != v {
			return false
		}
	}
	return true
}

func TestListPullsFilters(t *testing.T) {
	t.Parallel()
	f, c := setup(t)
	ctx := context.Background()
	// #7: open, feature -> main (seed).
	f.AddPullRequest(owner, name, PullRequest{Number: 8, HeadRef: "feature", HeadSHA: "abc123", BaseRef: "release", Author: "bob"})
	f.AddPullRequest(owner, name, PullRequest{Number: 9, HeadRef: "fix", HeadSHA: "fff", BaseRef: "main", State: "closed", Author: "bob"})
	f.AddPullRequest(owner, name, PullRequest{Number: 10, HeadRef: "fix", HeadSHA: "eee", BaseRef: "release", Author: "bob"})

	tests := []struct {
		name string
		opts github.PullRequestListOptions
		want []int
	}{
		{"default is open", github.PullRequestListOptions{}, []int{10, 8, 7}},
		{"closed", github.PullRequestListOptions{State: "closed"}, []int{9}},
		{"all", github.PullRequestListOptions{State: "all"}, []int{10, 9, 8, 7}},
		{"base", github.PullRequestListOptions{Base: "main"}, []int{7}},
		{"base, all states", github.PullRequestListOptions{State: "all", Base: "main"}, []int{9, 7}},
		{"head", github.PullRequestListOptions{Head: "acme:feature"}, []int{8, 7}},
		{"head case-insensitive owner", github.PullRequestListOptions{Head: "ACME:fix", State: "all"}, []int{10, 9}},
		{"head and base", github.PullRequestListOptions{Head: "acme:fix", Base: "release"}, []int{10}},
		{"head of another owner", github.PullRequestListOptions{Head: "someone:feature"}, []int{}},
		{"unknown base", github.PullRequestListOptions{Base: "nope"}, []int{}},
	}
	for _, tc := range tests {
		got, _, err := c.PullRequests.List(ctx, owner, name, &tc.opts)
		if err != nil || !slices.Equal(numbers(got), tc.want) {
			t.Errorf("%s: %v, %v; want %v", tc.name, numbers(got), err, tc.want)
		}
	}
	page, resp, err := c.PullRequests.List(ctx, owner, name, &github.PullRequestListOptions{Base: "release", ListOptions: github.ListOptions{PerPage: 1}})
	if err != nil || !slices.Equal(numbers(page), []int{10}) || resp.NextPage != 2 {
		t.Errorf("filtered page 1 = %v (next %d), %v; want [10] and a next page", numbers(page), resp.NextPage, err)
	}
}

// The endpoints added to the trimmed description are validated like the
// others: parameters GitHub does not define are refused and reported.
func TestNewEndpointsAreValidated(t *testing.T) {
	t.Parallel()
	rec := &recorder{}
	f := NewWithReporter(t, rec.report)
	seed(f)
	token := f.IssueToken(instID)
	tests := []struct{ path, rule string }{
		{"repos/acme/widgets/commits/abc123/pulls?state=open", "state"},
		{"repos/acme/widgets/commits/abc123/pulls?per_page=101", "per_page"},
		{"repos/acme/widgets/collaborators/alice/permission?per_page=5", "per_page"},
	}
	for _, tc := range tests {
		before := len(rec.all())
		req, _ := http.NewRequest(http.MethodGet, f.URL+tc.path, nil)
		req.Header.Set("Authorization", "token "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		msgs := rec.all()
		if resp.StatusCode != http.StatusUnprocessableEntity || len(msgs) != before+1 || !strings.Contains(msgs[len(msgs)-1], tc.rule) {
			t.Errorf("%s: status %d, reports %q; want 422 and one report naming %q", tc.path, resp.StatusCode, msgs[before:], tc.rule)
		}
	}
}
