package simulate

import (
	"encoding/json"
	"errors"
	"fmt"
)

// The server keeps the full report of a policy pull request's what-if so the
// pull request's page can show it without calling GitHub. It is kept under
// the pull request and the head whose policy was replayed.

// MaxStored bounds one stored report. A replay of 100 pull requests is a
// few tens of kilobytes; keys are clipped before encoding, so only a policy
// with very many rules or reviewers comes near it.
const MaxStored = 512 << 10

// ErrTooLarge is returned by EncodeStored for a report over MaxStored.
var ErrTooLarge = errors.New("simulate: the report is too large to store")

// Stored is a report as kept for a pull request's page.
type Stored struct {
	Head   string `json:"head"` // the head commit whose policy was replayed
	Report Report `json:"report"`
}

// StoredKey names the stored report of a pull request's head.
func StoredKey(repoID int64, number int, head string) string {
	return fmt.Sprintf("whatif-report/%d/%d/%s", repoID, number, head)
}

// EncodeStored encodes r for storing, its keys and notes clipped.
func EncodeStored(head string, r Report) ([]byte, error) {
	r.Repo, r.Current, r.Proposed = clean(r.Repo), clean(r.Current), clean(r.Proposed)
	for _, gs := range []*[]Group{&r.Template, &r.Load, &r.NoCandidate, &r.Blocked} {
		*gs = append([]Group(nil), *gs...) // the caller's report stays as it was
		for i := range *gs {
			(*gs)[i].Key = clean((*gs)[i].Key)
		}
	}
	r.Unknown = append([]string(nil), r.Unknown...)
	for i := range r.Unknown {
		r.Unknown[i] = clean(r.Unknown[i])
	}
	data, err := json.Marshal(Stored{Head: head, Report: r})
	if err != nil {
		return nil, err
	}
	if len(data) > MaxStored {
		return nil, ErrTooLarge
	}
	return data, nil
}

// Area is one area of a report: its title, what it counts, its groups.
type Area struct {
	Title, Unit string
	Groups      []Group
}

// Areas lists the report's areas in the order every format shows them.
func (r Report) Areas() []Area {
	in := r.areas()
	out := make([]Area, len(in))
	for i, a := range in {
		out[i] = Area(a)
	}
	return out
}
