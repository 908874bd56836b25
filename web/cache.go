package web

import (
	"cmp"
	"context"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// The overview reads a whole organisation's last 12 weeks: 10,000 pull
// requests and their events are some 30,000 rows, which SQLite takes
// 150-250 ms to scan. So each process keeps every owner's history in
// memory and brings it up to date at each view by reading only the rows
// written since the last read (indexed by changed_at and recorded_at).
// Every view still sees every write committed before it, from any replica;
// a full read every fullReload drops what the retention deleted. Rows are
// marked with the writer's clock, so the incremental read reaches back
// readSlack to cover clocks a little apart and writes that commit late.
const (
	fullReload  = 10 * time.Minute
	readSlack   = 2 * time.Minute
	maxOwners   = 64                      // owners kept; the least recently viewed goes first
	historyKeep = 13 * 7 * 24 * time.Hour // the overview's 12 weeks, and the week in progress
)

type prKey struct {
	repoID int64
	number int
}

type eventKey struct {
	repoID int64
	number int
	key    string
}

type ownerHistory struct {
	mu       sync.Mutex
	prs      map[prKey]store.PRSummary
	events   map[eventKey]store.PREvent
	loadedAt time.Time // last full read (wall clock)
	mark     time.Time // next incremental read starts here
	viewedAt time.Time
	// The maps as sorted slices, rebuilt only after a read changed them;
	// callers share them and must not modify them.
	prList []store.PRSummary
	evList []store.PREvent
	dirty  bool
	// What changed since the lists were built, when only that needs
	// merging into them (nil after a full read: rebuild them whole).
	changedPRs map[prKey]bool
	newEvents  []store.PREvent
	// version counts the reads that changed something; computed keeps the
	// overviews computed from this version (cleared when it changes).
	version  int
	computed map[string]*Overview
}

// maxComputed bounds the overviews kept per owner (views differ by
// repository, team, zone, and what the viewer may see).
const maxComputed = 64

// computed returns an overview computed from version of owner's history.
func (c *historyCache) computed(owner string, version int, key string) *Overview {
	h := c.entry(owner)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.version != version {
		return nil
	}
	return h.computed[key]
}

// keep remembers an overview computed from version of owner's history.
func (c *historyCache) keep(owner string, version int, key string, o *Overview) {
	h := c.entry(owner)
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.version != version {
		return
	}
	if h.computed == nil || len(h.computed) >= maxComputed {
		h.computed = map[string]*Overview{}
	}
	h.computed[key] = o
}

type historyCache struct {
	st     *store.Store
	mu     sync.Mutex
	owners map[string]*ownerHistory
}

func newHistoryCache(st *store.Store) *historyCache {
	return &historyCache{st: st, owners: map[string]*ownerHistory{}}
}

// overviewKinds are the events the overview reads.
var overviewKinds = []string{store.EventRequested, store.EventUnrequested, store.EventReviewed, store.EventMerged, store.EventClosed}

// history returns the version of the data (it changes whenever a read
// changed something), owner's pull requests (open, or closed within
// historyKeep of now, and perhaps some closed earlier) and events (within
// historyKeep), events oldest first, as of now in the store. The slices
// are shared: read only.
func (c *historyCache) history(ctx context.Context, owner string, now time.Time) ([]store.PRSummary, []store.PREvent, int, error) {
	h := c.entry(owner)
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.refresh(ctx, c.st, owner, now); err != nil {
		return nil, nil, 0, err
	}
	if h.dirty {
		h.update()
	}
	// Pull requests closed before the window stay until the next full read;
	// the caller skips them (ClosedAt).
	since := now.Add(-historyKeep)
	first, _ := slices.BinarySearchFunc(h.evList, since, func(e store.PREvent, t time.Time) int { return e.At.Compare(t) })
	return h.prList[:len(h.prList):len(h.prList)], h.evList[first:len(h.evList):len(h.evList)], h.version, nil
}

// update brings the sorted lists up to date: merging in what changed
// when few rows did (a write costs a copy and a merge, not a sort of
// every row), sorting the maps whole after a full read. New slices either
// way: callers may still hold the old ones.
func (h *ownerHistory) update() {
	if h.changedPRs == nil || len(h.changedPRs)+len(h.newEvents) > len(h.prs)/8 {
		h.rebuild()
	} else {
		h.merge()
	}
	h.changedPRs, h.newEvents = nil, nil
	h.dirty = false
	h.version++
	h.computed = nil
}

func comparePRs(a, b store.PRSummary) int {
	return cmp.Or(cmp.Compare(a.Repo, b.Repo), cmp.Compare(a.Number, b.Number), cmp.Compare(a.RepoID, b.RepoID))
}

func compareEvents(a, b store.PREvent) int {
	return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Key, b.Key), cmp.Compare(a.RepoID, b.RepoID), cmp.Compare(a.Number, b.Number))
}

func (h *ownerHistory) rebuild() {
	h.prList = make([]store.PRSummary, 0, len(h.prs))
	for _, p := range h.prs {
		h.prList = append(h.prList, p)
	}
	slices.SortFunc(h.prList, comparePRs)
	h.evList = make([]store.PREvent, 0, len(h.events))
	for _, e := range h.events {
		h.evList = append(h.evList, e)
	}
	slices.SortFunc(h.evList, compareEvents)
}

func (h *ownerHistory) merge() {
	fresh := make([]store.PRSummary, 0, len(h.changedPRs))
	for k := range h.changedPRs {
		fresh = append(fresh, h.prs[k])
	}
	slices.SortFunc(fresh, comparePRs)
	h.prList = mergeSorted(h.prList, fresh, comparePRs, func(p store.PRSummary) bool {
		return h.changedPRs[prKey{p.RepoID, p.Number}]
	})
	slices.SortFunc(h.newEvents, compareEvents)
	if n := len(h.evList); len(h.newEvents) > 0 && (n == 0 || compareEvents(h.evList[n-1], h.newEvents[0]) < 0) {
		// Events mostly arrive in time order: appended, the list grows in
		// place. Callers hold slices capped at their own length, so they
		// never see what is appended after them.
		h.evList = append(h.evList, h.newEvents...)
		return
	}
	h.evList = mergeSorted(h.evList, h.newEvents, compareEvents, nil)
}

// mergeSorted merges two sorted slices into a new one, leaving out the
// elements of a that drop reports (nil: none).
func mergeSorted[T any](a, b []T, compare func(T, T) int, drop func(T) bool) []T {
	out := make([]T, 0, len(a)+len(b))
	for len(a) > 0 {
		switch {
		case drop != nil && drop(a[0]):
			a = a[1:]
		case len(b) > 0 && compare(b[0], a[0]) < 0:
			out, b = append(out, b[0]), b[1:]
		default:
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(out, b...)
}

func (c *historyCache) entry(owner string) *ownerHistory {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := c.owners[owner]
	if h == nil {
		if len(c.owners) >= maxOwners {
			c.evictLocked()
		}
		h = &ownerHistory{}
		c.owners[owner] = h
	}
	h.viewedAt = time.Now()
	return h
}

func (c *historyCache) evictLocked() {
	var oldest string
	var at time.Time
	for k, h := range c.owners {
		if oldest == "" || h.viewedAt.Before(at) {
			oldest, at = k, h.viewedAt
		}
	}
	delete(c.owners, oldest)
}

// refresh reads what changed since the last read, or everything when the
// entry is new or due a full read. Called with h.mu held.
func (h *ownerHistory) refresh(ctx context.Context, st *store.Store, owner string, now time.Time) error {
	started := time.Now()
	full := h.prs == nil || started.Sub(h.loadedAt) >= fullReload
	sq := store.SummaryQuery{Owner: owner, ChangedSince: h.mark}
	eq := store.EventQuery{Owner: owner, Kinds: overviewKinds, RecordedSince: h.mark}
	if full {
		sq = store.SummaryQuery{Owner: owner, ClosedSince: now.Add(-historyKeep)}
		eq = store.EventQuery{Owner: owner, Kinds: overviewKinds, Since: now.Add(-historyKeep)}
	}
	prs, err := st.PRSummaries(ctx, sq)
	if err != nil {
		return err
	}
	evs, err := st.OwnerEvents(ctx, eq)
	if err != nil {
		return err
	}
	if full {
		h.prs, h.events, h.loadedAt = make(map[prKey]store.PRSummary, len(prs)), make(map[eventKey]store.PREvent, len(evs)), started
		h.changedPRs, h.newEvents = nil, nil
	} else if !h.dirty {
		h.changedPRs = map[prKey]bool{}
	}
	// Rows read again within the slack are usually unchanged: only a real
	// change makes the computed overviews stale.
	changed := full
	for _, p := range prs {
		k := prKey{p.RepoID, p.Number}
		if old, ok := h.prs[k]; !ok || !reflect.DeepEqual(old, p) {
			h.prs[k], changed = p, true
			if h.changedPRs != nil {
				h.changedPRs[k] = true
			}
		}
	}
	for _, e := range evs {
		k := eventKey{e.RepoID, e.Number, e.Key}
		if _, ok := h.events[k]; !ok {
			h.events[k], changed = e, true
			if h.changedPRs != nil {
				h.newEvents = append(h.newEvents, e)
			}
		}
	}
	h.mark = started.Add(-readSlack)
	h.dirty = h.dirty || changed
	return nil
}
