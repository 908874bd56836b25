// Package githubapi is the app's adapter to GitHub's REST and GraphQL APIs:
// every read the evaluations make (listings, files, teams, access), the
// caches of what GitHub answered, and the two idempotent writes, the check
// run and the sticky comment. It decides nothing: the handlers package says
// what to read and write, the policy packages what it means.
//
// Caches hold only what cannot change for their key (a head SHA's files, a
// blob SHA's text) or what may be trusted for a while (a collaborator's
// access); they are per process. What the app wrote is remembered in the
// store (Objects), shared by every replica.
package githubapi

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/go-github/v60/github"
	lru "github.com/hashicorp/golang-lru"
	"github.com/palantir/go-githubapp/githubapp"

	"github.com/reviewpolicy/reviewpolicy/bytecache"
)

// API hands out one installation's view of GitHub. Safe for concurrent use.
type API struct {
	clients githubapp.ClientCreator
	appID   int64
	objects Objects
	now     func() time.Time
	cache   caches

	botMu sync.Mutex
	bot   string
}

// caches keep what GitHub answered, per process. A replica that misses
// pays one request, which conditional requests make cheap.
type caches struct {
	files *bytecache.Cache // repoID/headSHA -> []string, by bytes (filesCost)
	blobs *bytecache.Cache // blob SHA -> text (templates, CODEOWNERS, policies), by bytes
	// collaborators: "repoID/login" -> collaborator, trusted for collaboratorTTL.
	collaborators *lru.Cache
	codeowners    *bytecache.Cache // blob SHA -> *reviewers.Codeowners, by its Cost
	statuses      *lru.Cache       // lower-cased login -> status, trusted for statusTTL
}

// filesCacheBytes bounds the pull requests' file lists kept: up to 6,000
// paths each (3,000 files, renamed ones under both names), chosen by
// whoever opens the pull request. They are counted too (2,048, as before
// the byte bound): most lists are small, and a list is read again only
// while its head is the newest, so more of them would only hold memory.
const filesCacheBytes = 16 << 20

// blobCacheBytes bounds the texts kept. Anyone who can push chooses them,
// up to MaxTextFile each: a count alone (1,024, still kept) would let a
// thousand of them hold a gigabyte.
const blobCacheBytes = 16 << 20

// codeownersCacheBytes bounds the parsed CODEOWNERS files kept, one per
// blob SHA, by what they hold (Codeowners.Cost): a file near GitHub's 3 MiB
// limit holds 35 to 120 MB, so 32 of them, the count that alone bounded
// this cache before, could hold gigabytes. An ordinary file of a few
// thousand lines costs a megabyte or two. A file costing more than the
// whole budget is parsed again at each use: its owner pays in time, and
// the process does not pay in memory.
const codeownersCacheBytes = 64 << 20

// New returns an API for the app appID. objects remembers what the app
// wrote; now is read for the collaborator cache's TTL (nil: time.Now).
func New(clients githubapp.ClientCreator, appID int64, objects Objects, now func() time.Time) *API {
	if now == nil {
		now = time.Now
	}
	files := bytecache.New(filesCacheBytes, 256, 2048)
	blobs := bytecache.New(blobCacheBytes, 256, 1024)
	collaborators, _ := lru.New(4096)
	owners := bytecache.New(codeownersCacheBytes, 256, 32)
	statuses, _ := lru.New(4096)
	return &API{clients: clients, appID: appID, objects: objects, now: now,
		cache: caches{files: files, blobs: blobs, collaborators: collaborators, codeowners: owners, statuses: statuses}}
}

// Installation is one installation's client and the API's caches.
type Installation struct {
	api *API
	c   *github.Client
	id  int64
}

// Installation returns the client of installation id.
func (a *API) Installation(id int64) (*Installation, error) {
	c, err := a.clients.NewInstallationClient(id)
	if err != nil {
		return nil, fmt.Errorf("installation client %d: %w", id, err)
	}
	return &Installation{api: a, c: c, id: id}, nil
}

// Repo is one repository seen through its installation.
type Repo struct {
	*Installation
	ID    int64
	Owner string
	Name  string
}

// Repo returns the repository owner/name (GitHub's ID id).
func (in *Installation) Repo(id int64, owner, name string) *Repo {
	return &Repo{Installation: in, ID: id, Owner: owner, Name: name}
}

func (r *Repo) String() string { return r.Owner + "/" + r.Name }

// pr names pull request n in errors.
func (r *Repo) pr(n int) string { return fmt.Sprintf("%s/%s#%d", r.Owner, r.Name, n) }

// learnSlug remembers the app's slug from a listing that carries it.
func (a *API) learnSlug(slug string) {
	if slug == "" {
		return
	}
	a.botMu.Lock()
	defer a.botMu.Unlock()
	a.bot = slug + "[bot]"
}

// BotLogin is the login GitHub shows on what the app writes ("slug[bot]"):
// from the installations listing (reconciliation makes one at start), or
// else asked of GitHub once per process.
func (a *API) BotLogin(ctx context.Context) (string, error) {
	a.botMu.Lock()
	defer a.botMu.Unlock()
	if a.bot != "" {
		return a.bot, nil
	}
	c, err := a.clients.NewAppClient()
	if err != nil {
		return "", err
	}
	app, _, err := c.Apps.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("reading the app's own slug: %w", err)
	}
	a.bot = app.GetSlug() + "[bot]"
	return a.bot, nil
}

// CacheBytes reports what each byte-bounded cache holds now, by name.
func (a *API) CacheBytes() map[string]int {
	return map[string]int{
		"files": a.cache.files.Bytes(), "blobs": a.cache.blobs.Bytes(), "codeowners": a.cache.codeowners.Bytes(),
	}
}
