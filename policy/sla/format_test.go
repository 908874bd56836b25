package sla

import (
	"math"
	"testing"
	"time"
)

func TestFormatDuration(t *testing.T) {
	t.Parallel()
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0m"},
		{time.Second, "<1m"},
		{45 * time.Minute, "45m"},
		{45*time.Minute + 59*time.Second, "45m"},
		{time.Hour, "1h"},
		{2 * time.Hour, "2h"},
		{3*time.Hour + 12*time.Minute, "3h12m"},
		{23*time.Hour + 59*time.Minute, "23h59m"},
		{24 * time.Hour, "1d"},
		{51 * time.Hour, "2d3h"},
		{51*time.Hour + 59*time.Minute, "2d3h"},
		{-2 * time.Hour, "-2h"},
		{-30 * time.Second, "-<1m"},
		{math.MaxInt64, "106751d23h"},
		{math.MinInt64, "-106751d23h"},
	}
	for _, c := range cases {
		if got := FormatDuration(c.d); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
