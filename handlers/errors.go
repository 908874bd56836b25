package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"
)

// retryable decides what River does with a failed job: GitHub's rate limits
// snooze it until the limit resets (without spending an attempt), client
// errors that cannot succeed cancel it, anything else is retried with River's
// exponential backoff.
func retryable(err error, now time.Time) error {
	var rate *github.RateLimitError
	if errors.As(err, &rate) {
		return river.JobSnooze(waitUntil(rate.Rate.Reset.Time, now))
	}
	var abuse *github.AbuseRateLimitError
	if errors.As(err, &abuse) {
		d := time.Minute
		if abuse.RetryAfter != nil {
			// go-github derives it from X-RateLimit-Reset, which may be past.
			d = waitUntil(now.Add(*abuse.RetryAfter), now)
		}
		return river.JobSnooze(d)
	}
	var gh *github.ErrorResponse
	if errors.As(err, &gh) && gh.Response != nil {
		switch s := gh.Response.StatusCode; {
		case s == http.StatusTooManyRequests || s == http.StatusForbidden && gh.Response.Header.Get("Retry-After") != "":
			return river.JobSnooze(retryAfter(gh.Response.Header, now))
		case s == http.StatusNotFound || s == http.StatusGone || s == http.StatusUnprocessableEntity ||
			s == http.StatusUnauthorized || s == http.StatusForbidden:
			// The repository or pull request is gone, or the app lost access.
			return river.JobCancel(err)
		}
	}
	return err
}

func waitUntil(t, now time.Time) time.Duration {
	d := t.Sub(now) + time.Second
	if d < time.Second {
		d = time.Second
	}
	if d > time.Hour {
		d = time.Hour
	}
	return d
}

func retryAfter(h http.Header, now time.Time) time.Duration {
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil {
		return waitUntil(now.Add(time.Duration(s)*time.Second), now)
	}
	if s, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
		return waitUntil(time.Unix(s, 0), now)
	}
	return time.Minute
}
