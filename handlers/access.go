package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// collaboratorTTL bounds how long a "can review" answer is trusted.
const collaboratorTTL = time.Hour

type collaborator struct {
	can bool
	at  time.Time
}

// unableToReview returns the logins that have no access to the repository.
func (a *App) unableToReview(ctx context.Context, c *github.Client, r repoRef, logins []string) ([]string, error) {
	var bad []string
	for _, login := range logins {
		key := fmt.Sprintf("%d/%s", r.RepoID, strings.ToLower(login))
		if v, ok := a.cache.collaborators.Get(key); ok && a.Now().Sub(v.(collaborator).at) < collaboratorTTL {
			if !v.(collaborator).can {
				bad = append(bad, login)
			}
			continue
		}
		can, resp, err := c.Repositories.IsCollaborator(ctx, r.Owner, r.Repo, login)
		if err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
			return nil, fmt.Errorf("checking %s on %s: %w", login, r, err)
		}
		a.cache.collaborators.Add(key, collaborator{can: can, at: a.Now()})
		if !can {
			bad = append(bad, login)
		}
	}
	return bad, nil
}
