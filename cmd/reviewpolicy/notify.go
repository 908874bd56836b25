package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/slack-go/slack"

	"github.com/reviewpolicy/reviewpolicy/config"
	"github.com/reviewpolicy/reviewpolicy/handlers"
	"github.com/reviewpolicy/reviewpolicy/notify"
	"github.com/reviewpolicy/reviewpolicy/store"
)

// notifications builds the outbox's sender from the slack and teams
// configuration, checking the Slack token first (auth.test): a token Slack
// refuses stops the start. The metrics are registered either way.
func notifications(ctx context.Context, cfg *config.Config, reg prometheus.Registerer, st func() *store.Store,
	logger *slog.Logger) (*notify.Sender, error) {
	m := notify.NewMetrics(reg, func() (float64, float64) {
		s := st()
		if s == nil {
			return 0, 0
		}
		qctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, age, err := s.OutboxDepth(qctx, time.Now())
		if err != nil {
			return -1, -1
		}
		return float64(n), age.Seconds()
	})
	// A message being sent is held like a job: workers.job_timeout.
	sender := &notify.Sender{Metrics: m, Logger: logger, Teams: cfg.Teams.Webhooks, Lease: cfg.Workers.JobTimeout}
	if cfg.Slack.BotToken != "" {
		hc := &http.Client{Timeout: 30 * time.Second}
		sender.Slack = slack.New(cfg.Slack.BotToken, slack.OptionAPIURL(cfg.Slack.APIURL), slack.OptionHTTPClient(hc))
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := notify.CheckToken(cctx, sender.Slack); err != nil {
			return nil, err
		}
		// Decided once: a post in doubt is looked up only where the token
		// may read the conversation back.
		h, err := notify.TokenScopes(cctx, hc, cfg.Slack.APIURL, cfg.Slack.BotToken)
		if err != nil {
			return nil, err
		}
		sender.History = h
		if !h.DMs || !h.Channels {
			logger.Info("notify: without im:history and channels:history, a Slack post whose sender died mid-send may be sent twice",
				"dm_history", h.DMs, "channel_history", h.Channels)
		}
	}
	return sender, nil
}

// startSender wires the sender to the app and runs it until ctx ends or
// stop is called. Without Slack or a Teams webhook nothing is notified
// and nothing runs.
func startSender(ctx context.Context, app *handlers.App, s *notify.Sender) (stop func()) {
	if s.Slack == nil && len(s.Teams) == 0 {
		return func() {}
	}
	teams := map[string]bool{}
	for name := range s.Teams {
		teams[name] = true
	}
	s.Store, s.OnFailure = app.Store, app.NotifyFailed
	app.Notify = &handlers.Notifications{Planner: notify.Planner{Slack: s.Slack != nil, Teams: teams},
		Metrics: s.Metrics, Wake: s.Wake}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}
