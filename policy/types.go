// Package policy holds the review policy: its file format, parsing and
// validation, and the pure evaluation of a pull request against it.
//
// Nothing here does I/O. Handlers gather facts about a pull request into the
// plain structs below, call the evaluators, and write the decisions back to
// GitHub. Every decision carries the reasons a developer needs to act on it.
package policy

import (
	"regexp"
	"time"
)

// FileName is where a repository keeps its policy, read from the base branch.
const FileName = ".github/review-policy.yml"

// OrgFileName is the organisation-wide default, in the org's ".github" repository.
const OrgFileName = "review-policy.yml"

// Policy is a parsed and validated policy file (format version 1).
// A nil area (Template, Reviewers, SLA) means the policy does not use it.
type Policy struct {
	Version     int
	Extends     string // "" or "org"
	Template    *TemplatePolicy
	Reviewers   *ReviewersPolicy
	People      map[string]Person // keyed by lower-case login
	SLA         *SLAPolicy
	Enforcement Enforcement
	// Leads may run the lead-only commands (snooze, skip template):
	// logins and "@org/team", as written.
	Leads []string
}

// Condition makes a requirement conditional. Empty lists and nil
// comparisons do not constrain; every one that is set must hold.
type Condition struct {
	Paths        []string    // globs as in CODEOWNERS (package pathglob); any changed file matching one satisfies it
	Labels       []string    // any one of these labels present satisfies it
	LinesChanged *Comparison // additions plus deletions
	FilesChanged *Comparison // changed files as GitHub counts them
	// Authors: logins and "@org/team"; the author being one of them (or a
	// member of one) satisfies it. AuthorFirstTime ("first_time" in the
	// list) is satisfied by the author's first pull request in the repository.
	Authors         []string
	AuthorFirstTime bool
}

// Comparison is a size condition such as ">500": Op is one of >, >=, <, <=.
type Comparison struct {
	Op string
	N  int
}

// Section is a required Markdown section of the pull-request description.
type Section struct {
	Heading  string
	MinWords int        // 0 means "not empty"
	When     *Condition // nil means always required
}

// Ticket is the required ticket reference.
type Ticket struct {
	Pattern string
	Regexp  *regexp.Regexp // compiled Pattern
	In      []string       // any of "title", "body", "branch"
}

// Skip lists pull requests the template area does not judge.
type Skip struct {
	Authors []string // logins, compared case-insensitively
	Labels  []string
	Drafts  bool
}

// Checklist modes.
const (
	ChecklistAll  = "all"
	ChecklistNone = "none"
)

// TemplatePolicy is the "template" area.
type TemplatePolicy struct {
	Sections  []Section
	Ticket    *Ticket // nil: no ticket required
	Checklist string  // ChecklistAll or ChecklistNone (default none)
	Skip      Skip
}

// Reviewer selection strategies.
const (
	StrategyLoadBalance = "load-balance"
	StrategyRoundRobin  = "round-robin"
	StrategyRandom      = "random"
	StrategyExpertise   = "expertise"
)

// ExpertiseSettings tune the expertise strategy.
type ExpertiseSettings struct {
	HalfLife time.Duration // a review or change counts half as much after this long; default 90 days
	Learners int           // of a rule's seats, how many may go to people still learning the files
}

// ReviewersPolicy is the "reviewers" area.
type ReviewersPolicy struct {
	Strategy   string // default load-balance
	Count      int    // reviewers per rule unless the rule says otherwise; default 1
	Codeowners bool
	Rules      []Rule
	Expertise  ExpertiseSettings // used by StrategyExpertise
	// MaxOpenRequests: nobody with this many open review requests is asked
	// for more, whatever the strategy; 0 means no cap.
	MaxOpenRequests int
	// ReassignAfter: a reviewer the app asked who has not responded after
	// this much working time (sla.working_hours) is replaced; 0 never.
	ReassignAfter time.Duration
}

// Rule asks for reviewers when a changed file matches one of its paths.
type Rule struct {
	Name              string
	Paths             []string   // globs as in CODEOWNERS (package pathglob), plus {a,b} and [a-z]
	Reviewers         []string   // logins and "@org/team" references, as written
	Count             int        // 0: the area's Count
	RequiredApprovals int        // approvals from this rule's people needed before the area passes
	When              *Condition // nil: the rule applies whenever its paths match
}

// Person holds optional facts about a reviewer.
type Person struct {
	Timezone string
	Location *time.Location // loaded Timezone; nil when unset
	Away     bool
}

// SLAPolicy is the "sla" area.
type SLAPolicy struct {
	FirstReview  time.Duration // default 24h
	WorkingHours *WorkingHours // nil: wall-clock time
	Holidays     []Date
	RemindBefore time.Duration // 0: no reminder
	EscalateTo   []string      // logins and "@org/team"
}

// WorkingHours is a weekly working window in one time zone.
type WorkingHours struct {
	Timezone string
	Location *time.Location
	Days     []time.Weekday
	Start    time.Duration // since local midnight, e.g. 9h
	End      time.Duration // since local midnight, e.g. 17h; End > Start
}

// Date is a calendar day without a time zone (holidays).
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// Mode is how an area sets the check run's conclusion.
type Mode string

// Enforcement modes.
const (
	ModeBlock Mode = "block" // a failing area fails the check
	ModeWarn  Mode = "warn"  // a failing area makes the check neutral
	ModeOff   Mode = "off"   // the area is not evaluated
)

// Enforcement sets a Mode per area. Defaults: template block, reviewers block, sla warn.
type Enforcement struct {
	Template  Mode
	Reviewers Mode
	SLA       Mode
}

// PullRequest is what the evaluators know about a pull request.
type PullRequest struct {
	Number    int
	Title     string
	Body      string
	Branch    string // head ref name
	Author    string
	AuthorBot bool // the author's account type is Bot
	Draft     bool
	Labels    []string
	Files     []string // changed paths (both sides of renames)
	// LinesChanged is additions plus deletions, FilesChanged the number of
	// changed files, both as GitHub counts them on the pull request.
	LinesChanged int
	FilesChanged int
	// FirstTime: this is the author's first pull request in the repository
	// (author_association FIRST_TIME_CONTRIBUTOR or FIRST_TIMER).
	FirstTime bool
	// AuthorTeams are the "@org/team" references (lower-cased) named in
	// conditions that the author belongs to; the handler fills it.
	AuthorTeams []string
}

// Review is a submitted review.
type Review struct {
	Author      string
	State       string // APPROVED, CHANGES_REQUESTED, COMMENTED, DISMISSED (PENDING: not submitted)
	SubmittedAt time.Time
	// AuthorBot: the reviewer's account type is Bot.
	AuthorBot bool
	// Association is the review's author_association as GitHub sends it:
	// OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, FIRST_TIME_CONTRIBUTOR,
	// FIRST_TIMER, MANNEQUIN or NONE; "" when unknown.
	Association string
	// Requested: a review had been requested from the reviewer (GitHub
	// drops the request once they review, so the caller remembers it).
	Requested bool
}
