package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// rssSample is the servers' resident memory at one moment of a run, for a
// soak: peak RSS alone cannot tell memory that levels off from memory that
// keeps growing.
type rssSample struct {
	At   time.Duration // since sampling began
	KB   []int64       // VmRSS of each server, in start order
	Busy float64       // share of all CPUs busy since the previous sample; 0 if unknown
	// CacheKB is what each server's bounded caches held (its
	// reviewpolicy_*cache_bytes gauges), nil if unknown: memory that grows
	// with them is a cache filling towards its bound, not a leak.
	CacheKB []int64
}

// sampleRSS reads the servers' RSS (read), the machine's CPU times (cpu)
// and, when caches is not nil, what the servers' caches hold, once at
// start and then at every tick until ticks closes or ctx ends, printing
// each sample to out as it is taken so a long run shows progress. A failed
// read ends sampling: a server that has gone has no memory left to watch.
func sampleRSS(ctx context.Context, ticks <-chan time.Time, start time.Time,
	read func() ([]int64, error), cpu func() (cpuTimes, error), caches func() []int64, out io.Writer) ([]rssSample, error) {
	var samples []rssSample
	prev, cpuErr := cpu()
	take := func(now time.Time) error {
		kb, err := read()
		if err != nil {
			return fmt.Errorf("sampling RSS: %w", err)
		}
		s := rssSample{At: now.Sub(start), KB: kb}
		if cur, err := cpu(); err == nil && cpuErr == nil {
			s.Busy = busyShare(prev, cur)
			prev = cur
		} else {
			cpuErr = err
		}
		cached := ""
		if caches != nil {
			if s.CacheKB = caches(); s.CacheKB != nil {
				cached = "  (caches " + mibList(s.CacheKB) + ")"
			}
		}
		samples = append(samples, s)
		fmt.Fprintf(out, "rss t=%4.0fs  %s%s  machine %3.0f%%\n", s.At.Seconds(), mibList(kb), cached, s.Busy*100)
		return nil
	}
	if err := take(start); err != nil {
		return samples, err
	}
	for {
		select {
		case now, ok := <-ticks:
			if !ok {
				return samples, nil
			}
			if err := take(now); err != nil {
				return samples, err
			}
		case <-ctx.Done():
			return samples, nil
		}
	}
}

// mibList formats one RSS per server in MiB.
func mibList(kb []int64) string {
	parts := make([]string, len(kb))
	for i, v := range kb {
		parts[i] = fmt.Sprintf("%.1f", float64(v)/1024)
	}
	return strings.Join(parts, " / ") + " MiB"
}

// rssSummary condenses one server's series: where it started, stood in the
// middle and ended, its highest sample, and the range over the second half,
// which is what "flat" is judged on once start-up and warm-up are over.
type rssSummary struct {
	Start, Middle, End, Peak int64 // kB
	HalfMin, HalfMax         int64 // kB, over the second half of the samples
}

// summariseRSS summarises server i's RSS across samples; ok is false
// without samples.
func summariseRSS(samples []rssSample, i int) (rssSummary, bool) {
	if len(samples) == 0 {
		return rssSummary{}, false
	}
	kb := func(j int) int64 { return samples[j].KB[i] }
	n := len(samples)
	s := rssSummary{Start: kb(0), Middle: kb(n / 2), End: kb(n - 1), Peak: kb(0), HalfMin: kb(n / 2), HalfMax: kb(n / 2)}
	for j := range n {
		s.Peak = max(s.Peak, kb(j))
		if j >= n/2 {
			s.HalfMin, s.HalfMax = min(s.HalfMin, kb(j)), max(s.HalfMax, kb(j))
		}
	}
	return s, true
}

func (s rssSummary) String() string {
	mib := func(kb int64) float64 { return float64(kb) / 1024 }
	return fmt.Sprintf("start %.1f, middle %.1f, end %.1f, peak %.1f MiB; second half %.1f–%.1f MiB (end %+.1f%% vs middle)",
		mib(s.Start), mib(s.Middle), mib(s.End), mib(s.Peak), mib(s.HalfMin), mib(s.HalfMax),
		100*float64(s.End-s.Middle)/float64(max(s.Middle, 1)))
}

// rssFlatness judges one server's RSS after warm-up, for a soak: the
// samples from warmup on are split in thirds, and the highest sample of the
// last third must stay within tolerance (a share, 0.1 = 10%) of the highest
// of the first. A leak grows to the end; a cache that fills during warm-up
// and then holds does not.
//
// Highest against highest, because RSS swings as well as grows: a SQLite
// store frees its page caches' spare pages every minute (store/
// pagecache.go) and they fill again within it, so samples every 30 seconds
// alternate between trough and crest. With a single sample as the base, a
// soak judged the swing whenever its base fell in a trough (BENCHMARKS.md,
// issue 18's fifteenth session).
type rssFlatness struct {
	BaseAt            time.Duration
	Base, LastMax     int64 // kB
	Growth, Tolerance float64
	Flat              bool
	// CacheBase and CacheAtMax are what the caches held at the base and at
	// the last third's highest sample, kB; known says whether both were read.
	CacheBase, CacheAtMax int64
	CacheKnown            bool
}

// judgeRSS returns server i's flatness; ok is false when fewer than three
// samples follow the warm-up (too few to speak of thirds).
func judgeRSS(samples []rssSample, i int, warmup time.Duration, tolerance float64) (rssFlatness, bool) {
	first := len(samples)
	for j, s := range samples {
		if s.At >= warmup {
			first = j
			break
		}
	}
	after := samples[first:]
	if len(after) < 3 {
		return rssFlatness{}, false
	}
	third := len(after) / 3
	base, atMax := highest(after[:third], i), highest(after[len(after)-third:], i)
	f := rssFlatness{BaseAt: base.At, Base: base.KB[i], LastMax: atMax.KB[i], Tolerance: tolerance}
	if base.CacheKB != nil && atMax.CacheKB != nil {
		f.CacheBase, f.CacheAtMax, f.CacheKnown = base.CacheKB[i], atMax.CacheKB[i], true
	}
	f.Growth = float64(f.LastMax-f.Base) / float64(max(f.Base, 1))
	f.Flat = f.Growth <= tolerance
	return f, true
}

// highest is the first of samples with the most RSS for server i.
func highest(samples []rssSample, i int) rssSample {
	top := samples[0]
	for _, s := range samples[1:] {
		if s.KB[i] > top.KB[i] {
			top = s
		}
	}
	return top
}

func (f rssFlatness) String() string {
	verdict := "FLAT"
	if !f.Flat {
		verdict = "GROWING"
	}
	line := fmt.Sprintf("%s after warm-up: first third's max %.1f MiB at t=%.0fs, last third's max %.1f MiB (%+.1f%%; flat means at most %+.0f%%)",
		verdict, float64(f.Base)/1024, f.BaseAt.Seconds(), float64(f.LastMax)/1024, f.Growth*100, f.Tolerance*100)
	if f.CacheKnown {
		line += fmt.Sprintf("; the bounded caches held %.1f then %.1f MiB", float64(f.CacheBase)/1024, float64(f.CacheAtMax)/1024)
	}
	return line
}
