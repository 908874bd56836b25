package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"

	"github.com/reviewpolicy/reviewpolicy/command"
	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/policy/reviewers"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// commandLease is how long a delivery holds a comment's commands before
// another may redo them, taking the holder for crashed.
const commandLease = time.Minute

// onCommands runs the /reviewpolicy commands of a new pull request comment.
// Each comment gets one reaction (👍 all done, 😕 otherwise) and, when
// something was refused or not understood, one short reply. The commands
// are recorded first, then done: deliveries of the same comment, at once
// or again later, record them once, and whichever holds them finishes what
// is not done yet (a crash or a failed call in between loses nothing).
func (a *App) onCommands(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	var ev github.IssueCommentEvent
	if err := decode(d, &ev); err != nil {
		return err
	}
	cm := ev.GetComment()
	if !ev.GetIssue().IsPullRequest() || cm.GetUser().GetType() == "Bot" {
		return nil // bots, the app among them, do not give commands
	}
	cmds := command.Parse(cm.GetBody())
	if len(cmds) == 0 {
		return nil
	}
	bot, err := a.GitHub.BotLogin(ctx)
	if err != nil || strings.EqualFold(cm.GetUser().GetLogin(), bot) {
		return err
	}
	r := prRef(d.InstallationID, ev.Repo, ev.GetIssue().GetNumber())
	gh, err := a.repo(r)
	if err != nil {
		return err
	}
	rows, _, err := a.Store.CommentCommands(ctx, r.RepoID, cm.GetID())
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		if err := a.recordCommands(ctx, gh, r, cm, cmds); err != nil {
			return err
		}
	}
	return a.runCommands(ctx, gh, r, cm.GetID(), log)
}

// recordCommands decides each command (allowed, and for a reassign whose
// request it takes back) and records the comment's commands, not yet done.
func (a *App) recordCommands(ctx context.Context, gh *githubapi.Repo, r repoRef, cm *github.IssueComment, cmds []command.Command) error {
	roles, head, err := a.commandRoles(ctx, gh, r)
	if err != nil {
		return err
	}
	actor := cm.GetUser().GetLogin()
	outs := make([]command.Outcome, len(cmds))
	for i, c := range cmds {
		outs[i] = command.Authorize(c, actor, roles)
	}
	withdraw, err := a.reassignTargets(ctx, gh, r, actor, roles, outs)
	if err != nil {
		return err
	}
	_, err = a.Store.AddCommands(ctx, r.RepoID, r.Number, commandRows(cm, outs, withdraw, head, a))
	return err
}

// runCommands does a recorded comment's commands that are not done, once:
// a delivery that finds them held by another waits for it, and one that
// fails gives them back for the next try.
func (a *App) runCommands(ctx context.Context, gh *githubapi.Repo, r repoRef, commentID int64, log *slog.Logger) error {
	rows, done, err := a.Store.CommentCommands(ctx, r.RepoID, commentID)
	if err != nil {
		return err
	}
	if done {
		return gh.React(ctx, commentID, reactionFor(allowed(rows))) // GitHub keeps it once
	}
	mine, err := a.Store.ClaimCommands(ctx, r.RepoID, commentID, a.Now(), commandLease)
	if err != nil {
		return err
	}
	if !mine {
		return river.JobSnooze(leaseWait) // another delivery is doing them
	}
	if err := a.doCommands(ctx, gh, r, commentID, rows); err != nil {
		return errors.Join(err, a.Store.ReleaseCommands(context.WithoutCancel(ctx), r.RepoID, commentID))
	}
	log.Info("commands", "pr", r.String(), "comment", commentID, "ok", allowed(rows))
	return nil
}

// doCommands answers the comment, withdraws what its reassigns take back,
// asks for an evaluation and marks the commands done. Each step may be
// redone: the reaction and the claimed reply are kept once, and a
// withdrawal skips a request already gone.
func (a *App) doCommands(ctx context.Context, gh *githubapi.Repo, r repoRef, commentID int64, rows []store.CommandRow) error {
	outs := make([]command.Outcome, len(rows))
	for i, row := range rows {
		outs[i] = command.Outcome{Command: command.Command{Kind: command.Kind(row.Kind), Line: row.Line}, OK: row.OK, Why: row.Why}
	}
	if err := a.answer(ctx, gh, r, commentID, outs); err != nil {
		return err
	}
	for _, row := range rows {
		if row.Withdraw == "" {
			continue
		}
		note := fmt.Sprintf("%s asked to reassign; the app withdrew its request of %s and asked another candidate",
			row.Actor, row.Withdraw)
		if err := a.withdrawNow(ctx, gh, r, row.Withdraw, note, withdrawnOnRequest); err != nil {
			return err
		}
	}
	if err := a.requestEvaluation(ctx, r); err != nil {
		return err
	}
	return a.Store.FinishCommands(ctx, r.RepoID, commentID)
}

// withdrawnOnRequest is why a reviewer withdrawn by "/reviewpolicy
// reassign" is not asked again, in the check's notes.
const withdrawnOnRequest = "withdrawn with /reviewpolicy reassign"

func allowed(rows []store.CommandRow) bool {
	for _, r := range rows {
		if !r.OK {
			return false
		}
	}
	return true
}

func reactionFor(ok bool) string {
	if ok {
		return "+1"
	}
	return "confused"
}

// reassignTargets picks, for each allowed reassign, whose request to
// withdraw (indexed like outs): the actor's own when they are a reviewer
// the app asked, else the oldest request of the app still waiting. A
// request a person made is never withdrawn: with none of the app's
// waiting, the command is refused, as it is when the person it names
// cannot be asked now.
func (a *App) reassignTargets(ctx context.Context, gh *githubapi.Repo, r repoRef, actor string, roles command.Roles, outs []command.Outcome) ([]string, error) {
	withdraw := make([]string, len(outs))
	for i, o := range outs {
		if !o.OK || o.Command.Kind != command.Reassign {
			continue
		}
		target, err := a.reassignTarget(ctx, r, actor, roles, withdraw)
		if err != nil {
			return nil, err
		}
		if target == "" {
			outs[i].OK = false
			outs[i].Why = "reassign replaces a reviewer the app requested, and none is waiting (requests people made are never withdrawn)"
			continue
		}
		if o.Command.Login != "" {
			why, err := a.cannotAsk(ctx, gh, r, o.Command.Login)
			if err != nil {
				return nil, err
			}
			if why != "" {
				outs[i].OK, outs[i].Why = false, why
				continue
			}
		}
		withdraw[i] = target
	}
	return withdraw, nil
}

// reassignTarget is the app's waiting request the actor may take back and
// no earlier line of the comment takes: "" none.
func (a *App) reassignTarget(ctx context.Context, r repoRef, actor string, roles command.Roles, taken []string) (string, error) {
	reqs, err := a.Store.AppRequests(ctx, r.RepoID, r.Number)
	if err != nil {
		return "", err
	}
	me := strings.ToLower(actor)
	anyone := me == roles.Author || roles.Leads[me] // else a reviewer may hand back only their own
	target := ""
	for _, q := range reqs {
		if q.Open && roles.Requested[q.Login] && !slices.Contains(taken, q.Login) && (q.Login == me || (anyone && target == "")) {
			target = q.Login
		}
	}
	return target, nil
}

// cannotAsk says why login cannot be named with reassign now, or "".
func (a *App) cannotAsk(ctx context.Context, gh *githubapi.Repo, r repoRef, login string) (string, error) {
	g, err := a.gather(ctx, gh, r)
	if err != nil {
		return "", err
	}
	if g.facts.Policy == nil || g.facts.Policy.Reviewers == nil {
		return "the policy has no reviewers area", nil
	}
	return reviewers.CannotAsk(decide.ReviewersInput(g.facts, a.Now()), login), nil
}

// withdrawNow gathers the pull request's facts and withdraws login's request.
func (a *App) withdrawNow(ctx context.Context, gh *githubapi.Repo, r repoRef, login, note, why string) error {
	g, err := a.gather(ctx, gh, r)
	if err != nil {
		return err
	}
	return a.withdraw(ctx, gh, r, g, login, note, why)
}

// commandRows are what the store keeps of a comment's commands.
func commandRows(cm *github.IssueComment, outs []command.Outcome, withdraw []string, head string, a *App) []store.CommandRow {
	at := cm.GetCreatedAt().Time
	if at.IsZero() {
		at = a.Now()
	}
	rows := make([]store.CommandRow, len(outs))
	for i, o := range outs {
		rows[i] = store.CommandRow{CommentID: cm.GetID(), Line: o.Command.Line, Kind: string(o.Command.Kind),
			Actor: strings.ToLower(cm.GetUser().GetLogin()), OK: o.OK, Why: o.Why, For: o.Command.For, Reason: o.Command.Reason, At: at}
		switch o.Command.Kind {
		case command.SkipTemplate:
			rows[i].HeadSHA = head
		case command.Reassign:
			rows[i].Target, rows[i].Withdraw = o.Command.Login, withdraw[i]
		}
	}
	return rows
}

// answer reacts to the comment and, once per comment, replies to what was
// refused. The reply quotes nothing of the comment's text but the command
// names, and mentions nobody.
func (a *App) answer(ctx context.Context, gh *githubapi.Repo, r repoRef, commentID int64, outs []command.Outcome) error {
	if err := gh.React(ctx, commentID, reactionFor(command.AllOK(outs))); err != nil {
		return err
	}
	lines := command.Reply(outs)
	if len(lines) == 0 {
		return nil
	}
	mine, err := a.Store.ClaimReply(ctx, r.RepoID, commentID)
	if err != nil || !mine {
		return err
	}
	var b strings.Builder
	b.WriteString("😕 reviewpolicy did not run everything asked:\n")
	for _, l := range lines {
		b.WriteString("- " + check.Inert(l, 500) + "\n")
	}
	if err := gh.Comment(ctx, r.Number, b.String()); err != nil {
		return errors.Join(err, a.Store.ReleaseReply(context.WithoutCancel(ctx), r.RepoID, commentID))
	}
	return nil
}

// commandRoles reads who is the author, who is requested and who leads,
// from the pull request and the policy in force on its base branch.
func (a *App) commandRoles(ctx context.Context, gh *githubapi.Repo, r repoRef) (command.Roles, string, error) {
	pr, err := gh.PullRequest(ctx, r.Number)
	if err != nil {
		return command.Roles{}, "", err
	}
	roles := command.Roles{Author: strings.ToLower(pr.GetUser().GetLogin()), Leads: map[string]bool{},
		Requested: map[string]bool{}}
	for _, u := range pr.RequestedReviewers {
		roles.Requested[strings.ToLower(u.GetLogin())] = true
	}
	base, err := gh.GitHubDir(ctx, pr.GetBase().GetRef())
	if err != nil {
		return roles, "", err
	}
	pol, err := a.loadPolicy(ctx, gh, pr.GetBase().GetRef(), base)
	if err != nil || pol.policy == nil {
		return roles, pr.GetHead().GetSHA(), err
	}
	leads, err := expandLeads(ctx, gh, pol.policy)
	roles.Leads = leads
	return roles, pr.GetHead().GetSHA(), err
}

// expandLeads resolves the policy's leads to logins, teams to their members.
func expandLeads(ctx context.Context, gh *githubapi.Repo, p *policy.Policy) (map[string]bool, error) {
	out := map[string]bool{}
	for _, ref := range p.Leads {
		org, slug, isTeam := splitTeam(ref)
		if !isTeam {
			out[strings.ToLower(strings.TrimPrefix(ref, "@"))] = true
			continue
		}
		members, _, err := gh.TeamMembers(ctx, org, slug)
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			out[strings.ToLower(m)] = true
		}
	}
	return out, nil
}

// readCommands turns the pull request's allowed commands into facts: who
// asked for an explanation, a skip of the template for the current head,
// and the snoozes.
func readCommands(g *gathered) {
	f := &g.facts
	for _, c := range g.first.Commands {
		switch command.Kind(c.Kind) {
		case command.Explain:
			f.Explain = c.Actor
		case command.SkipTemplate:
			if c.HeadSHA == g.headSHA {
				f.TemplateSkip = &decide.Given{By: c.Actor, Reason: c.Reason}
			}
		case command.Snooze:
			f.Snoozes = append(f.Snoozes, decide.Snooze{Given: decide.Given{By: c.Actor, Reason: c.Reason}, At: c.At, For: c.For})
		case command.Reassign:
			if c.Target != "" {
				f.Prefer = append(f.Prefer, c.Target)
			}
		}
	}
	readReassignments(g.first.AppRequests, f)
}
