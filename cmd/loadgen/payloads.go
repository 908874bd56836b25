package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// weight is one event type of the mix and its share.
type weight struct {
	Event  string
	Weight int
}

// parseMix reads "pull_request=70,ping=5" into weights, in the given order.
func parseMix(s string) ([]weight, error) {
	var out []weight
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		event, n, ok := strings.Cut(part, "=")
		w, err := strconv.Atoi(strings.TrimSpace(n))
		event = strings.TrimSpace(event)
		if !ok || err != nil || w < 0 || event == "" {
			return nil, fmt.Errorf("mix: %q is not event=weight with a whole weight >= 0", part)
		}
		if seen[event] {
			return nil, fmt.Errorf("mix: %s given twice", event)
		}
		seen[event] = true
		if w > 0 {
			out = append(out, weight{event, w})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("mix: %q gives no event a positive weight", s)
	}
	return out, nil
}

// vars are what varies between deliveries built from one payload file.
type vars struct {
	PR     int
	RepoID int64
	Repo   string
	SHA    string
	// Updated is the pull request's updated_at (RFC 3339).
	Updated string
}

// holes are the placeholders a template carries. Numbers are marked as
// quoted strings so the marshalled template stays valid JSON; render drops
// the quotes.
const (
	holePR     = `"@@LG_PR@@"`
	holeRepoID = `"@@LG_REPOID@@"`
	holeSHA    = `@@LG_SHA@@`
	holeRepo   = `@@LG_REPO@@`
	// holeUpdated is the pull request's updated_at: the fixtures' 2019, or
	// the time of sending (-updated-now), which lets the server use the
	// payload instead of reading the pull request (handlers/snapshot.go).
	holeUpdated = `@@LG_UPDATED@@`
)

// fixtureUpdated is what holeUpdated holds without -updated-now: as old as
// the fixtures, so the server reads every pull request, as it did before.
const fixtureUpdated = "2019-05-15T15:20:33Z"

var holeRE = regexp.MustCompile(`"@@LG_PR@@"|"@@LG_REPOID@@"|@@LG_SHA@@|@@LG_REPO@@|@@LG_UPDATED@@`)

// template is one payload file cut at its placeholders, so building a
// delivery is a few appends instead of a JSON decode and encode: the load
// generator shares two cores with the server it measures.
type template struct {
	Event, Name string
	literals    [][]byte // len(holes)+1
	holes       []string
	// TracksSHA: a job for this delivery writes a check run on the head
	// SHA the payload names, so its end-to-end latency can be observed.
	TracksSHA bool
	// Owner is the repository owner's login; PRState the state of the
	// pull request the payload carries ("" when it carries none). The fake
	// GitHub answers a read of that pull request with what was sent last.
	Owner, PRState string
}

// newTemplate marks the varied fields of payload and compiles it.
func newTemplate(event, name string, payload []byte) (*template, error) {
	var doc map[string]any
	if err := json.Unmarshal(payload, &doc); err != nil {
		return nil, fmt.Errorf("%s/%s: %w", event, name, err)
	}
	owner, prState := payloadOwnerAndState(doc)
	tracks := markHoles(event, doc)
	marked, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", event, name, err)
	}
	t := &template{Event: event, Name: name, TracksSHA: tracks, Owner: owner}
	if event == "pull_request" || event == "pull_request_review" {
		t.PRState = prState
	}
	last := 0
	for _, loc := range holeRE.FindAllIndex(marked, -1) {
		t.literals = append(t.literals, marked[last:loc[0]])
		t.holes = append(t.holes, string(marked[loc[0]:loc[1]]))
		last = loc[1]
	}
	t.literals = append(t.literals, marked[last:])
	return t, nil
}

// payloadOwnerAndState reads the repository owner's login and the state of
// the payload's pull request, before markHoles replaces them.
func payloadOwnerAndState(doc map[string]any) (owner, state string) {
	if repo, ok := doc["repository"].(map[string]any); ok {
		if o, ok := repo["owner"].(map[string]any); ok {
			owner, _ = o["login"].(string)
		}
	}
	if pr, ok := doc["pull_request"].(map[string]any); ok {
		state, _ = pr["state"].(string)
	}
	return owner, state
}

// markHoles puts placeholders where a delivery varies: the repository, the
// pull request number and head SHA, wherever the event carries them. The
// installation is kept: the fake GitHub answers for any installation. It
// reports whether the event's job will write a check run on that SHA.
func markHoles(event string, doc map[string]any) bool {
	// Every body is unique: the server refuses a signed body it has seen
	// under another delivery ID as a replay.
	doc["loadgen_delivery"] = holeSHA
	if repo, ok := doc["repository"].(map[string]any); ok {
		repo["id"] = holeRepoID[1 : len(holeRepoID)-1]
		repo["name"] = holeRepo
		owner := ""
		if o, ok := repo["owner"].(map[string]any); ok {
			owner, _ = o["login"].(string)
		}
		repo["full_name"] = owner + "/" + holeRepo
	}
	num := holePR[1 : len(holePR)-1]
	pr := func(p any) {
		m, ok := p.(map[string]any)
		if !ok {
			return
		}
		m["number"] = num
		m["updated_at"] = holeUpdated
		if head, ok := m["head"].(map[string]any); ok {
			head["sha"] = holeSHA
		}
	}
	prs := func(list any) {
		l, _ := list.([]any)
		for _, p := range l {
			pr(p)
		}
	}
	switch event {
	case "pull_request":
		if _, ok := doc["number"]; ok {
			doc["number"] = num
		}
		pr(doc["pull_request"])
		// Only an open pull request gets a check run; the payload's own
		// pull request is used as is, so the head SHA reaches GitHub.
		p, _ := doc["pull_request"].(map[string]any)
		return p != nil && p["state"] == "open"
	case "pull_request_review":
		pr(doc["pull_request"])
	case "check_suite", "check_run":
		for _, key := range []string{"check_suite", "check_run"} {
			if c, ok := doc[key].(map[string]any); ok {
				c["head_sha"] = holeSHA
				prs(c["pull_requests"])
				if cs, ok := c["check_suite"].(map[string]any); ok {
					cs["head_sha"] = holeSHA
					prs(cs["pull_requests"])
				}
			}
		}
	}
	return false
}

// render builds one delivery body from the template.
func (t *template) render(v vars) []byte {
	size := 0
	for _, l := range t.literals {
		size += len(l)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size+len(t.holes)*48))
	for i, h := range t.holes {
		buf.Write(t.literals[i])
		switch h {
		case holePR:
			buf.WriteString(strconv.Itoa(v.PR))
		case holeRepoID:
			buf.WriteString(strconv.FormatInt(v.RepoID, 10))
		case holeSHA:
			buf.WriteString(v.SHA)
		case holeRepo:
			buf.WriteString(v.Repo)
		case holeUpdated:
			buf.WriteString(v.Updated)
		}
	}
	buf.Write(t.literals[len(t.literals)-1])
	return buf.Bytes()
}

// loadTemplates reads dir/<event>/*.json for every event of the mix. A
// payload without an installation is skipped unless the event is ping:
// GitHub always names the installation when it delivers to an app, and the
// server would retry such a job for nothing.
func loadTemplates(dir string, mix []weight) (map[string][]*template, error) {
	out := map[string][]*template{}
	for _, w := range mix {
		files, err := filepath.Glob(filepath.Join(dir, w.Event, "*.json"))
		if err != nil {
			return nil, fmt.Errorf("payloads: %w", err)
		}
		slices.Sort(files)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("payloads: %w", err)
			}
			var env struct {
				Installation *struct{ ID int64 } `json:"installation"`
			}
			if err := json.Unmarshal(data, &env); err != nil {
				return nil, fmt.Errorf("payloads: %s: %w", f, err)
			}
			if env.Installation == nil && w.Event != "ping" {
				continue
			}
			t, err := newTemplate(w.Event, filepath.Base(f), data)
			if err != nil {
				return nil, fmt.Errorf("payloads: %w", err)
			}
			out[w.Event] = append(out[w.Event], t)
		}
		if len(out[w.Event]) == 0 {
			return nil, fmt.Errorf("payloads: no usable %s payload under %s", w.Event, dir)
		}
	}
	return out, nil
}

// picker chooses the next delivery: an event by weight, one of its
// payloads, a repository and a pull request, and a head SHA never used
// before (so every pull_request job writes its own check run).
type picker struct {
	rng       *rand.Rand
	mix       []weight
	total     int
	templates map[string][]*template
	repos     int
	prs       int
	nonce     uint32
	seq       uint64
	// updatedNow stamps each pull request's updated_at with the time the
	// delivery is built (just before it is sent), as GitHub's would be.
	updatedNow bool
}

func newPicker(seed uint64, mix []weight, templates map[string][]*template, repos, prs int) *picker {
	p := &picker{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), mix: mix, templates: templates,
		repos: max(repos, 1), prs: max(prs, 1)}
	p.nonce = p.rng.Uint32()
	for _, w := range mix {
		p.total += w.Weight
	}
	return p
}

// delivery is one webhook ready to send.
type delivery struct {
	ID    string
	Event string
	Body  []byte
	SHA   string // set when the job will write a check run on it
	// PR is the pull request the payload carries (Number 0: none), as
	// GitHub would show it once the delivery is sent.
	PR pullState
}

// pullState is what GitHub says of a pull request: the fake GitHub answers
// a read of it with the head and state the last delivery sent carried, so
// a server that reads the pull request instead of trusting the payload
// checks the head loadgen tracks (a fixed head made end-to-end latency
// unmeasurable: every check run landed on a SHA no delivery carried).
type pullState struct {
	Owner, Repo string
	Number      int
	Head, State string
}

// key names the pull request in the fake GitHub's table.
func (p pullState) key() string { return p.Owner + "/" + p.Repo + "#" + strconv.Itoa(p.Number) }

func (p *picker) next() delivery {
	p.seq++
	n := p.rng.IntN(p.total)
	event := p.mix[len(p.mix)-1].Event
	for _, w := range p.mix {
		if n < w.Weight {
			event = w.Event
			break
		}
		n -= w.Weight
	}
	ts := p.templates[event]
	t := ts[p.rng.IntN(len(ts))]
	repo := p.rng.IntN(p.repos)
	v := vars{
		PR:     1 + p.rng.IntN(p.prs),
		RepoID: 100000 + int64(repo),
		Repo:   "loadgen-" + strconv.Itoa(repo),
		SHA:    fmt.Sprintf("%08x%032x", p.nonce, p.seq),
		// The fixtures' time: the server reads the pull request.
		Updated: fixtureUpdated,
	}
	if p.updatedNow {
		v.Updated = time.Now().UTC().Format(time.RFC3339)
	}
	d := delivery{
		ID:    fmt.Sprintf("%08x-loadgen-%012d", p.nonce, p.seq),
		Event: event,
		Body:  t.render(v),
	}
	if t.TracksSHA {
		d.SHA = v.SHA
	}
	if t.PRState != "" {
		d.PR = pullState{Owner: t.Owner, Repo: v.Repo, Number: v.PR, Head: v.SHA, State: t.PRState}
	}
	return d
}
