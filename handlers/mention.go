package handlers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/sla"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// mentionPrefix starts every mention comment; the event and clock
// generation follow, so each is posted once.
const mentionPrefix = "<!-- reviewpolicy:mention"

// maxMentioned bounds the people one mention comment calls.
const maxMentioned = 25

// mentionTimer posts a new, short comment that mentions the pending
// reviewers (reminder) and escalate_to (breach): GitHub notifies the
// people a new comment mentions, and not those an edited one adds. Once
// per event and clock generation: a lease (as for the escalation) keeps
// two jobs from posting at once, and the post first looks for the marker,
// so a retry after a lost answer does not post again.
func (a *App) mentionTimer(ctx context.Context, f slaFacts, t slaTimerArgs, clock sla.Clock) error {
	who := mentionees(f, t.Event == "breach")
	if len(who) == 0 {
		return nil
	}
	k := store.SLAEffectKey{RepoID: t.RepoID, Number: t.Number, Generation: t.Generation, Event: "mention_" + t.Event}
	owner := effectOwner(ctx)
	if proceed, err := a.acquireEffect(ctx, k, owner); !proceed {
		return err
	}
	marker := fmt.Sprintf("%s %s g%d -->", mentionPrefix, t.Event, t.Generation)
	if _, err := f.gh.PostOnce(ctx, t.Number, marker, mentionBody(f, t.Event, who, clock)); err != nil {
		return errors.Join(err, a.Store.ReleaseSLAEffect(context.WithoutCancel(ctx), k, owner))
	}
	_, err := a.Store.FinishSLAEffect(ctx, k, owner)
	return err
}

// mentionees are the pending reviewers (people and teams) and, at a
// breach, escalate_to: each a live @mention, checked to look like a login
// or team so no other text can ride along.
func mentionees(f slaFacts, breach bool) []string {
	var out []string
	for _, u := range f.pr.RequestedReviewers {
		out = append(out, "@"+u.GetLogin())
	}
	for _, tm := range f.pr.RequestedTeams {
		out = append(out, "@"+f.ref.Owner+"/"+tm.GetSlug())
	}
	if breach {
		for _, ref := range f.policy.SLA.EscalateTo {
			out = append(out, "@"+strings.TrimPrefix(ref, "@"))
		}
	}
	slices.SortFunc(out, func(x, y string) int { return strings.Compare(strings.ToLower(x), strings.ToLower(y)) })
	out = slices.CompactFunc(out, strings.EqualFold)
	out = slices.DeleteFunc(out, func(m string) bool { return !check.IsMention(m) })
	return out[:min(len(out), maxMentioned)]
}

func mentionBody(f slaFacts, event string, who []string, clock sla.Clock) string {
	if event == "breach" {
		return fmt.Sprintf("🚨 The first review of this pull request is overdue: %s. "+
			"This comment is hidden once the review arrives; the summary stays in the comment above.", strings.Join(who, " "))
	}
	_, due := sla.Timers(f.policy.SLA, clock)
	return fmt.Sprintf("⏰ Review reminder: %s, the first review is due by %s. "+
		"This comment is hidden once the review arrives.", strings.Join(who, " "), due.UTC().Format("Mon 2 Jan 15:04 MST"))
}

// minimizeMentions hides the mention comments as outdated once the first
// review arrived. It runs before the reviewed clock is saved, so a failure
// fails the evaluation, whose retry sees the review again and tries again
// (minimizing twice is harmless).
func (a *App) minimizeMentions(ctx context.Context, gh *githubapi.Repo, r repoRef, d decide.Decision) error {
	if d.SLA == nil || d.SLA.Reviewed == nil || a.GraphQLURL == "" {
		return nil
	}
	// Only a pull request that had a reminder or breach has comments to
	// hide; the others cost no listing.
	if had, err := a.Store.HasSLAEffects(ctx, r.RepoID, r.Number, "mention_"); err != nil || !had {
		return err
	}
	ids, err := gh.AppComments(ctx, r.Number, mentionPrefix)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := gh.Minimize(ctx, a.GraphQLURL, id); err != nil {
			return err
		}
	}
	return nil
}
