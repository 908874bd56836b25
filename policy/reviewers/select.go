package reviewers

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/policy"
)

// ruleSpec is a policy rule, or the implicit CODEOWNERS rule, ready to run.
type ruleSpec struct {
	name     string
	refs     []string // logins and "@org/team", as written
	count    int
	required int
	matched  []int  // indexes into the pull request's files
	note     string // added to Why when the rule matches
	unmet    string // the part of the rule's `when` the pull request fails; "" when it holds
}

// candidate is one person a rule may ask.
type candidate struct {
	login string // as written in the policy or team
	key   string // lower-cased login
	via   string // the "@org/team" that brought them in; "" when listed directly
}

// selector carries the per-call state shared by all rules.
type selector struct {
	in        Input
	idx       *fileIndex
	files     []string
	author    string // lower-cased
	requested map[string]bool
	removed   map[string]bool
	done      map[string]bool
	reviews   map[string]reviewState
	chosen    map[string]int // requests made by this call, an extra load
	leadRule  bool           // a rule naming one of the policy's leads applies
	hours     *policy.WorkingHours
	out       Output
}

// Select chooses reviewers for the pull request and reports every rule.
func Select(in Input) Output {
	out, _ := SelectContext(context.Background(), in)
	return out
}

// SelectContext is Select that stops with ctx's error when ctx ends while
// it matches rules against files.
func SelectContext(ctx context.Context, in Input) (Output, error) {
	if in.Policy == nil || in.Policy.Reviewers == nil {
		return Output{}, nil
	}
	s := newSelector(ctx, in)
	if in.Policy.Reviewers.Strategy == policy.StrategyExpertise && (in.Expertise == nil || in.Expertise.Learning) {
		s.note(learningNote)
	}
	specs := s.specs()
	if s.idx.err != nil {
		return Output{}, s.idx.err
	}
	s.leadRule = leadRuleApplies(in.Policy, specs)
	requests := make(map[string]string) // key -> login
	for _, spec := range specs {
		res := s.evaluate(spec)
		for _, a := range res.Assigned {
			if a.New {
				requests[strings.ToLower(a.Login)] = a.Login
			}
		}
		s.out.Rules = append(s.out.Rules, res)
	}
	for _, login := range requests {
		s.out.Request = append(s.out.Request, login)
	}
	slices.SortFunc(s.out.Request, func(a, b string) int {
		return strings.Compare(strings.ToLower(a), strings.ToLower(b))
	})
	return s.out, nil
}

func newSelector(ctx context.Context, in Input) *selector {
	s := &selector{
		in:        in,
		idx:       newFileIndex(ctx, in.PR.Files),
		files:     in.PR.Files,
		author:    strings.ToLower(in.PR.Author),
		requested: loginSet(in.Requested),
		removed:   loginSet(in.Removed),
		done:      make(map[string]bool, len(in.DoneRules)),
		reviews:   latestReviews(in.Reviews),
		chosen:    make(map[string]int),
	}
	for _, r := range in.DoneRules {
		s.done[r] = true
	}
	if in.Policy.SLA != nil {
		s.hours = in.Policy.SLA.WorkingHours
	}
	return s
}

// specs matches the changed files against the policy's rules and, when
// enabled, builds the CODEOWNERS rule.
func (s *selector) specs() []ruleSpec {
	area := s.in.Policy.Reviewers
	areaCount := max(area.Count, 1)
	idx := s.idx
	specs := make([]ruleSpec, 0, len(area.Rules)+1)
	for _, r := range area.Rules {
		spec := ruleSpec{
			name:     r.Name,
			refs:     r.Reviewers,
			count:    areaCount,
			required: r.RequiredApprovals,
			matched:  idx.match(r.Paths),
		}
		if r.Count > 0 {
			spec.count = r.Count
		}
		if len(r.Reviewers) == 0 {
			spec.note = "the rule lists no reviewers"
		}
		if len(spec.matched) > 0 {
			if spec.unmet = r.When.Unmet(s.in.PR); spec.unmet != "" {
				spec.matched = nil
			}
		}
		specs = append(specs, spec)
	}
	if area.Codeowners {
		specs = append(specs, s.codeownersSpec(areaCount))
	}
	return specs
}

// codeownersSpec builds the implicit rule whose candidates are the owners of
// the changed files. What GitHub would do that this rule cannot (an ignored
// file, skipped lines, e-mail owners) goes to the output's notes.
func (s *selector) codeownersSpec(count int) ruleSpec {
	spec := ruleSpec{name: CodeownersRule, count: count}
	co := s.codeowners()
	if co == nil {
		s.note("the base branch has no CODEOWNERS file")
		return spec
	}
	if why := co.Ignored(); why != "" {
		s.note(why)
		return spec
	}
	if errs, n := co.Skipped(); n > 0 {
		s.note(fmt.Sprintf("%d CODEOWNERS line%s skipped, as GitHub skips them; first: %v", n, plural(n), errs[0]))
	}
	owners, err := co.Match(s.files)
	if err != nil {
		s.note(err.Error() + "; its owners were not asked")
		return spec
	}
	seen := make(map[string]bool)
	var emails []string
	for i, o := range owners {
		requestable := false
		for _, ref := range o {
			k := strings.ToLower(ref)
			switch {
			case isEmail(ref):
				if !seen[k] {
					emails = append(emails, ref)
				}
			case !seen[k]:
				spec.refs = append(spec.refs, ref)
				requestable = true
			default:
				requestable = true
			}
			seen[k] = true
		}
		if requestable {
			spec.matched = append(spec.matched, i)
		}
	}
	if len(emails) > 0 {
		s.note(fmt.Sprintf("CODEOWNERS names e-mail owners, who cannot be requested (a review is requested by login): %s",
			capList(emails, 5)))
	}
	return spec
}

// codeowners is the parsed CODEOWNERS file, or nil when there is none.
func (s *selector) codeowners() *Codeowners {
	if s.in.ParsedCodeowners != nil {
		return s.in.ParsedCodeowners
	}
	if s.in.CodeOwners == "" {
		return nil
	}
	co, _ := ParseCodeowners(s.in.CodeOwners)
	return co
}

func (s *selector) note(n string) { s.out.Notes = append(s.out.Notes, n) }

// evaluate runs one rule: who is already on it, whom to add, and its state.
func (s *selector) evaluate(spec ruleSpec) RuleResult {
	res := RuleResult{Name: spec.name, MatchedCount: len(spec.matched), Required: spec.required}
	for _, i := range spec.matched[:min(len(spec.matched), maxMatched)] {
		res.Matched = append(res.Matched, s.files[i])
	}
	if len(spec.matched) == 0 {
		res.State = StateNotMatched
		res.Unmet = spec.unmet
		return res
	}

	cands, notes := s.expand(spec.refs)
	if spec.note != "" {
		notes = append(notes, spec.note)
	}
	what := s.matchedPhrase(spec)

	// People already on the pull request satisfy the rule first; one whose
	// request the app withdrew does not, though GitHub may still list them
	// until the withdrawal reaches it: counted, the rule would be marked
	// done and nobody asked in their place.
	var pool []candidate
	excluded := make(map[string][]string) // reason -> logins
	for _, c := range cands {
		if c.key == s.author {
			excluded["the author"] = append(excluded["the author"], c.login)
			continue
		}
		if s.reviews[c.key].approved {
			res.Approvals = append(res.Approvals, c.login)
		}
		switch {
		case s.requested[c.key] && !isBot(c.key) && s.in.Withdrawn[c.key] == "":
			res.Assigned = append(res.Assigned, Assignment{Login: c.login, Reason: what(c) + s.requestedWhy(c)})
		case s.reviews[c.key].state != "" && !isBot(c.key):
			res.Assigned = append(res.Assigned, Assignment{Login: c.login,
				Reason: fmt.Sprintf("%s; already reviewed (%s)", what(c), strings.ToLower(s.reviews[c.key].state))})
		default:
			if why := s.exclusion(c); why != "" {
				excluded[why] = append(excluded[why], c.login)
			} else {
				pool = append(pool, c)
			}
		}
	}

	s.numbersOfAssigned(spec, cands, &res)
	need := spec.count - len(res.Assigned)
	switch {
	case need <= 0:
	case s.done[spec.name]:
		notes = append(notes, "reviewers were requested for this rule on an earlier push; no new requests")
	case s.in.PR.Draft:
		notes = append(notes, "draft: reviewers are requested when the pull request is ready for review")
		s.finish(&res, notes, true)
		return res
	default:
		for _, p := range s.pickFor(spec, cands, pool, need, &res) {
			s.chosen[p.c.key]++
			res.Assigned = append(res.Assigned, Assignment{Login: p.c.login, Reason: what(p.c) + "; " + p.why, New: true})
		}
		if got := len(res.Assigned); got < spec.count && len(cands) > 0 {
			notes = append(notes, shortfall(spec, got, cands, excluded))
		}
	}
	s.finish(&res, notes, false)
	return res
}

// requestedWhy ends the reason of someone already requested: a person named
// with reassign keeps saying so on the evaluations after the one that
// asked them.
func (s *selector) requestedWhy(c candidate) string {
	if s.named(c) {
		return "; " + namedWhy + "; already requested"
	}
	return "; already requested"
}

// pickFor chooses need people of pool for the rule: people named with
// "/reviewpolicy reassign" first, then by the area's strategy.
func (s *selector) pickFor(spec ruleSpec, cands, pool []candidate, need int, res *RuleResult) []pick {
	picks, rest := s.preferred(pool, need)
	var more []pick
	switch left := need - len(picks); {
	case left <= 0:
	case s.in.Policy.Reviewers.Strategy == policy.StrategyExpertise:
		more, res.Considered = s.chooseByExpertise(spec, rest, left, len(res.Assigned)+len(picks))
	default:
		more = s.choose(spec, cands, rest, left)
	}
	return append(picks, more...)
}

// finish sets the state from assignments and approvals. A draft with nobody
// on the rule yet is waiting to be marked ready, not short of candidates.
func (s *selector) finish(res *RuleResult, notes []string, draft bool) {
	slices.SortFunc(res.Approvals, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var why []string
	switch missing := res.Required - len(res.Approvals); {
	case len(res.Assigned) == 0 && draft:
		res.State = StateWaiting
	case len(res.Assigned) == 0:
		res.State = StateNoCandidate
	case missing > 0:
		res.State = StateWaiting
		why = append(why, fmt.Sprintf("waiting for %d approval%s", missing, plural(missing)))
	case res.Required > 0:
		res.State = StateApproved
		why = append(why, "approved by "+strings.Join(res.Approvals, ", "))
	default:
		res.State = StateRequested
	}
	res.Why = strings.Join(append(why, notes...), "; ")
}

// expand turns the rule's references into people, in order, without
// duplicates; notes say which teams contributed nobody.
func (s *selector) expand(refs []string) ([]candidate, []string) {
	var cands []candidate
	var notes []string
	seen := make(map[string]bool)
	add := func(login, via string) {
		k := strings.ToLower(login)
		if k != "" && !seen[k] {
			seen[k] = true
			cands = append(cands, candidate{login: login, key: k, via: via})
		}
	}
	for _, ref := range refs {
		if !isTeam(ref) {
			add(strings.TrimPrefix(ref, "@"), "")
			continue
		}
		members := s.in.Teams[strings.ToLower(ref)]
		if len(members) == 0 {
			notes = append(notes, fmt.Sprintf("team %s is unknown or has no members", ref))
		}
		for _, m := range members {
			add(m, ref)
		}
	}
	return cands, notes
}

// exclusion says why c may not be asked, or "" when c may.
func (s *selector) exclusion(c candidate) string {
	switch {
	case isBot(c.key):
		return "a bot"
	case s.removed[c.key]:
		return "removed by a human"
	case s.in.Withdrawn[c.key] != "":
		return s.in.Withdrawn[c.key]
	case s.in.CanReview != nil && !s.in.CanReview[c.key], s.in.CannotReview[c.key]:
		return "unable to review this repository"
	case s.in.Policy.People[c.key].Away:
		return "away"
	case s.in.Policy.Reviewers.MaxOpenRequests > 0 && s.open(c) >= s.in.Policy.Reviewers.MaxOpenRequests:
		return fmt.Sprintf("at max_open_requests (%d)", s.in.Policy.Reviewers.MaxOpenRequests)
	}
	return ""
}

// matchedPhrase returns the common start of every reason for this rule.
func (s *selector) matchedPhrase(spec ruleSpec) func(candidate) string {
	files := s.files[spec.matched[0]]
	if n := len(spec.matched) - 1; n > 0 {
		files += fmt.Sprintf(" and %d more file%s", n, plural(n))
	}
	return func(c candidate) string {
		s := fmt.Sprintf("%s: rule %s matched %s", c.login, spec.name, files)
		if c.via != "" {
			s += "; member of " + c.via
		}
		return s
	}
}

// shortfall explains why a rule got fewer reviewers than it asks for.
func shortfall(spec ruleSpec, got int, cands []candidate, excluded map[string][]string) string {
	reasons := slices.Sorted(func(yield func(string) bool) {
		for r := range excluded {
			if !yield(r) {
				return
			}
		}
	})
	var who []string
	for _, r := range reasons {
		who = append(who, fmt.Sprintf("%s: %s", r, capList(excluded[r], 5)))
	}
	detail := ""
	if len(who) > 0 {
		detail = " (" + strings.Join(who, "; ") + ")"
	}
	if got == 0 {
		group := fmt.Sprintf("%d candidates", len(cands))
		if via := cands[0].via; via != "" && allVia(cands, via) {
			group = fmt.Sprintf("%d members of %s", len(cands), via)
		}
		if len(cands) == 1 {
			return fmt.Sprintf("the only candidate, %s, is %s", cands[0].login, reasons[0])
		}
		return fmt.Sprintf("all %s are %s%s", group, strings.Join(reasons, " or "), detail)
	}
	return fmt.Sprintf("only %d of %d reviewers available%s", got, spec.count, detail)
}

func allVia(cands []candidate, via string) bool {
	for _, c := range cands {
		if c.via != via {
			return false
		}
	}
	return true
}

func capList(logins []string, n int) string {
	if len(logins) <= n {
		return strings.Join(logins, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(logins[:n], ", "), len(logins)-n)
}

func isTeam(ref string) bool { return strings.HasPrefix(ref, "@") && strings.Contains(ref, "/") }

func isBot(login string) bool { return strings.HasSuffix(strings.ToLower(login), "[bot]") }

func loginSet(logins []string) map[string]bool {
	m := make(map[string]bool, len(logins))
	for _, l := range logins {
		m[strings.ToLower(strings.TrimPrefix(l, "@"))] = true
	}
	return m
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// byKey orders candidates by login, for determinism.
func byKey(a, b candidate) int { return cmp.Compare(a.key, b.key) }
