package analytics

import "time"

// Snapshot is a pull request's last evaluation as its page shows it: the
// handlers write it as JSON into the store's summary after each evaluation,
// the web pages read it. Text in it is user text, clipped at write and
// escaped by the page templates.
type Snapshot struct {
	HeadSHA    string     `json:"head_sha"`
	BaseRef    string     `json:"base_ref"`
	Conclusion string     `json:"conclusion"`
	Title      string     `json:"title"` // the check run's title
	Template   *Area      `json:"template,omitempty"`
	Reviewers  *Reviewers `json:"reviewers,omitempty"`
	SLA        *SLAView   `json:"sla,omitempty"`
	PolicyErr  string     `json:"policy_error,omitempty"`
}

// Area is a pass/fail area with one line per requirement.
type Area struct {
	OK      bool   `json:"ok"`
	Mode    string `json:"mode"` // block, warn
	Skipped string `json:"skipped,omitempty"`
	Items   []Item `json:"items"`
}

// Item is one requirement's outcome.
type Item struct {
	Kind   string `json:"kind"`
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// Reviewers is the reviewer area: each rule, whom it chose and why.
type Reviewers struct {
	OK    bool       `json:"ok"`
	Mode  string     `json:"mode"`
	Rules []RuleView `json:"rules"`
	Notes []string   `json:"notes,omitempty"`
}

// RuleView is one rule's outcome.
type RuleView struct {
	Name      string       `json:"name"`
	State     string       `json:"state"`
	Why       string       `json:"why,omitempty"`
	Required  int          `json:"required"`
	Approvals []string     `json:"approvals,omitempty"`
	Assigned  []Assignment `json:"assigned,omitempty"`
	// Considered: the best candidates not chosen, with their numbers
	// (expertise strategy), as the check run lists them.
	Considered []string `json:"considered,omitempty"`
}

// Assignment is a reviewer and the reason they were chosen.
type Assignment struct {
	Login  string `json:"login"`
	Reason string `json:"reason"`
}

// SLAView is the first-review clock.
type SLAView struct {
	Mode          string    `json:"mode"`
	State         string    `json:"state"` // idle, running, paused, reviewed, closed
	StartedAt     time.Time `json:"started_at"`
	FirstReviewAt time.Time `json:"first_review_at"`
	Reviewer      string    `json:"reviewer,omitempty"`
	Deadline      time.Time `json:"deadline"`
	Breached      bool      `json:"breached"`
	Summary       string    `json:"summary"`
	Zone          string    `json:"zone,omitempty"` // the policy's working-hours zone
}
