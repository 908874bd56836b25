package notify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// Sender delivers the outbox. Every replica runs one: each message is
// leased to one sender at a time (store.ClaimOutbox), and marked sent by
// that sender only, so replicas, restarts and retries send it once. A
// sender that dies mid-send leaves its lease to expire; the message is then
// sent by another, which first looks for it in Slack if the dead sender
// had begun posting it (indoubt.go).
type Sender struct {
	Store   *store.Store
	Slack   *slack.Client     // nil: Slack is off
	Teams   map[string]string // webhook name -> URL
	HTTP    *http.Client      // for Teams webhooks
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time
	// Lease is how long a sender holds a message it is sending; another
	// takes it over only after that (its holder died). Each send is given
	// at most half of it. Default 2 min.
	Lease time.Duration
	// Poll is how often due messages are looked for; default 1 s. Wake
	// makes the sender look at once.
	Poll time.Duration
	// ChannelGap is the least time between two posts into one Slack
	// channel or DM (Slack allows about one message per second per
	// channel); default 1 s, negative: no pacing.
	ChannelGap time.Duration
	// History says which conversations the token may read back, to settle
	// a post in doubt (indoubt.go); decided at start from the token's
	// scopes (TokenScopes). Where it may not, such a post is sent again.
	History HistoryScopes
	// OnFailure is told of a message refused for good (an unknown
	// channel, an ID Slack does not know), e.g. to show it in the check run.
	OnFailure func(ctx context.Context, m store.OutboxMessage, reason string)

	owner    string
	wake     chan struct{}
	initOnce sync.Once
	mu       sync.Mutex
	dms      map[string]string    // Slack user ID -> DM channel ID
	nextPost map[string]time.Time // destination -> earliest next post
}

// Defaults of a Sender.
const (
	DefaultLease = 2 * time.Minute
	sendTimeout  = 30 * time.Second
	maxAttempts  = 20
	batch        = 20
)

func (s *Sender) init() {
	s.initOnce.Do(func() {
		var b [6]byte
		_, _ = rand.Read(b[:])
		host, _ := os.Hostname()
		s.owner = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
		s.wake = make(chan struct{}, 1)
		s.dms = map[string]string{}
		s.nextPost = map[string]time.Time{}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Lease <= 0 {
			s.Lease = DefaultLease
		}
		if s.Poll <= 0 {
			s.Poll = time.Second
		}
		if s.ChannelGap == 0 {
			s.ChannelGap = time.Second
		}
		if s.HTTP == nil {
			s.HTTP = &http.Client{Timeout: sendTimeout}
		}
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
	})
}

// Wake asks the sender to look for due messages now (after an enqueue).
func (s *Sender) Wake() {
	s.init()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run sends due messages until ctx ends. Store errors are logged and
// retried at the next poll: the loop itself never fails.
func (s *Sender) Run(ctx context.Context) {
	s.init()
	t := time.NewTicker(s.Poll)
	defer t.Stop()
	var digested time.Time
	for {
		// Digests are planned once a minute; their keys make each go once.
		if now := s.Now(); now.Sub(digested) >= time.Minute {
			if err := s.PlanDigests(ctx); err != nil && ctx.Err() == nil {
				s.Logger.Warn("notify: planning digests", "err", err)
			}
			digested = now
		}
		for {
			n, err := s.SendDue(ctx)
			if err != nil && ctx.Err() == nil {
				s.Logger.Warn("notify: sending the outbox", "err", err)
			}
			if n < batch || err != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}

// PlanDigests enqueues the digests due now (Planner.PlanDigests).
func (s *Sender) PlanDigests(ctx context.Context) error {
	s.init()
	now := s.Now()
	rows, err := s.Store.DigestPRs(ctx, now.Add(-7*24*time.Hour))
	if err != nil {
		return err
	}
	teams := map[string]bool{}
	for name := range s.Teams {
		teams[name] = true
	}
	msgs := Planner{Slack: s.Slack != nil, Teams: teams}.PlanDigests(rows, now)
	_, err = s.Store.EnqueueOutbox(ctx, msgs, now)
	return err
}

// SendDue leases the messages due now and sends them; it reports how many
// it leased.
func (s *Sender) SendDue(ctx context.Context) (int, error) {
	s.init()
	msgs, err := s.Store.ClaimOutbox(ctx, s.owner, s.Now(), s.Lease, batch)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		if ctx.Err() != nil {
			return len(msgs), ctx.Err()
		}
		s.sendOne(ctx, m)
	}
	return len(msgs), nil
}

// outcome is what became of one attempt.
type outcome struct {
	channel, ts string
	retryAt     time.Time // zero: settled
	unsent      bool      // with retryAt: no post of the message can have landed
	failed      string    // a refusal no retry cures
	err         error     // a transient failure: retry with backoff
}

func (s *Sender) sendOne(ctx context.Context, m store.OutboxMessage) {
	// Well inside the lease, so no other sender takes the message while
	// this one may still deliver it.
	sctx, cancel := context.WithTimeout(ctx, min(sendTimeout, s.Lease/2))
	defer cancel()
	var o outcome
	switch {
	case m.Dest == DestUpdate:
		o = s.update(sctx, m)
	case strings.HasPrefix(m.Dest, "slack:"):
		o = s.postSlack(sctx, m)
	case strings.HasPrefix(m.Dest, "teams:"):
		o = s.postTeams(sctx, m)
	default:
		o = outcome{failed: "unknown destination " + m.Dest}
	}
	s.settle(context.WithoutCancel(ctx), m, o)
}

// settle records an outcome under this sender's lease.
func (s *Sender) settle(ctx context.Context, m store.OutboxMessage, o outcome) {
	now := s.Now()
	label := destLabel(m.Dest)
	var err error
	switch {
	case o.failed != "":
		_, err = s.Store.FailOutbox(ctx, m.ID, s.owner, o.failed)
		s.Metrics.count(m.Kind, label, "failed")
		s.Metrics.failure(m.Kind, label, o.failed)
		s.Logger.Warn("notify: message refused", "key", m.Key, "reason", o.failed)
		if s.OnFailure != nil {
			s.OnFailure(ctx, m, o.failed)
		}
	case o.err != nil && m.Attempts >= maxAttempts:
		_, err = s.Store.FailOutbox(ctx, m.ID, s.owner, "gave up: "+o.err.Error())
		s.Metrics.count(m.Kind, label, "failed")
		s.Metrics.failure(m.Kind, label, "gave_up")
	case o.err != nil:
		_, err = s.Store.RetryOutbox(ctx, m.ID, s.owner, now.Add(backoff(m.Attempts)), o.err.Error())
		s.Metrics.count(m.Kind, label, "retried")
		s.Logger.Info("notify: will retry", "key", m.Key, "attempt", m.Attempts, "err", o.err)
	case !o.retryAt.IsZero() && o.unsent:
		_, err = s.Store.RetryOutboxUnsent(ctx, m.ID, s.owner, o.retryAt, "waiting")
	case !o.retryAt.IsZero():
		_, err = s.Store.RetryOutbox(ctx, m.ID, s.owner, o.retryAt, "waiting")
	default:
		_, err = s.Store.MarkOutboxSent(ctx, m.ID, s.owner, o.channel, o.ts, now)
		s.Metrics.count(m.Kind, label, "sent")
	}
	if err != nil {
		s.Logger.Warn("notify: recording an outcome", "key", m.Key, "err", err)
	}
}

// backoff after the n-th attempt: 5 s doubling, at most 10 min.
func backoff(n int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < n && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

func destLabel(dest string) string {
	switch {
	case dest == DestUpdate:
		return "slack_update"
	case strings.HasPrefix(dest, "slack:U"), strings.HasPrefix(dest, "slack:W"):
		return "slack_dm"
	case strings.HasPrefix(dest, "slack:"):
		return "slack_channel"
	case strings.HasPrefix(dest, "teams:"):
		return "teams"
	}
	return "other"
}

// pace keeps posts into one destination ChannelGap apart within this
// process; a 429 spreads the wait to every replica (DeferOutboxDest).
func (s *Sender) pace(dest string) (wait time.Time, ok bool) {
	if s.ChannelGap < 0 {
		return time.Time{}, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	if next := s.nextPost[dest]; now.Before(next) {
		return next, false
	}
	s.nextPost[dest] = now.Add(s.ChannelGap)
	return time.Time{}, true
}

func decode(m store.OutboxMessage) (Payload, error) {
	var p Payload
	err := json.Unmarshal(m.Payload, &p)
	return p, err
}

// classify turns a Slack error into an outcome: 429 waits Retry-After (and
// tells the other replicas), refusals fail for good, the rest is retried.
func (s *Sender) classify(ctx context.Context, dest string, err error) outcome {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		until := s.Now().Add(max(rl.RetryAfter, time.Second))
		s.Metrics.count("", destLabel(dest), "rate_limited")
		if derr := s.Store.DeferOutboxDest(ctx, dest, until); derr != nil {
			s.Logger.Warn("notify: deferring a destination", "dest", dest, "err", derr)
		}
		return outcome{retryAt: until}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && permanent[se.Err] {
		return outcome{failed: se.Err}
	}
	return outcome{err: err}
}

// permanent are Slack's refusals that retrying cannot cure.
var permanent = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true, "user_not_found": true,
	"users_not_found": true, "user_disabled": true, "cannot_dm_bot": true, "invalid_auth": true,
	"not_authed": true, "account_inactive": true, "token_revoked": true, "missing_scope": true,
	"no_text": true, "msg_too_long": true, "invalid_blocks": true, "invalid_arguments": true,
	"restricted_action": true, "ekm_access_denied": true, "team_access_not_granted": true,
}
