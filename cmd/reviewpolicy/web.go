package main

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/palantir/go-githubapp/githubapp"

	"github.com/reviewpolicy/reviewpolicy/config"
	"github.com/reviewpolicy/reviewpolicy/store"
	"github.com/reviewpolicy/reviewpolicy/web"
)

// webPages builds the web front end when github.oauth is configured; nil
// (no pages) otherwise. The app's slug, for the install link, is asked of
// GitHub once; without it the front page has no install link.
func webPages(ctx context.Context, cfg *config.Config, st *store.Store, clients githubapp.ClientCreator, logger *slog.Logger) (http.Handler, error) {
	if cfg.GitHub.OAuth.ClientID == "" {
		return nil, nil
	}
	key, err := cfg.SessionKeyBytes()
	if err != nil {
		return nil, err
	}
	slug := ""
	if c, err := clients.NewAppClient(); err == nil {
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		if app, _, err := c.Apps.Get(actx, ""); err == nil {
			slug = app.GetSlug()
		} else {
			logger.Warn("web: reading the app's slug for the install link failed", "err", err)
		}
		cancel()
	}
	s, err := web.New(web.Options{Store: st, PublicURL: cfg.Server.PublicURL, WebURL: cfg.GitHub.WebURL,
		APIURL: cfg.GitHub.V3APIURL, ClientID: cfg.GitHub.OAuth.ClientID, ClientSecret: cfg.GitHub.OAuth.ClientSecret,
		SessionKey: key, AppSlug: slug, Logger: logger})
	if err != nil {
		return nil, err
	}
	return s.Handler(), nil
}
