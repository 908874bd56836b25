package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

// UpsertComment keeps one sticky comment on pull request n. A comment is
// created only when the author has something to do (rep.NeedsComment);
// once it exists it is edited in place, including to say all is well.
// Objects remembers the comment and a hash of the body written, shared by
// every replica, so GitHub is searched only the first time (never for a pull
// request whose opened event recorded that it has none) and an unchanged
// body costs no write; someone else editing the comment must clear the
// hash (handlers' issue_comment handling). Like UpsertCheckRun it is not
// atomic: one writer per pull request at a time (the evaluation's lease).
func (r *Repo) UpsertComment(ctx context.Context, n int, rep check.Report) error {
	obj, known, err := r.api.objects.GetObject(ctx, CommentKey(r.ID, n))
	if err != nil {
		return err
	}
	return r.UpsertCommentFrom(ctx, n, rep, obj, known)
}

// UpsertCommentFrom is UpsertComment from the comment's record as the
// caller read it earlier in the same evaluation (known: there was one), to
// save the store a round trip. Reading it early is safe because a person's
// edit or deletion clears the record and then asks for an evaluation, which
// runs after this one and reads the record again: a record read too early
// can only make this write one that the next evaluation corrects.
func (r *Repo) UpsertCommentFrom(ctx context.Context, n int, rep check.Report, obj Object, known bool) error {
	key := CommentKey(r.ID, n)
	var current string
	// A claim left without an ID (reopened, or a crash before the ID was
	// recorded) is searched for like no record; what the search finds is
	// then recorded, "none" too, so the next evaluation does not search
	// again.
	searched := !known || obj.ID == 0 && obj.Hash == Claimed
	if searched {
		bot, err := r.api.BotLogin(ctx)
		if err != nil {
			return err
		}
		if obj.ID, current, _, err = r.findSticky(ctx, n, bot); err != nil {
			return err
		}
	}
	// Build keeps within GitHub's limit; this holds for any report, as a
	// refused body would leave the old comment standing.
	body := check.Clip(rep.Comment, check.MaxComment)
	hash := contentHash(body)
	switch {
	case obj.ID == 0 && !rep.NeedsComment:
		if !searched {
			return nil
		}
		hash = "" // remembered as "none", so GitHub is not searched again
	case obj.ID == 0:
		// Claimed first: should the process die before the ID is recorded,
		// the next writer looks for the comment instead of adding another.
		if err := r.api.objects.PutObject(ctx, key, Object{Hash: Claimed}); err != nil {
			return err
		}
		cm, _, err := r.c.Issues.CreateComment(ctx, r.Owner, r.Name, n, &github.IssueComment{Body: github.String(body)})
		if err != nil {
			return fmt.Errorf("commenting on %s: %w", r.pr(n), err)
		}
		obj.ID = cm.GetID()
	case obj.Hash == hash:
		return nil // written before: nothing to record either
	case searched && current == body:
	default:
		_, resp, err := r.c.Issues.EditComment(ctx, r.Owner, r.Name, obj.ID, &github.IssueComment{Body: github.String(body)})
		if resp != nil && resp.StatusCode == http.StatusNotFound {
			// Someone deleted it: there is none now; the next evaluation
			// that has something to say creates a new one.
			return r.api.objects.RecordObject(ctx, key, Object{})
		}
		if err != nil {
			return fmt.Errorf("editing comment %d on %s: %w", obj.ID, r.pr(n), err)
		}
	}
	return r.api.objects.RecordObject(ctx, key, Object{ID: obj.ID, Hash: hash})
}

// findSticky looks for the app's marker among pull request n's comments.
func (r *Repo) findSticky(ctx context.Context, n int, bot string) (id int64, body string, found bool, err error) {
	for page, err := range pages(&github.ListOptions{PerPage: 100}, func(opt *github.ListOptions) ([]*github.IssueComment, *github.Response, error) {
		return r.c.Issues.ListComments(ctx, r.Owner, r.Name, n, &github.IssueListCommentsOptions{ListOptions: *opt})
	}) {
		if err != nil {
			return 0, "", false, fmt.Errorf("listing comments of %s: %w", r.pr(n), err)
		}
		for _, cm := range page {
			// Anyone can paste the marker; only the app's own comment counts.
			if strings.EqualFold(cm.GetUser().GetLogin(), bot) && strings.HasPrefix(cm.GetBody(), check.Marker) {
				return cm.GetID(), cm.GetBody(), true, nil
			}
		}
	}
	return 0, "", false, nil
}
