package githubapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// collaboratorTTL bounds how long a "can review" answer is trusted.
const collaboratorTTL = time.Hour

type collaborator struct {
	can bool
	at  time.Time
}

// IsCollaborator asks GitHub whether login can review the repository: a
// collaborator, directly or through a team or the organisation. No such
// user is a no.
func (r *Repo) IsCollaborator(ctx context.Context, login string) (bool, error) {
	can, resp, err := r.c.Repositories.IsCollaborator(ctx, r.Owner, r.Name, login)
	if err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
		return false, fmt.Errorf("checking %s on %s: %w", login, r, err)
	}
	return can, nil
}

// UnableToReview returns the logins that have no access to the repository,
// trusting an answer for collaboratorTTL: asking someone without access
// fails the whole review request, and access rarely changes.
func (r *Repo) UnableToReview(ctx context.Context, logins []string) ([]string, error) {
	var bad []string
	for _, login := range logins {
		key := fmt.Sprintf("%d/%s", r.ID, strings.ToLower(login))
		if v, ok := r.api.cache.collaborators.Get(key); ok && r.api.now().Sub(v.(collaborator).at) < collaboratorTTL {
			if !v.(collaborator).can {
				bad = append(bad, login)
			}
			continue
		}
		can, err := r.IsCollaborator(ctx, login)
		if err != nil {
			return nil, err
		}
		r.api.cache.collaborators.Add(key, collaborator{can: can, at: r.api.now()})
		if !can {
			bad = append(bad, login)
		}
	}
	return bad, nil
}
