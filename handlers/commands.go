package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/command"
	"github.com/reviewpolicy/reviewpolicy/githubapi"
	"github.com/reviewpolicy/reviewpolicy/policy"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
	"github.com/reviewpolicy/reviewpolicy/policy/decide"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// onCommands runs the /reviewpolicy commands of a new pull request comment.
// Each comment gets one reaction (👍 all done, 😕 otherwise) and, when
// something was refused or not understood, one short reply. Deliveries of
// the same comment, at once or again later, record its commands once and
// reply once; the reaction GitHub keeps once per content.
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
	roles, head, err := a.commandRoles(ctx, gh, r)
	if err != nil {
		return err
	}
	actor := cm.GetUser().GetLogin()
	outs := make([]command.Outcome, len(cmds))
	for i, c := range cmds {
		outs[i] = command.Authorize(c, actor, roles)
	}
	targets, err := a.reassignTargets(ctx, r, actor, roles, outs)
	if err != nil {
		return err
	}
	first, err := a.Store.AddCommands(ctx, r.RepoID, r.Number, commandRows(cm, outs, head, a))
	if err != nil {
		return err
	}
	if !first {
		// Another delivery recorded this comment and ran it: answer as it
		// decided (the reaction GitHub keeps once), do nothing again.
		ok, _, err := a.Store.CommentOK(ctx, r.RepoID, cm.GetID())
		if err != nil {
			return err
		}
		return gh.React(ctx, cm.GetID(), reactionFor(ok))
	}
	if err := a.answer(ctx, gh, r, cm.GetID(), outs); err != nil {
		return err
	}
	for _, login := range targets {
		note := fmt.Sprintf("%s asked to reassign; the app withdrew its request of %s and asked another candidate",
			strings.ToLower(actor), login)
		if err := a.withdrawNow(ctx, gh, r, login, note); err != nil {
			return err
		}
	}
	log.Info("commands", "pr", r.String(), "by", actor, "ok", command.AllOK(outs))
	return a.requestEvaluation(ctx, r)
}

func reactionFor(ok bool) string {
	if ok {
		return "+1"
	}
	return "confused"
}

// reassignTargets picks, for each allowed reassign, whose request to
// withdraw: the actor's own when they are a reviewer the app asked, else
// the oldest request of the app still waiting. A request a person made is
// never withdrawn: with none of the app's waiting, the command is refused.
func (a *App) reassignTargets(ctx context.Context, r repoRef, actor string, roles command.Roles, outs []command.Outcome) ([]string, error) {
	var targets []string
	for i, o := range outs {
		if !o.OK || o.Command.Kind != command.Reassign {
			continue
		}
		reqs, err := a.Store.AppRequests(ctx, r.RepoID, r.Number)
		if err != nil {
			return nil, err
		}
		me := strings.ToLower(actor)
		anyone := me == roles.Author || roles.Leads[me] // else a reviewer may hand back only their own
		target := ""
		for _, q := range reqs {
			if q.Open && roles.Requested[q.Login] && (q.Login == me || (anyone && target == "")) {
				target = q.Login
			}
		}
		if target == "" || slices.Contains(targets, target) {
			outs[i].OK = false
			outs[i].Why = "reassign replaces a reviewer the app requested, and none is waiting (requests people made are never withdrawn)"
			continue
		}
		targets = append(targets, target)
	}
	return targets, nil
}

// withdrawNow gathers the pull request's facts and withdraws login's request.
func (a *App) withdrawNow(ctx context.Context, gh *githubapi.Repo, r repoRef, login, note string) error {
	g, err := a.gather(ctx, gh, r)
	if err != nil {
		return err
	}
	return a.withdraw(ctx, gh, r, g, login, note)
}

// commandRows are what the store keeps of a comment's commands.
func commandRows(cm *github.IssueComment, outs []command.Outcome, head string, a *App) []store.CommandRow {
	at := cm.GetCreatedAt().Time
	if at.IsZero() {
		at = a.Now()
	}
	rows := make([]store.CommandRow, len(outs))
	for i, o := range outs {
		rows[i] = store.CommandRow{CommentID: cm.GetID(), Line: o.Command.Line, Kind: string(o.Command.Kind),
			Actor: strings.ToLower(cm.GetUser().GetLogin()), OK: o.OK, For: o.Command.For, Reason: o.Command.Reason, At: at}
		switch o.Command.Kind {
		case command.SkipTemplate:
			rows[i].HeadSHA = head
		case command.Reassign:
			rows[i].Target = o.Command.Login
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
func (a *App) readCommands(ctx context.Context, r repoRef, g *gathered) error {
	rows, err := a.Store.Commands(ctx, r.RepoID, r.Number)
	if err != nil {
		return err
	}
	f := &g.facts
	for _, c := range rows {
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
	return a.readReassignments(ctx, r, f)
}
