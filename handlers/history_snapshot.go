package handlers

import (
	"time"

	"github.com/reviewpolicy/reviewpolicy/analytics"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/policy/template"
)

// pageSnapshotOf lays out an evaluation for the pull request's page: the same
// areas and reasons as the check run, as data rather than markdown.
func pageSnapshotOf(g *gathered, d decide.Decision, now time.Time) analytics.Snapshot {
	f := g.facts
	s := analytics.Snapshot{HeadSHA: g.headSHA, BaseRef: clipText(g.baseRef), Conclusion: d.Report.Conclusion,
		Title: clipText(d.Report.Title)}
	if f.PolicyErr != nil {
		s.PolicyErr = clipText(f.PolicyErr.Error())
	}
	p := f.Policy
	if p == nil {
		return s
	}
	if d.Template != nil && !f.Closed {
		s.Template = templateArea(*d.Template, p.Enforcement.Template)
	}
	if d.Reviewers != nil {
		s.Reviewers = reviewerArea(d.Reviewers, p.Enforcement.Reviewers)
	}
	if d.SLA != nil && p.SLA != nil {
		s.SLA = slaView(p.SLA, d.SLA.Clock, p.Enforcement.SLA, now)
	}
	return s
}

func templateArea(res template.Result, mode policy.Mode) *analytics.Area {
	a := &analytics.Area{OK: res.OK(), Mode: string(mode), Skipped: clipText(res.Skipped)}
	for _, it := range res.Items {
		a.Items = append(a.Items, analytics.Item{Kind: it.Kind, Name: clipText(it.Name), Status: string(it.Status),
			Detail: clipText(it.Detail)})
	}
	return a
}

func reviewerArea(out *reviewers.Output, mode policy.Mode) *analytics.Reviewers {
	a := &analytics.Reviewers{OK: out.OK(), Mode: string(mode)}
	for _, n := range out.Notes {
		a.Notes = append(a.Notes, clipText(n))
	}
	for _, r := range out.Rules {
		v := analytics.RuleView{Name: clipText(r.Name), State: r.State, Why: clipText(r.Why), Required: r.Required,
			Approvals: r.Approvals}
		for _, as := range r.Assigned {
			v.Assigned = append(v.Assigned, analytics.Assignment{Login: as.Login, Reason: clipText(as.Reason)})
		}
		for _, c := range r.Considered {
			v.Considered = append(v.Considered, clipText(c))
		}
		a.Rules = append(a.Rules, v)
	}
	return a
}

func slaView(p *policy.SLAPolicy, c sla.Clock, mode policy.Mode, now time.Time) *analytics.SLAView {
	v := &analytics.SLAView{Mode: string(mode), State: string(c.State), StartedAt: c.StartedAt,
		FirstReviewAt: c.FirstReviewAt, Reviewer: c.Reviewer}
	if v.State == "" {
		v.State = string(sla.Idle)
	}
	if p.WorkingHours != nil {
		v.Zone = p.WorkingHours.Timezone
	}
	if c.State != sla.Idle && c.State != "" {
		st := sla.Evaluate(p, c, now)
		v.Deadline, v.Breached, v.Summary = st.Deadline, st.Breached, clipText(st.Summary)
	}
	return v
}
