package main

import (
	"slices"
	"time"
)

// latencies summarises a set of observed durations.
type latencies struct {
	N             int
	P50, P99, Max time.Duration
}

// summarise sorts ds in place and reads its percentiles.
func summarise(ds []time.Duration) latencies {
	slices.Sort(ds)
	if len(ds) == 0 {
		return latencies{}
	}
	return latencies{N: len(ds), P50: percentile(ds, 50), P99: percentile(ds, 99), Max: ds[len(ds)-1]}
}

// percentile is the nearest-rank percentile p (0 < p <= 100) of sorted: the
// smallest value that at least p% of the samples do not exceed. Nearest rank,
// not interpolation, so every reported figure is a latency that was observed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1 // ceil(p*n) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}
