package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// repoRef names one pull request of one installation.
type repoRef struct {
	Installation int64
	RepoID       int64
	Owner, Repo  string
	Number       int
}

func (r repoRef) String() string { return fmt.Sprintf("%s/%s#%d", r.Owner, r.Repo, r.Number) }

var errNoClient = errors.New("no installation in the payload")

// repo is r's repository through a new client of its installation.
func (a *App) repo(r repoRef) (*githubapi.Repo, error) {
	in, err := a.GitHub.Installation(r.Installation)
	if err != nil {
		return nil, err
	}
	return in.Repo(r.RepoID, r.Owner, r.Repo), nil
}

// storeObjects lends the store's github_objects table to githubapi, which
// does not know the store. It reads App.Store at each call: the store is
// opened after the App is built.
type storeObjects struct{ app *App }

func (o storeObjects) GetObject(ctx context.Context, k githubapi.ObjectKey) (githubapi.Object, bool, error) {
	obj, known, err := o.app.Store.GetObject(ctx, store.ObjectKey(k))
	return githubapi.Object(obj), known, err
}

func (o storeObjects) PutObject(ctx context.Context, k githubapi.ObjectKey, obj githubapi.Object) error {
	return o.app.Store.PutObject(ctx, store.ObjectKey(k), store.Object(obj))
}

func (o storeObjects) RecordObject(ctx context.Context, k githubapi.ObjectKey, obj githubapi.Object) error {
	return o.app.Store.RecordObject(ctx, store.ObjectKey(k), store.Object(obj))
}

func (o storeObjects) LeaseObject(ctx context.Context, k githubapi.ObjectKey, claim githubapi.Object, owner string, now, expires time.Time) (githubapi.Object, bool, error) {
	obj, held, err := o.app.Store.LeaseObject(ctx, store.ObjectKey(k), store.Object(claim), owner, now, expires)
	return githubapi.Object(obj), held, err
}

func (o storeObjects) ReleaseObject(ctx context.Context, k githubapi.ObjectKey, owner string, obj *githubapi.Object) error {
	return o.app.Store.ReleaseObject(ctx, store.ObjectKey(k), owner, (*store.Object)(obj))
}
