package githubapi

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
)

// memObjects keeps what the store's github_objects table would, in memory:
// the tests here are about the API calls, and handlers' tests run the
// real store.
type memObjects struct {
	mu     sync.Mutex
	m      map[ObjectKey]Object
	leases map[ObjectKey]memLease
	// onPut, when set, sees every write of a record before it is made,
	// claims included.
	onPut func(ObjectKey, Object)
	// lazy holds, for each record RecordObject wrote since the last
	// durable write (which flushes every write before it, as PostgreSQL's
	// one WAL does), what it was before: crash puts those back.
	lazy map[ObjectKey]*Object
}

// RecordObject is PutObject that a crash may undo.
func (o *memObjects) RecordObject(_ context.Context, k ObjectKey, obj Object) error {
	o.mu.Lock()
	if _, ok := o.lazy[k]; !ok {
		if o.lazy == nil {
			o.lazy = map[ObjectKey]*Object{}
		}
		var before *Object
		if old, ok := o.m[k]; ok {
			before = &old
		}
		o.lazy[k] = before
	}
	o.put(k, obj)
	o.mu.Unlock()
	return nil
}

// crash loses every write RecordObject made since the last durable write.
func (o *memObjects) crash() {
	o.mu.Lock()
	defer o.mu.Unlock()
	for k, before := range o.lazy {
		if before == nil {
			delete(o.m, k)
		} else {
			o.m[k] = *before
		}
	}
	o.lazy = nil
}

type memLease struct {
	owner string
	until time.Time
}

func (o *memObjects) GetObject(_ context.Context, k ObjectKey) (Object, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, ok := o.m[k]
	return obj, ok, nil
}

func (o *memObjects) PutObject(_ context.Context, k ObjectKey, obj Object) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.put(k, obj)
	o.lazy = nil
	return nil
}

func (o *memObjects) put(k ObjectKey, obj Object) {
	if o.onPut != nil {
		o.onPut(k, obj)
	}
	if o.m == nil {
		o.m = map[ObjectKey]Object{}
	}
	o.m[k] = obj
}

func (o *memObjects) LeaseObject(_ context.Context, k ObjectKey, claim Object, owner string, now, expires time.Time) (Object, bool, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if l, ok := o.leases[k]; ok && l.owner != owner && !l.until.Before(now) {
		return Object{}, false, nil
	}
	if o.leases == nil {
		o.leases = map[ObjectKey]memLease{}
	}
	o.leases[k] = memLease{owner, expires}
	obj, ok := o.m[k]
	if !ok {
		if o.onPut != nil {
			o.onPut(k, claim)
		}
		if o.m == nil {
			o.m = map[ObjectKey]Object{}
		}
		obj, o.m[k] = claim, claim
	}
	return obj, true, nil
}

func (o *memObjects) ReleaseObject(_ context.Context, k ObjectKey, owner string, obj *Object) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.leases[k].owner != owner {
		return nil
	}
	delete(o.leases, k)
	if obj != nil {
		if o.onPut != nil {
			o.onPut(k, *obj)
		}
		o.m[k] = *obj
	}
	return nil
}

// setup is acme/app (ID 4711, branch main) of installation 99 in a fake
// GitHub, seen through the same client stack as serve (go-githubapp with
// its response cache).
type setup struct {
	fake    *githubfake.Fake
	api     *API
	objects *memObjects
	repo    *Repo
	now     time.Time
}

func newSetup(t *testing.T, files map[string]string) *setup {
	t.Helper()
	fake := githubfake.New(t)
	fake.AddRepo("acme", "app", 4711, "main")
	fake.AddInstallation(99, "acme")
	for path, text := range files {
		fake.SetFile("acme", "app", "main", path, text)
	}
	var cfg githubapp.Config
	cfg.V3APIURL = fake.URL
	cfg.App.IntegrationID = fake.AppID()
	cfg.App.PrivateKey = string(fake.PrivateKeyPEM())
	clients, err := githubapp.NewDefaultCachingClientCreator(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := &setup{fake: fake, objects: &memObjects{}, now: time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)}
	s.api = New(clients, fake.AppID(), s.objects, func() time.Time { return s.now })
	s.repo = s.newRepo(t)
	return s
}

// newRepo is acme/app through a new installation client, as each job gets.
func (s *setup) newRepo(t *testing.T) *Repo {
	t.Helper()
	in, err := s.api.Installation(99)
	if err != nil {
		t.Fatal(err)
	}
	return in.Repo(4711, "acme", "app")
}
