package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake"
	"github.com/reviewpolicy/reviewpolicy/policy/check"
)

func sticky(text string, needed bool) check.Report {
	return check.Report{Comment: check.Marker + "\n" + text, NeedsComment: needed}
}

func addPull(s *setup) {
	s.fake.AddPullRequest("acme", "app", githubfake.PullRequest{Number: 1, HeadRef: "feat", HeadSHA: headSHA, Author: "alice"})
}

// TestUpsertCommentFindsTheAppsOwnSticky: a marker pasted by someone else
// (before the app's comment, on the first page) is not the sticky one; the
// app's comment, on the second page, is edited in place; nothing else is
// touched; and once remembered, GitHub is not searched again.
func TestUpsertCommentFindsTheAppsOwnSticky(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	pasted := s.fake.AddComment("acme", "app", 1, "mallory", check.Marker+"\nall good, merge it")
	for i := range 100 {
		s.fake.AddComment("acme", "app", 1, "bob", fmt.Sprintf("comment %d", i))
	}
	own := s.fake.AddComment("acme", "app", 1, s.fake.BotLogin(), check.Marker+"\nold")
	ctx := context.Background()
	for range 3 {
		if err := s.repo.UpsertComment(ctx, 1, sticky("fill in the template", true)); err != nil {
			t.Fatal(err)
		}
	}
	byID := map[int64]string{}
	for _, c := range s.fake.Comments("acme", "app", 1) {
		byID[c.ID] = c.Body
	}
	if len(byID) != 102 || byID[own] != check.Marker+"\nfill in the template" || byID[pasted] != check.Marker+"\nall good, merge it" {
		t.Errorf("%d comments; own %q; pasted %q", len(byID), byID[own], byID[pasted])
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/issues/1/comments"); n != 2 {
		t.Errorf("%d listings, want 2 pages once", n)
	}
	if n := s.fake.CountCalls(http.MethodPatch, "/repos/acme/app/issues/comments/"); n != 1 {
		t.Errorf("%d edits, want 1", n)
	}
	if n := s.fake.CountCalls(http.MethodPost, "/repos/acme/app/issues/1/comments"); n != 0 {
		t.Errorf("%d new comments, want 0", n)
	}
}

// TestUpsertCommentOnlyWhenNeeded: nothing to say and no comment means no
// comment (and, remembered, no second search); something to say creates
// one, once, even when repeated by writers taking turns, and it is then
// kept up to date; a comment someone deleted is found gone by the next edit
// and created again by the write after it.
func TestUpsertCommentOnlyWhenNeeded(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	ctx := context.Background()
	for range 2 {
		if err := s.repo.UpsertComment(ctx, 1, sticky("all good", false)); err != nil {
			t.Fatal(err)
		}
	}
	if got := s.fake.Comments("acme", "app", 1); len(got) != 0 {
		t.Fatalf("a comment with nothing to say: %+v", got)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/issues/1/comments"); n != 1 {
		t.Errorf("%d searches, want 1", n)
	}

	var turn sync.Mutex // stands for the evaluation's lease
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			turn.Lock()
			defer turn.Unlock()
			if err := s.newRepo(t).UpsertComment(ctx, 1, sticky("fill in the template", true)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	got := s.fake.Comments("acme", "app", 1)
	if len(got) != 1 || got[0].Author != s.fake.BotLogin() {
		t.Fatalf("comments: %+v", got)
	}
	if err := s.repo.UpsertComment(ctx, 1, sticky("all good", false)); err != nil {
		t.Fatal(err)
	}
	if got := s.fake.Comments("acme", "app", 1); len(got) != 1 || got[0].Body != check.Marker+"\nall good" {
		t.Errorf("an existing comment is not updated to say all is well: %+v", got)
	}

	s.fake.DeleteComment("acme", "app", got[0].ID)
	if err := s.repo.UpsertComment(ctx, 1, sticky("the template changed", true)); err != nil {
		t.Fatal(err)
	}
	if err := s.repo.UpsertComment(ctx, 1, sticky("the template changed again", true)); err != nil {
		t.Fatal(err)
	}
	if got := s.fake.Comments("acme", "app", 1); len(got) != 1 || got[0].Body != check.Marker+"\nthe template changed again" {
		t.Errorf("after a deletion: %+v", got)
	}
}

// TestUpsertCommentTrustsNoneAndChecksAClaim: a pull request recorded as
// having no comment (its opened event) is not searched: the comment is
// created at once, claimed first. A claim left without an ID (a crash
// after the create) makes the next write search, and the comment found is
// edited, not doubled.
func TestUpsertCommentTrustsNoneAndChecksAClaim(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	ctx := context.Background()
	key := CommentKey(s.repo.ID, 1)
	_ = s.objects.PutObject(ctx, key, Object{}) // what the opened event records
	claimed := false
	s.objects.onPut = func(k ObjectKey, o Object) {
		if k == key && o.Hash == Claimed && s.fake.CountCalls(http.MethodPost, "/repos/acme/app/issues/1/comments") == 0 {
			claimed = true
		}
	}
	if err := s.repo.UpsertComment(ctx, 1, sticky("fill in the template", true)); err != nil {
		t.Fatal(err)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/issues/1/comments"); n != 0 {
		t.Errorf("%d listings of a pull request recorded without a comment, want 0", n)
	}
	if !claimed {
		t.Error("the comment was not claimed before it was created")
	}
	s.objects.onPut = nil
	_ = s.objects.PutObject(ctx, key, Object{Hash: Claimed}) // as if the ID was never recorded
	if err := s.repo.UpsertComment(ctx, 1, sticky("now the ticket", true)); err != nil {
		t.Fatal(err)
	}
	if n := s.fake.CountCalls(http.MethodGet, "/repos/acme/app/issues/1/comments"); n != 1 {
		t.Errorf("%d listings after a claim, want 1", n)
	}
	if cs := s.fake.Comments("acme", "app", 1); len(cs) != 1 || cs[0].Body != check.Marker+"\nnow the ticket" {
		t.Errorf("comments: %+v", cs)
	}
}

// TestBotLoginFromInstallations: once the installations were listed (as
// reconciliation does at start), finding the sticky comment costs no GET /app.
func TestBotLoginFromInstallations(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	own := s.fake.AddComment("acme", "app", 1, s.fake.BotLogin(), check.Marker+"\nold")
	ctx := context.Background()
	for _, err := range s.api.Installations(ctx) {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := s.repo.UpsertComment(ctx, 1, sticky("new", true)); err != nil {
		t.Fatal(err)
	}
	for _, c := range s.fake.Calls() {
		if c.Path == "/app" {
			t.Errorf("%s /app after the installations listing", c.Method)
		}
	}
	if cs := s.fake.Comments("acme", "app", 1); len(cs) != 1 || cs[0].ID != own || cs[0].Body != check.Marker+"\nnew" {
		t.Errorf("comments: %+v", cs)
	}
}

// TestUpsertCommentRecordsWhatAClaimsSearchFound: after a claim (a reopened
// pull request), one search settles it. Found nothing and nothing to say:
// "none" is recorded and later evaluations ask nothing (they listed the
// comments on every evaluation before). Found the comment as it should
// read: its ID is recorded and it is not written again.
func TestUpsertCommentRecordsWhatAClaimsSearchFound(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	ctx := context.Background()
	key := CommentKey(s.repo.ID, 1)
	listings := func() int { return s.fake.CountCalls(http.MethodGet, "/repos/acme/app/issues/1/comments") }

	_ = s.objects.PutObject(ctx, key, Object{Hash: Claimed})
	for range 3 {
		if err := s.repo.UpsertComment(ctx, 1, sticky("all good", false)); err != nil {
			t.Fatal(err)
		}
	}
	if n := listings(); n != 1 {
		t.Errorf("%d listings for three evaluations after a claim, want 1", n)
	}
	if obj, _, _ := s.objects.GetObject(ctx, key); obj != (Object{}) {
		t.Errorf("recorded %+v after finding nothing, want none", obj)
	}

	id := s.fake.AddComment("acme", "app", 1, s.fake.BotLogin(), check.Marker+"\nfill in the template")
	_ = s.objects.PutObject(ctx, key, Object{Hash: Claimed})
	for range 2 {
		if err := s.repo.UpsertComment(ctx, 1, sticky("fill in the template", true)); err != nil {
			t.Fatal(err)
		}
	}
	if n := listings(); n != 2 {
		t.Errorf("%d listings, want one more for the second claim", n)
	}
	if n := s.fake.CountCalls(http.MethodPatch, "/repos/acme/app/issues/comments/"); n != 0 {
		t.Errorf("a comment that already read right was edited %d times", n)
	}
	if obj, _, _ := s.objects.GetObject(ctx, key); obj.ID != id || obj.Hash == Claimed {
		t.Errorf("recorded %+v, want the comment %d and its hash", obj, id)
	}
}

// TestUpsertCommentFromARecordReadEarly: a person edits the comment after
// an evaluation read its record. The edit's handler clears the record and
// asks for another evaluation; the first, writing from the record it read,
// leaves the comment as the person left it, and the next, reading the
// record again, writes the app's text back. Neither creates a second
// comment.
func TestUpsertCommentFromARecordReadEarly(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	ctx := context.Background()
	rep := sticky("fill in the template", true)
	if err := s.repo.UpsertComment(ctx, 1, rep); err != nil {
		t.Fatal(err)
	}
	key := CommentKey(s.repo.ID, 1)
	early, known, err := s.objects.GetObject(ctx, key) // the first evaluation's first reads
	if err != nil || !known || early.ID == 0 {
		t.Fatalf("record after the first write: %+v %v %v", early, known, err)
	}
	s.fake.EditComment("acme", "app", early.ID, "LGTM, ignore the bot")
	if err := s.objects.PutObject(ctx, key, Object{ID: early.ID}); err != nil { // the edit's handler
		t.Fatal(err)
	}

	if err := s.repo.UpsertCommentFrom(ctx, 1, rep, early, known); err != nil {
		t.Fatal(err)
	}
	if got := s.fake.Comments("acme", "app", 1); len(got) != 1 || got[0].Body != "LGTM, ignore the bot" {
		t.Fatalf("the first evaluation, from its early record: %+v", got)
	}
	if err := s.repo.UpsertComment(ctx, 1, rep); err != nil { // the evaluation the edit asked for
		t.Fatal(err)
	}
	if got := s.fake.Comments("acme", "app", 1); len(got) != 1 || got[0].Body != check.Marker+"\nfill in the template" {
		t.Errorf("after the next evaluation: %+v, want the app's text back", got)
	}
}

// TestUpsertCommentSurvivesLosingItsRecord: the comment's record after a
// write or a search may be lost in a crash of the store (RecordObject), but
// never its claim: a crash right after the comment was created leaves the
// claim, and the next write finds the comment on GitHub and edits it
// instead of adding a second one.
func TestUpsertCommentSurvivesLosingItsRecord(t *testing.T) {
	t.Parallel()
	s := newSetup(t, nil)
	addPull(s)
	ctx := context.Background()
	if err := s.repo.UpsertComment(ctx, 1, sticky("fill in the template", true)); err != nil {
		t.Fatal(err)
	}
	key := CommentKey(4711, 1)
	if _, lazy := s.objects.lazy[key]; !lazy {
		t.Errorf("the comment's record after creating it waited for the disk: want RecordObject")
	}
	s.objects.crash()
	if obj, _, _ := s.objects.GetObject(ctx, key); obj.ID != 0 || obj.Hash != Claimed {
		t.Fatalf("after the crash the record is %+v, want the claim", obj)
	}
	if err := s.newRepo(t).UpsertComment(ctx, 1, sticky("still fill in the template", true)); err != nil {
		t.Fatal(err)
	}
	got := s.fake.Comments("acme", "app", 1)
	if len(got) != 1 || got[0].Body != check.Marker+"\nstill fill in the template" {
		t.Errorf("comments after the crash: %+v, want the one edited", got)
	}
}
