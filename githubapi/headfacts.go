package githubapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/go-github/v60/github"
)

// CommitPulls is what GitHub lists on a commit: the pull requests
// associated with it (open ones whose head contains it, and the merged one
// that brought it into the default branch).
type CommitPulls struct {
	Pulls []PullOnCommit
}

// PullOnCommit is one pull request listed on a commit.
type PullOnCommit struct {
	Number  int
	Open    bool
	HeadSHA string
}

// headFactsQuery asks, in one request, what a new head's first evaluation
// reads: the files the pull request changes and the pull requests on the
// head commit. REST needs two requests for them.
const headFactsQuery = `query HeadFacts($owner: String!, $name: String!, $number: Int!, $oid: GitObjectID!) {
  repository(owner: $owner, name: $name) {
    pullRequest(number: $number) {
      headRefOid
      baseRefName
      files(first: 100) {
        pageInfo { hasNextPage endCursor }
        nodes { path changeType }
      }
    }
    object(oid: $oid) {
      ... on Commit {
        associatedPullRequests(first: 100) {
          pageInfo { hasNextPage endCursor }
          nodes { number state headRefOid }
        }
      }
    }
  }
}`

type pageInfo struct {
	HasNextPage bool `json:"hasNextPage"`
}

type headFactsAnswer struct {
	Data struct {
		Repository *struct {
			PullRequest *struct {
				HeadRefOid  string `json:"headRefOid"`
				BaseRefName string `json:"baseRefName"`
				Files       *struct {
					PageInfo pageInfo `json:"pageInfo"`
					Nodes    []struct {
						Path       string `json:"path"`
						ChangeType string `json:"changeType"`
					} `json:"nodes"`
				} `json:"files"`
			} `json:"pullRequest"`
			Object *struct {
				AssociatedPullRequests *struct {
					PageInfo pageInfo `json:"pageInfo"`
					Nodes    []struct {
						Number     int    `json:"number"`
						State      string `json:"state"`
						HeadRefOid string `json:"headRefOid"`
					} `json:"nodes"`
				} `json:"associatedPullRequests"`
			} `json:"object"`
		} `json:"repository"`
	} `json:"data"`
	Errors []json.RawMessage `json:"errors"`
}

// FilesAndCommitPulls reads the paths pull request n changes at headSHA,
// as Files does, and the pull requests on headSHA, in one GraphQL request
// to url when the files are not known yet. What the answer cannot give
// exactly as REST would is read as before: the files through Files when the
// pull request has moved on from headSHA or baseRef, changes more than 100
// files or renames one (GraphQL does not name a renamed file's previous
// path, which rules match too); the pull requests come back nil (publishing lists them
// then) when there are more than 100. An answer that is not a usable 200
// (GraphQL's own rate limit, errors in it) is not trusted at all: both are
// read as before.
func (r *Repo) FilesAndCommitPulls(ctx context.Context, url string, n int, baseRef, headSHA string) ([]string, *CommitPulls, error) {
	if v, ok := r.api.cache.files.Get(r.filesKey(n, baseRef, headSHA)); ok {
		return v.([]string), nil, nil
	}
	ans, ok := r.askHeadFacts(ctx, url, n, headSHA)
	if !ok {
		files, err := r.Files(ctx, n, baseRef, headSHA)
		return files, nil, err
	}
	files, complete := ans.graphQLFiles(baseRef, headSHA)
	if complete {
		r.api.cache.files.Add(r.filesKey(n, baseRef, headSHA), files, filesCost(files))
		return files, ans.commitPulls(), nil
	}
	files, err := r.Files(ctx, n, baseRef, headSHA)
	if err != nil {
		return nil, nil, err
	}
	return files, ans.commitPulls(), nil
}

// askHeadFacts sends the query; ok is false without an endpoint or a
// usable answer.
func (r *Repo) askHeadFacts(ctx context.Context, url string, n int, headSHA string) (ans *headFactsAnswer, ok bool) {
	if url == "" {
		return nil, false
	}
	ans = &headFactsAnswer{}
	err := r.postGraphQL(ctx, url, headFactsQuery, "HeadFacts",
		map[string]any{"owner": r.Owner, "name": r.Name, "number": n, "oid": headSHA}, ans)
	return ans, err == nil && len(ans.Errors) == 0 && ans.Data.Repository != nil
}

// graphQLFiles is the answer's files, if they are every file REST would
// list for headSHA into baseRef.
func (a *headFactsAnswer) graphQLFiles(baseRef, headSHA string) ([]string, bool) {
	pr := a.Data.Repository.PullRequest
	if pr == nil || pr.Files == nil || pr.Files.PageInfo.HasNextPage || !strings.EqualFold(pr.HeadRefOid, headSHA) ||
		pr.BaseRefName != baseRef {
		return nil, false
	}
	files := make([]string, 0, len(pr.Files.Nodes))
	for _, f := range pr.Files.Nodes {
		if f.ChangeType == "RENAMED" || f.ChangeType == "COPIED" || f.Path == "" {
			return nil, false
		}
		files = append(files, f.Path)
	}
	return files, true
}

// commitPulls is the answer's pull requests on the commit, nil unless the
// answer lists all of them.
func (a *headFactsAnswer) commitPulls() *CommitPulls {
	obj := a.Data.Repository.Object
	if obj == nil || obj.AssociatedPullRequests == nil || obj.AssociatedPullRequests.PageInfo.HasNextPage {
		return nil
	}
	out := &CommitPulls{Pulls: make([]PullOnCommit, 0, len(obj.AssociatedPullRequests.Nodes))}
	for _, p := range obj.AssociatedPullRequests.Nodes {
		out.Pulls = append(out.Pulls, PullOnCommit{Number: p.Number, Open: p.State == "OPEN", HeadSHA: p.HeadRefOid})
	}
	return out
}

// CommitPulls lists the pull requests GitHub associates with a commit, the
// first maxCommitPulls at most.
func (r *Repo) CommitPulls(ctx context.Context, sha string) (*CommitPulls, error) {
	out := &CommitPulls{}
	for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.PullRequest, *github.Response, error) {
		return r.c.PullRequests.ListPullRequestsWithCommit(ctx, r.Owner, r.Name, sha, opt)
	}) {
		if err != nil {
			return nil, fmt.Errorf("listing pull requests of %s: %w", sha, err)
		}
		for _, pr := range page {
			out.Pulls = append(out.Pulls, PullOnCommit{Number: pr.GetNumber(), Open: pr.GetState() == "open", HeadSHA: pr.GetHead().GetSHA()})
		}
		if len(out.Pulls) >= maxCommitPulls {
			break
		}
	}
	return out, nil
}
