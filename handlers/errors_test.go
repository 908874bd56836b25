package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-github/v60/github"
	"github.com/riverqueue/river"
)

var errNow = time.Date(2024, 3, 14, 12, 0, 0, 0, time.UTC)

// ghResponse is a GitHub response as go-github hands it back inside errors
// (with its request, which their Error methods print).
func ghResponse(status int, header ...string) *http.Response {
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return &http.Response{
		StatusCode: status,
		Header:     h,
		Request:    &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "https", Host: "api.github.com", Path: "/repos/acme/api"}},
	}
}

func errorResponse(status int, header ...string) *github.ErrorResponse {
	return &github.ErrorResponse{Response: ghResponse(status, header...), Message: http.StatusText(status)}
}

func durationPtr(d time.Duration) *time.Duration { return &d }

func TestRetryableSnoozes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want time.Duration
	}{
		{
			name: "rate limit resets in 10 minutes",
			err: &github.RateLimitError{Rate: github.Rate{Limit: 5000, Reset: github.Timestamp{Time: errNow.Add(10 * time.Minute)}},
				Response: ghResponse(http.StatusForbidden), Message: "API rate limit exceeded"},
			want: 10*time.Minute + time.Second,
		},
		{
			name: "wrapped rate limit",
			err: fmt.Errorf("listing files: %w", &github.RateLimitError{
				Rate:     github.Rate{Reset: github.Timestamp{Time: errNow.Add(90 * time.Second)}},
				Response: ghResponse(http.StatusForbidden)}),
			want: 91 * time.Second,
		},
		{
			name: "rate limit reset already passed",
			err: &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: errNow.Add(-time.Hour)}},
				Response: ghResponse(http.StatusForbidden)},
			want: time.Second,
		},
		{
			name: "rate limit reset far away",
			err: &github.RateLimitError{Rate: github.Rate{Reset: github.Timestamp{Time: errNow.Add(3 * time.Hour)}},
				Response: ghResponse(http.StatusForbidden)},
			want: time.Hour,
		},
		{
			name: "secondary rate limit with Retry-After",
			err:  &github.AbuseRateLimitError{Response: ghResponse(http.StatusForbidden), RetryAfter: durationPtr(30 * time.Second)},
			want: 31 * time.Second, // a second of margin, as for every reset time
		},
		{
			name: "secondary rate limit without Retry-After",
			err:  &github.AbuseRateLimitError{Response: ghResponse(http.StatusForbidden)},
			want: time.Minute,
		},
		{
			name: "429 with Retry-After",
			err:  errorResponse(http.StatusTooManyRequests, "Retry-After", "120"),
			want: 121 * time.Second,
		},
		{
			name: "429 with X-RateLimit-Reset only",
			err: errorResponse(http.StatusTooManyRequests,
				"X-RateLimit-Reset", strconv.FormatInt(errNow.Add(5*time.Minute).Unix(), 10)),
			want: 5*time.Minute + time.Second,
		},
		{
			name: "429 with an HTTP-date Retry-After and no reset",
			err:  errorResponse(http.StatusTooManyRequests, "Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"),
			want: time.Minute,
		},
		{
			name: "429 with a huge Retry-After",
			err:  errorResponse(http.StatusTooManyRequests, "Retry-After", "86400"),
			want: time.Hour,
		},
		{
			name: "403 with Retry-After",
			err:  errorResponse(http.StatusForbidden, "Retry-After", "60"),
			want: 61 * time.Second,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := retryable(tt.err, errNow)
			var snooze *river.JobSnoozeError
			if !errors.As(got, &snooze) {
				t.Fatalf("retryable(%v) = %v, want a snooze", tt.err, got)
			}
			if snooze.Duration != tt.want {
				t.Errorf("snooze for %v, want %v", snooze.Duration, tt.want)
			}
		})
	}
}

// go-github computes AbuseRateLimitError.RetryAfter as time.Until(reset)
// when GitHub sends X-RateLimit-Reset instead of Retry-After, so a reset
// already past (clock skew, a late retry) yields a negative duration, on
// which river.JobSnooze panics. It should snooze briefly instead.
func TestRetryableNegativeRetryAfter(t *testing.T) {
	t.Parallel()
	err := &github.AbuseRateLimitError{Response: ghResponse(http.StatusForbidden), RetryAfter: durationPtr(-5 * time.Second)}
	var got error
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Errorf("retryable panicked: %v", p)
			}
		}()
		got = retryable(err, errNow)
	}()
	var snooze *river.JobSnoozeError
	if !errors.As(got, &snooze) || snooze.Duration != time.Second {
		t.Errorf("retryable(RetryAfter -5s) = %v, want a snooze of 1s", got)
	}
}

func TestRetryableCancels(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusNotFound, http.StatusGone, http.StatusUnprocessableEntity,
		http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			t.Parallel()
			orig := fmt.Errorf("getting pull request: %w", errorResponse(status))
			got := retryable(orig, errNow)
			var cancel *river.JobCancelError
			if !errors.As(got, &cancel) {
				t.Fatalf("retryable(%d) = %v, want a cancel", status, got)
			}
			// The cause stays visible in River's error log.
			if !errors.Is(got, orig) {
				t.Errorf("cancel does not wrap the original error")
			}
			if errors.As(got, new(*river.JobSnoozeError)) {
				t.Errorf("a cancel must not also snooze")
			}
		})
	}
}

func TestRetryableReturnsOthersAsIs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
	}{
		{"502", errorResponse(http.StatusBadGateway)},
		{"500", errorResponse(http.StatusInternalServerError)},
		{"error response without response", &github.ErrorResponse{Message: "odd"}},
		{"plain error", errors.New("connection reset by peer")},
		{"nil", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Identity, not just errors.Is: River's own backoff applies.
			if got := retryable(tt.err, errNow); got != tt.err {
				t.Errorf("retryable(%v) = %v, want the error unchanged", tt.err, got)
			}
		})
	}
}

func TestWaitUntil(t *testing.T) {
	t.Parallel()
	tests := []struct {
		until time.Time
		want  time.Duration
	}{
		{time.Time{}, time.Second},
		{errNow.Add(-time.Minute), time.Second},
		{errNow, time.Second},
		{errNow.Add(500 * time.Millisecond), 1500 * time.Millisecond},
		{errNow.Add(10 * time.Minute), 10*time.Minute + time.Second},
		{errNow.Add(time.Hour - time.Second), time.Hour},
		{errNow.Add(time.Hour), time.Hour},
		{errNow.Add(48 * time.Hour), time.Hour},
	}
	for _, tt := range tests {
		if got := waitUntil(tt.until, errNow); got != tt.want {
			t.Errorf("waitUntil(now%+v) = %v, want %v", tt.until.Sub(errNow), got, tt.want)
		}
	}
}
