package reviewers

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/expertise"
)

// maxConsidered caps RuleResult.Considered.
const maxConsidered = 3

// ranked is a candidate with its expertise on the rule's files and the
// value the strategy ranks by: the score discounted by open requests.
type ranked struct {
	c     candidate
	e     expertise.Expertise
	open  int
	value float64
}

// chooseByExpertise fills need seats: the best values first, except that up
// to `learners` seats go to people whose score is below
// expertise.LearnerBelow, the least loaded first, so knowledge spreads. A
// rule keeps a seat for expertise (a learner sits beside someone chosen by
// score or already on the rule), except on a one-seat rule's learner turns
// (see learnersTurn).
func (s *selector) chooseByExpertise(spec ruleSpec, pool []candidate, need, assigned int) ([]pick, []string) {
	rs := s.rank(spec, pool)
	learnerSeats := min(s.in.Policy.Reviewers.Expertise.Learners, need)
	turn := ""
	if assigned == 0 {
		if need == 1 && learnerSeats == 1 && s.learnersTurn(spec) {
			turn = fmt.Sprintf("; a learner's turn at count 1 (one pull request in %d)", learnerEvery)
		} else {
			learnerSeats = min(learnerSeats, need-1)
		}
	}
	var learners []ranked
	for _, r := range rs {
		if r.e.Score < expertise.LearnerBelow {
			learners = append(learners, r)
		}
	}
	slices.SortStableFunc(learners, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.open, b.open), cmp.Compare(a.e.Score, b.e.Score), s.byRecency(a.c, b.c), byKey(a.c, b.c))
	})
	learners = s.byTier(learners)
	chosen := map[string]string{}
	for _, r := range learners[:min(learnerSeats, len(learners))] {
		chosen[r.c.key] = fmt.Sprintf("chosen to learn %s (score below %.2f)%s", s.where(spec), expertise.LearnerBelow, turn)
	}
	for _, r := range s.byTier(rs) {
		if len(chosen) >= need {
			break
		}
		if _, ok := chosen[r.c.key]; !ok {
			chosen[r.c.key] = "chosen"
		}
	}
	var picks []pick
	var considered []string
	for _, r := range s.byTier(rs) {
		if how, ok := chosen[r.c.key]; ok {
			picks = append(picks, pick{c: r.c, why: s.numbers(spec, r) + "; " + how + s.availability(r.c)})
		} else if len(considered) < maxConsidered {
			considered = append(considered, r.c.login+": "+s.numbers(spec, r)+"; not chosen")
		}
	}
	return picks, considered
}

// numbersOfAssigned adds, with the expertise strategy, the numbers to the
// reasons of the people already on the rule (requested or reviewed), so the
// check keeps explaining a choice made on an earlier evaluation.
func (s *selector) numbersOfAssigned(spec ruleSpec, cands []candidate, res *RuleResult) {
	if s.in.Policy.Reviewers.Strategy != policy.StrategyExpertise || len(res.Assigned) == 0 {
		return
	}
	var on []candidate
	for _, c := range cands {
		if slices.ContainsFunc(res.Assigned, func(a Assignment) bool { return a.Login == c.login }) {
			on = append(on, c)
		}
	}
	for _, r := range s.rank(spec, on) {
		for i := range res.Assigned {
			if res.Assigned[i].Login == r.c.login {
				res.Assigned[i].Reason += "; " + s.numbers(spec, r)
			}
		}
	}
}

// rank orders pool by value, then fewer open requests, then who was asked
// least recently, then login: the same inputs always give the same order.
func (s *selector) rank(spec ruleSpec, pool []candidate) []ranked {
	files := make([]string, len(spec.matched))
	for i, f := range spec.matched {
		files[i] = s.files[f]
	}
	logins := make([]string, len(pool))
	for i, c := range pool {
		logins[i] = c.key
	}
	scores := s.in.Expertise.Score(files, logins, s.in.Policy.Reviewers.Expertise.HalfLife, s.in.Now)
	rs := make([]ranked, len(pool))
	for i, c := range pool {
		e, open := scores[c.key], s.open(c)
		rs[i] = ranked{c: c, e: e, open: open, value: e.Score / float64(1+open)}
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(b.value, a.value), cmp.Compare(a.open, b.open), s.byRecency(a.c, b.c), byKey(a.c, b.c))
	})
	return rs
}

// byTier keeps the order within each availability tier (see choose).
func (s *selector) byTier(rs []ranked) []ranked {
	out := slices.Clone(rs)
	slices.SortStableFunc(out, func(a, b ranked) int { return cmp.Compare(s.tier(a.c), s.tier(b.c)) })
	return out
}

func (s *selector) byRecency(a, b candidate) int {
	return s.in.Load[a.key].LastRequested.Compare(s.in.Load[b.key].LastRequested)
}

// numbers explains a rank: "12 reviews and 5 changes in svc/api in 90 days,
// score 0.82, 2 open requests, 0.27".
func (s *selector) numbers(spec ruleSpec, r ranked) string {
	where := "near these files"
	if d := s.where(spec); d != "these files" {
		where = "in " + d
	}
	return fmt.Sprintf("%d review%s and %d change%s %s in %s, score %.2f, %d open request%s, %.2f",
		r.e.Reviews, plural(r.e.Reviews), r.e.Changes, plural(r.e.Changes), where,
		days(s.in.Policy.Reviewers.Expertise.HalfLife), r.e.Score, r.open, plural(r.open), r.value)
}

// where names the directory the rule's files share, or "these files".
func (s *selector) where(spec ruleSpec) string {
	files := make([]string, len(spec.matched))
	for i, f := range spec.matched {
		files[i] = s.files[f]
	}
	if d := expertise.CommonDir(files); d != "" {
		return d
	}
	return "these files"
}

// learnerEvery: a rule with one seat gives it to a learner on one pull
// request in learnerEvery. With one seat there is nobody to learn beside,
// so knowledge spreads only if the learner sometimes takes it alone.
const learnerEvery = 4

// learnersTurn reports whether this pull request is a learner's turn on a
// one-seat rule: a stable hash of the repository, number and rule falls in
// the learners' share, and no rule naming a lead applies (a change big
// enough for a lead wants the expert).
func (s *selector) learnersTurn(spec ruleSpec) bool {
	if s.leadRule {
		return false
	}
	h := fnv.New64a()
	h.Write([]byte(s.in.Repo + "#" + strconv.Itoa(s.in.PR.Number) + "/" + spec.name + "/learner"))
	return h.Sum64()%learnerEvery == 0
}

// leadRuleApplies reports whether a rule that lists one of the policy's
// leads (a login or a team named in `leads`) matches the pull request.
func leadRuleApplies(p *policy.Policy, specs []ruleSpec) bool {
	leads := make(map[string]bool, len(p.Leads))
	for _, l := range p.Leads {
		leads[strings.ToLower(strings.TrimPrefix(l, "@"))] = true
	}
	for _, spec := range specs {
		if len(spec.matched) == 0 {
			continue
		}
		for _, ref := range spec.refs {
			if leads[strings.ToLower(strings.TrimPrefix(ref, "@"))] {
				return true
			}
		}
	}
	return false
}

// days writes a half-life as people say it: "90 days", "36h0m0s".
func days(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		n := int(d / day)
		return fmt.Sprintf("%d day%s", n, plural(n))
	}
	return d.String()
}

// learningNote is the note the check shows while the history is incomplete.
const learningNote = "expertise still learning: the history of earlier pull requests is not fully read yet, so scores may be low"
