package githubapi

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// A commit's check run shows the verdicts of every open pull request whose
// head it is, so jobs of different pull requests, in any replica, may write
// it at once. Its writer holds a lease on the check run's record in the
// store (Objects): one job at a time reads the verdicts and writes the run,
// so an older combination never overwrites a newer one, and two jobs never
// both create a run.
const (
	// checkLeaseTTL bounds a lease its holder never gave back (its process
	// died): the holder makes one or two API calls.
	checkLeaseTTL = time.Minute
	// checkLeaseWait is how long a writer waits for another's lease.
	checkLeaseWait = 30 * time.Second
)

// CheckRunLease is one owner's right to write a commit's check run. Taking
// it is one write to the store, which also creates the record as a claim
// when there is none; Release records what Write wrote and frees the lease
// in one more.
type CheckRunLease struct {
	r     *Repo
	sha   string
	key   ObjectKey
	owner string
	obj   Object // the record as the lease found it, then as written
	fresh bool   // the lease created the record: a claim of its own
	wrote bool
}

// LeaseCheckRun waits for sha's check-run lease and takes it for owner,
// which should be stable across retries of one job (a retry then retakes
// its own lease at once).
func (r *Repo) LeaseCheckRun(ctx context.Context, sha, owner string) (*CheckRunLease, error) {
	c := r.ClaimCheckRun(sha, owner)
	deadline := time.Now().Add(checkLeaseWait)
	for wait := 20 * time.Millisecond; ; wait = min(wait*2, 500*time.Millisecond) {
		now := r.api.now()
		obj, held, err := r.api.objects.LeaseObject(ctx, c.Key, c.Claim, owner, now, c.Until(now))
		if err != nil {
			return nil, err
		}
		if held {
			return c.Taken(obj), nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("the check run of %s stayed busy for %s", sha, checkLeaseWait)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// CheckRunClaim is an attempt at a commit's check-run lease for a caller
// that takes it in a write of its own, with other statements (one round
// trip instead of two): it writes Claim under Key as Objects.LeaseObject
// does, for Owner until Until(now), and gives Taken the record found when
// the lease was held. LeaseCheckRun waits for a lease that was not.
type CheckRunClaim struct {
	Key   ObjectKey
	Claim Object
	Owner string
	r     *Repo
	sha   string
}

// ClaimCheckRun prepares owner's attempts at sha's lease. Its claim is its
// own: a claim found with another hash was left by a writer that may have
// created the run and died before recording it.
func (r *Repo) ClaimCheckRun(sha, owner string) CheckRunClaim {
	return CheckRunClaim{Key: CheckRunKey(r.ID, sha), Claim: Object{Hash: Claimed + ":" + rand.Text()}, Owner: owner, r: r, sha: sha}
}

// Until is when a lease taken at now expires.
func (c CheckRunClaim) Until(now time.Time) time.Time { return now.Add(checkLeaseTTL) }

// Taken is the lease c's write took, which found (or created) obj.
func (c CheckRunClaim) Taken(obj Object) *CheckRunLease {
	fresh := obj.ID == 0 && obj.Hash == c.Claim.Hash
	return &CheckRunLease{r: c.r, sha: c.sha, key: c.Key, owner: c.Owner, obj: obj, fresh: fresh}
}

// Known reports whether the app wrote the commit's check run before, as far
// as the store remembers (a claim does not count).
func (l *CheckRunLease) Known() bool { return l.obj.ID != 0 }

// Write creates the commit's check run or updates the app's one with rep
// and details ("" leaves GitHub's default link, the app's page), unless it
// shows them already. The store learns of it when the lease is released.
// A record without an ID that this lease did not create is a claim left
// behind: the run is looked for on GitHub first. A report without a
// conclusion is written as in progress.
func (l *CheckRunLease) Write(ctx context.Context, rep check.Report, details string) error {
	obj := l.obj
	if obj.ID == 0 && !l.fresh {
		id, err := l.r.findCheckRun(ctx, l.sha)
		if err != nil {
			return err
		}
		obj = Object{ID: id}
	}
	hash := checkRunHash(rep, details)
	if obj.ID != 0 && obj.Hash == hash {
		return nil
	}
	id, err := l.r.writeCheckRun(ctx, l.sha, obj.ID, rep, details)
	if err != nil {
		return err
	}
	l.obj, l.fresh, l.wrote = Object{ID: id, Hash: hash}, false, true
	return nil
}

// Release records what Write wrote, if anything, and frees the lease: one
// write. A claim the lease created stays when nothing was written; the
// next writer then looks on GitHub once.
func (l *CheckRunLease) Release(ctx context.Context) error {
	var rec *Object
	if l.wrote {
		rec = &l.obj
	}
	return l.r.api.objects.ReleaseObject(ctx, l.key, l.owner, rec)
}
