package handlers

import (
	"context"
	"log/slog"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// onIssueComment notices a person editing or deleting the app's sticky
// comment. The store's hash of what the app last wrote no longer matches
// what GitHub shows, so it is forgotten and the pull request evaluated: the
// comment is written again (or, deleted, created when there is something
// to say).
func (a *App) onIssueComment(ctx context.Context, d store.Delivery, log *slog.Logger) error {
	if d.Action == "created" {
		return a.onCommands(ctx, d, log) // commands.go; edited comments give none
	}
	if d.Action != "edited" && d.Action != "deleted" {
		return nil
	}
	var ev github.IssueCommentEvent
	if err := decode(d, &ev); err != nil {
		return err
	}
	if !ev.GetIssue().IsPullRequest() {
		return nil
	}
	bot, err := a.GitHub.BotLogin(ctx)
	if err != nil {
		return err
	}
	if strings.EqualFold(ev.GetSender().GetLogin(), bot) {
		return nil // the app's own edit
	}
	r := prRef(d.InstallationID, ev.Repo, ev.GetIssue().GetNumber())
	key := store.ObjectKey{RepoID: r.RepoID, Number: r.Number, Kind: "comment"}
	obj, known, err := a.Store.GetObject(ctx, key)
	if err != nil || !known || obj.ID != ev.GetComment().GetID() {
		return err
	}
	if d.Action == "deleted" {
		obj = store.Object{}
	}
	obj.Hash = ""
	if err := a.Store.PutObject(ctx, key, obj); err != nil {
		return err
	}
	log.Info("sticky comment changed by someone else", "pr", r.String(), "by", ev.GetSender().GetLogin())
	return a.requestEvaluation(ctx, r)
}
