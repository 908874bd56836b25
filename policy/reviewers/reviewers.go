// Package reviewers chooses who reviews a pull request under the policy's
// "reviewers" and "people" areas, and tracks whether each rule's required
// approvals are in.
//
// It is pure: handlers gather the facts (team members, open review load,
// current requests and reviews) into an Input, call Select, and apply the
// returned requests. Every choice and every gap carries a one-line reason a
// developer can act on.
package reviewers

import (
	"time"

	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/expertise"
)

// Rule states reported in RuleResult.State.
const (
	StateApproved    = "approved"     // required approvals are in
	StateWaiting     = "waiting"      // reviewers assigned, approvals missing
	StateRequested   = "requested"    // reviewers assigned, no approvals required
	StateNoCandidate = "no-candidate" // the rule matched but nobody can review
	StateNotMatched  = "not-matched"  // no changed file matches the rule
)

// CodeownersRule names the implicit rule built from CODEOWNERS when the
// policy sets reviewers.codeowners.
const CodeownersRule = "codeowners"

// maxMatched caps RuleResult.Matched; MatchedCount has the full number.
const maxMatched = 5

// Load is a person's open review requests across the installation.
type Load struct {
	Open          int
	LastRequested time.Time
}

// Input is everything Select needs to know. Maps keyed by login use lower case.
type Input struct {
	Policy     *policy.Policy      // Reviewers, People, SLA.WorkingHours are used
	PR         policy.PullRequest  // Number, Author, Draft, Files
	Repo       string              // "owner/name": seeds the random strategy
	Teams      map[string][]string // "@org/team" lower-cased -> member logins
	CodeOwners string              // raw CODEOWNERS text from the base branch; "" none
	// ParsedCodeowners, when set, is used instead of CodeOwners: the
	// handler parses a file once per blob SHA and reuses it.
	ParsedCodeowners *Codeowners
	CanReview        map[string]bool // logins known able to review; nil = unknown, assume yes
	// CannotReview lists logins found unable to review (no access to the
	// repository), when the others are unknown.
	CannotReview map[string]bool
	Busy         map[string]bool // GitHub status "limited availability"
	Load         map[string]Load
	Rotation     map[string]int // rule name -> persisted round-robin counter
	Requested    []string       // users currently requested on the PR (by anyone)
	Removed      []string       // users a human removed from the PR; never re-added
	// Withdrawn maps the users whose request the app withdrew (never
	// re-added either) to why: "withdrawn after 8h without a response".
	Withdrawn map[string]string
	DoneRules []string // rules that got requests on an earlier evaluation
	Reviews   []policy.Review
	Now       time.Time
	// Expertise is the repository's review and change history, for the
	// expertise strategy; nil: nobody has any yet.
	Expertise *expertise.History
	// Prefer lists people named with "/reviewpolicy reassign @login": a
	// rule that needs a reviewer takes them first when they are among its
	// candidates and may be asked.
	Prefer []string
}

// Assignment is one reviewer of one rule.
type Assignment struct {
	Login  string
	Reason string // "carol: rule security matched auth/token.go; least loaded (1 open review)"
	New    bool   // requested by this call, as opposed to already requested or reviewed
}

// RuleResult is the outcome for one rule.
type RuleResult struct {
	Name         string
	Matched      []string // the first few matched files, in pull-request order
	MatchedCount int
	Assigned     []Assignment
	Required     int      // approvals required from the rule's candidates
	Approvals    []string // candidates (author excluded) whose latest review approves
	State        string   // one of the State constants
	Why          string   // explanation of the state, "" when there is nothing to add
	// Considered: with the expertise strategy, the best candidates not
	// chosen, each with the numbers that ranked them.
	Considered []string
	// Unmet: the rule's paths matched but its `when` did not hold (which
	// part, and the pull request's value); the state is StateNotMatched.
	Unmet string
}

// Output is the result of Select.
type Output struct {
	Request  []string       // logins to request now, sorted, deduplicated
	Rules    []RuleResult   // one per policy rule, then CodeownersRule when enabled
	Rotation map[string]int // round-robin counters to persist (changed ones only)
	// Notes are facts about the inputs that no rule's state carries, for
	// the check to show: a CODEOWNERS file ignored or partly skipped, or
	// owners that cannot be requested. They do not change OK.
	Notes []string
}

// OK reports whether every matched rule has reviewers and its required
// approvals are met.
func (o Output) OK() bool {
	for _, r := range o.Rules {
		switch r.State {
		case StateApproved, StateRequested, StateNotMatched:
		default:
			return false
		}
	}
	return true
}
