package simulate

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
)

// outcome is what one policy would have done to one pull request.
type outcome struct {
	templateFails []string // reasons, e.g. `section "Testing": missing`
	requested     []string // logins the app would have asked when it opened
	candidates    []string // everyone the matching rules could have asked
	noCandidate   []string // rules that matched and found nobody
	blocked       []string // merged without the approvals these rules require
	sla           slaOutcome
}

// slaOutcome is the first-review SLA of one pull request under one policy.
type slaOutcome struct {
	on       bool          // the policy has an SLA area
	clocked  bool          // the clock started (a request, before any review)
	reviewed bool          // a first review stopped it
	breached bool          //
	took     time.Duration // working time to the first review, when reviewed
}

// replayer runs one policy over the history in order of opening, carrying
// what the app would have carried from one pull request to the next: the
// review load it created and the round-robin counters.
type replayer struct {
	ctx      context.Context // ends the replay, even mid-evaluation
	p        *policy.Policy
	h        *History
	rotation map[string]int
	assigned []assignment
	owners   map[string]*reviewers.Codeowners // CODEOWNERS text -> parsed, once per replay
}

// assignment is one person the replay asked, busy until the pull request closed.
type assignment struct {
	login      string
	from, till time.Time
}

// run replays every pull request of h (sorted by opening) under p. It
// stops with ctx's error when ctx ends, even mid-evaluation: a proposed
// policy is its author's, and its worst globs make each evaluation costly.
func run(ctx context.Context, p *policy.Policy, h *History, order []int) ([]outcome, error) {
	r := &replayer{ctx: ctx, p: p, h: h, rotation: map[string]int{}, owners: map[string]*reviewers.Codeowners{}}
	out := make([]outcome, len(h.PRs))
	for _, i := range order {
		o, err := r.one(h.PRs[i])
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

func (r *replayer) one(pr PR) (outcome, error) {
	var o outcome
	if r.p == nil {
		return o, r.ctx.Err()
	}
	f := r.facts(pr)
	f.Load = r.load(pr.CreatedAt)
	open, err := decide.DecideContext(r.ctx, f, pr.CreatedAt)
	if err != nil {
		return o, err
	}
	o.templateFails = templateFails(open.Template)
	if out := open.Reviewers; out != nil {
		o.requested = out.Request
		for _, rule := range out.Rules {
			if rule.State == reviewers.StateNoCandidate {
				o.noCandidate = append(o.noCandidate, rule.Name)
			}
		}
		for k, v := range out.Rotation {
			r.rotation[k] = v
		}
		for _, login := range out.Request {
			r.assigned = append(r.assigned, assignment{login: strings.ToLower(login), from: pr.CreatedAt, till: pr.ClosedAt})
		}
		cands, err := reviewers.Candidates(r.ctx, r.p, f.Codeowners, pr.Files, r.h.Teams)
		if err != nil {
			return o, err
		}
		// The author is never asked to review their own pull request.
		o.candidates = slices.DeleteFunc(cands, func(c string) bool { return strings.EqualFold(c, pr.Author) })
		if pr.Merged() {
			if o.blocked, err = r.blocked(pr); err != nil {
				return o, err
			}
		}
	}
	o.sla, err = r.sla(pr, len(o.requested) > 0)
	return o, err
}

// facts are the pull request's facts as they were when it opened. Busy
// status and access then are unknown: nobody is taken as busy or unable.
func (r *replayer) facts(pr PR) decide.Facts {
	return decide.Facts{Policy: r.p, Repo: r.h.Repo, PR: pr.facts(), Template: pr.Template, CodeOwners: pr.CodeOwners,
		Codeowners: r.codeowners(pr.CodeOwners), Teams: r.h.Teams, Rotation: r.rotation}
}

// codeowners parses a CODEOWNERS text once while it recurs (nil for none).
func (r *replayer) codeowners(text string) *reviewers.Codeowners {
	if text == "" {
		return nil
	}
	co, ok := r.owners[text]
	if !ok {
		if len(r.owners) >= maxParsedOwners {
			clear(r.owners) // a file near 3 MiB parses into tens of MB
		}
		co, _ = reviewers.ParseCodeowners(text)
		r.owners[text] = co
	}
	return co
}

// maxParsedOwners bounds the parsed CODEOWNERS files one replay keeps; a
// repository's file rarely changes, so its pull requests share a few.
const maxParsedOwners = 4

// load is each person's open requests from the replay itself at t: what
// this policy would have asked of them on pull requests still open then.
func (r *replayer) load(t time.Time) map[string]reviewers.Load {
	l := map[string]reviewers.Load{}
	for _, a := range r.assigned {
		if a.from.After(t) || !a.till.IsZero() && !a.till.After(t) {
			continue
		}
		x := l[a.login]
		x.Open++
		if a.from.After(x.LastRequested) {
			x.LastRequested = a.from
		}
		l[a.login] = x
	}
	return l
}

// blocked lists the rules whose required approvals were not in when the
// pull request merged. Only the reviewers area is evaluated, and no rule
// asks anyone new: the question is the approvals, not the choice.
func (r *replayer) blocked(pr PR) ([]string, error) {
	only := *r.p
	only.Template, only.SLA = nil, nil
	f := r.facts(pr)
	f.Policy = &only
	f.Reviews = pr.reviewsBefore(pr.MergedAt)
	f.Rotation = map[string]int{}
	f.DoneRules = append([]string{reviewers.CodeownersRule}, ruleNames(r.p)...)
	d, err := decide.DecideContext(r.ctx, f, pr.MergedAt)
	if err != nil || d.Reviewers == nil {
		return nil, err
	}
	var out []string
	for _, rule := range d.Reviewers.Rules {
		if rule.State != reviewers.StateNotMatched && len(rule.Approvals) < rule.Required {
			out = append(out, rule.Name)
		}
	}
	return out, nil
}

// sla replays the first-review clock: it starts at the first review
// request, or at the opening when this policy would have asked reviewers
// then, and stops at the first review that counts, or runs on to the close.
func (r *replayer) sla(pr PR, requestsAtOpen bool) (slaOutcome, error) {
	p := r.p
	if p.SLA == nil || p.Enforcement.SLA == policy.ModeOff {
		return slaOutcome{}, nil
	}
	o := slaOutcome{on: true}
	start, asked := pr.firstRequest()
	if requestsAtOpen && (!asked || pr.CreatedAt.Before(start)) {
		start, asked = pr.CreatedAt, true
	}
	reviews := pr.reviewsBefore(pr.ClosedAt)
	first, reviewed := sla.FirstReview(reviews, pr.Author)
	if !asked || reviewed && first.SubmittedAt.Before(start) {
		return o, nil // never asked, or reviewed before anyone asked
	}
	end := pr.ClosedAt
	if reviewed {
		end = first.SubmittedAt
	}
	only := *p
	only.Template, only.Reviewers = nil, nil
	f := decide.Facts{Policy: &only, Repo: r.h.Repo, PR: pr.facts(), Reviews: reviews}
	f.Clock, f.ClockFound = clockUntil(p.SLA, start, end, pr.Drafts), true
	d, err := decide.DecideContext(r.ctx, f, end)
	if err != nil {
		return o, err
	}
	st := sla.Evaluate(p.SLA, d.SLA.Clock, end)
	o.clocked, o.reviewed, o.breached = true, st.State == sla.Reviewed, st.Breached
	if o.reviewed {
		o.took = st.ReviewedAfter
	}
	return o, nil
}

// clockUntil is the SLA clock started at start and paused while the pull
// request was a draft, as the app would have kept it, up to end.
func clockUntil(p *policy.SLAPolicy, start, end time.Time, drafts []Period) sla.Clock {
	var c sla.Clock
	started := false
	for _, d := range drafts {
		if !d.From.Before(end) {
			break
		}
		if !d.To.IsZero() && !d.To.After(start) {
			continue // over before the clock started
		}
		if !started && d.From.After(start) {
			c, _ = c.Start(start)
		}
		started = true
		c, _ = c.Pause(d.From, p) // no-op unless running
		if d.To.IsZero() || !d.To.Before(end) {
			return c
		}
		c, _ = c.Start(d.To)
	}
	if !started {
		c, _ = c.Start(start)
	}
	return c
}

// templateFails words each unmet requirement as a reason shared by every
// pull request failing it the same way.
func templateFails(res *template.Result) []string {
	if res == nil || res.OK() {
		return nil
	}
	var out []string
	for _, it := range res.Items {
		if it.Status == template.Met {
			continue
		}
		if it.Kind == "section" {
			out = append(out, fmt.Sprintf("section %q: %s", it.Name, it.Status))
		} else {
			out = append(out, fmt.Sprintf("%s: %s", it.Name, it.Status))
		}
	}
	return out
}

func ruleNames(p *policy.Policy) []string {
	var out []string
	for _, r := range p.Reviewers.Rules {
		out = append(out, r.Name)
	}
	return out
}

// openingOrder is the indexes of h.PRs by opening time, then number.
func openingOrder(h *History) []int {
	order := make([]int, len(h.PRs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		pa, pb := h.PRs[a], h.PRs[b]
		return cmp.Or(pa.CreatedAt.Compare(pb.CreatedAt), cmp.Compare(pa.Number, pb.Number))
	})
	return order
}

func equalFold(a, b string) bool {
	return strings.EqualFold(strings.TrimPrefix(a, "@"), strings.TrimPrefix(b, "@"))
}
