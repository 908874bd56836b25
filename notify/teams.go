package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reviewpolicy/reviewpolicy/store"
)

// postTeams posts a channel message to a Teams Workflows webhook as an
// Adaptive Card. Teams webhooks cannot DM, and their posts cannot be
// edited later.
func (s *Sender) postTeams(ctx context.Context, m store.OutboxMessage) outcome {
	name := strings.TrimPrefix(m.Dest, "teams:")
	url, ok := s.Teams[name]
	if !ok {
		return outcome{failed: fmt.Sprintf("no Teams webhook named %s in the server configuration", name)}
	}
	p, err := decode(m)
	if err != nil {
		return outcome{failed: "unreadable message: " + err.Error()}
	}
	body, err := json.Marshal(p.TeamsCard())
	if err != nil {
		return outcome{failed: err.Error()}
	}
	if at, ok := s.pace(m.Dest); !ok {
		return outcome{retryAt: at}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		// The URL is a secret: never in an error.
		return outcome{failed: "the Teams webhook URL is not valid"}
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		return outcome{err: fmt.Errorf("posting to Teams webhook %s failed", name)}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode < 300:
		return outcome{}
	case resp.StatusCode == http.StatusTooManyRequests:
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		until := s.Now().Add(max(time.Duration(secs)*time.Second, time.Second))
		_ = s.Store.DeferOutboxDest(ctx, m.Dest, until)
		s.Metrics.count("", "teams", "rate_limited")
		return outcome{retryAt: until}
	case resp.StatusCode >= 500:
		return outcome{err: fmt.Errorf("teams webhook %s: HTTP %d", name, resp.StatusCode)}
	}
	return outcome{failed: fmt.Sprintf("teams webhook %s refused the post: HTTP %d", name, resp.StatusCode)}
}
