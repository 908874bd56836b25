package sla

import (
	"strconv"
	"strings"
	"time"
)

// FormatDuration prints a duration for people, with at most two units and
// whole minutes, truncating the rest: "3h12m", "2h", "45m", "2d3h" (a day is
// 24h, also for working time). Zero is "0m", a positive duration under a
// minute "<1m", and a negative one gets a leading "-".
func FormatDuration(d time.Duration) string {
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		if d == time.Duration(-1<<63) {
			d++ // -d would overflow; a nanosecond does not show
		}
		d = -d
	}
	if d > 0 && d < time.Minute {
		b.WriteString("<1m")
		return b.String()
	}
	days := int64(d / (24 * time.Hour))
	hours := int64(d % (24 * time.Hour) / time.Hour)
	mins := int64(d % time.Hour / time.Minute)
	unit := func(n int64, u string) {
		b.WriteString(strconv.FormatInt(n, 10))
		b.WriteString(u)
	}
	switch {
	case days > 0:
		unit(days, "d")
		if hours > 0 {
			unit(hours, "h")
		}
	case hours > 0:
		unit(hours, "h")
		if mins > 0 {
			unit(mins, "m")
		}
	default:
		unit(mins, "m")
	}
	return b.String()
}
