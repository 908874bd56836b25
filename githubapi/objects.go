package githubapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Objects remembers the GitHub objects the app wrote (a check run per
// commit, a sticky comment per pull request) and a hash of what it wrote
// last, for every replica. The store implements it (handlers adapts it),
// so this package needs no database.
type Objects interface {
	GetObject(ctx context.Context, k ObjectKey) (o Object, known bool, err error)
	// PutObject records o for k durably: a claim made before creating the
	// object on GitHub must survive a crash of the store.
	PutObject(ctx context.Context, k ObjectKey, o Object) error
	// RecordObject records what GitHub holds for k once the app wrote or
	// looked there. It may be lost in a crash of the store (the store
	// commits it without waiting for the disk): the claim PutObject made
	// before then stands, or no record, and the next writer looks on
	// GitHub instead of creating another.
	RecordObject(ctx context.Context, k ObjectKey, o Object) error
	// LeaseObject takes owner's lease on k's record until expires, if it is
	// free, expired or owner's already, and returns the record; with no
	// record, claim becomes it. held is false when another owner holds it.
	LeaseObject(ctx context.Context, k ObjectKey, claim Object, owner string, now, expires time.Time) (o Object, held bool, err error)
	// ReleaseObject frees owner's lease on k's record, recording o with it
	// when o is not nil.
	ReleaseObject(ctx context.Context, k ObjectKey, owner string, o *Object) error
}

// ObjectKey names a GitHub object the app wrote: Kind is "comment" for pull
// request Number's sticky comment, "check_run:<sha>" (Number 0) for a
// commit's check run.
type ObjectKey struct {
	RepoID int64
	Number int
	Kind   string
}

// Object is a GitHub object's ID and a hash of what the app wrote to it;
// an empty hash makes the next write happen whatever it says.
type Object struct {
	ID   int64
	Hash string
}

// CheckRunKey is where a commit's check run is remembered.
func CheckRunKey(repoID int64, sha string) ObjectKey {
	return ObjectKey{RepoID: repoID, Number: 0, Kind: "check_run:" + sha}
}

// CommentKey is where pull request number's sticky comment is remembered.
func CommentKey(repoID int64, number int) ObjectKey {
	return ObjectKey{RepoID: repoID, Number: number, Kind: "comment"}
}

// contentHash identifies what the app wrote to an object.
func contentHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
