package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// sample is one line of the Prometheus text exposition format.
type sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// scrape is every sample of one /metrics response.
type scrape []sample

// parseMetrics reads the Prometheus text format (version 0.0.4), the one
// promhttp serves without content negotiation. Comments are skipped; a
// timestamp after the value is ignored.
func parseMetrics(r io.Reader) (scrape, error) {
	var out scrape
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		s, err := parseSample(line)
		if err != nil {
			return nil, fmt.Errorf("metrics line %d: %w", n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading metrics: %w", err)
	}
	return out, nil
}

func parseSample(line string) (sample, error) {
	s := sample{Labels: map[string]string{}}
	end := strings.IndexAny(line, "{ ")
	if end <= 0 {
		return s, fmt.Errorf("no value in %q", line)
	}
	s.Name, line = line[:end], line[end:]
	if line[0] == '{' {
		var err error
		if line, err = parseLabels(line[1:], s.Labels); err != nil {
			return s, err
		}
	}
	fields := strings.Fields(line)
	if len(fields) == 0 {
		return s, fmt.Errorf("%s: no value", s.Name)
	}
	v, err := strconv.ParseFloat(fields[0], 64) // accepts +Inf, -Inf and NaN
	if err != nil {
		return s, fmt.Errorf("%s: value: %w", s.Name, err)
	}
	s.Value = v
	return s, nil
}

// parseLabels reads `a="x",b="y"}` into into and returns what follows the brace.
func parseLabels(rest string, into map[string]string) (string, error) {
	for {
		rest = strings.TrimLeft(rest, " ,")
		if rest == "" {
			return "", fmt.Errorf("unterminated label set")
		}
		if rest[0] == '}' {
			return rest[1:], nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 || len(rest) < eq+2 || rest[eq+1] != '"' {
			return "", fmt.Errorf("malformed label in %q", rest)
		}
		name := strings.TrimSpace(rest[:eq])
		var val strings.Builder
		i := eq + 2
		for ; i < len(rest) && rest[i] != '"'; i++ {
			c := rest[i]
			if c == '\\' && i+1 < len(rest) {
				i++
				switch rest[i] {
				case 'n':
					c = '\n'
				default: // \\ and \"
					c = rest[i]
				}
			}
			val.WriteByte(c)
		}
		if i >= len(rest) {
			return "", fmt.Errorf("unterminated value of label %s", name)
		}
		into[name] = val.String()
		rest = rest[i+1:]
	}
}

// matcher selects samples by their labels; nil selects all.
type matcher func(labels map[string]string) bool

// sum adds up the values of every sample called name that match selects.
func (s scrape) sum(name string, match matcher) float64 {
	var total float64
	for _, x := range s {
		if x.Name == name && (match == nil || match(x.Labels)) {
			total += x.Value
		}
	}
	return total
}

// value is the value of the first sample called name, and whether there was one.
func (s scrape) value(name string) (float64, bool) {
	for _, x := range s {
		if x.Name == name {
			return x.Value, true
		}
	}
	return 0, false
}

// bucket is one cumulative histogram bucket: Count observations <= UpperBound.
type bucket struct {
	UpperBound float64
	Count      float64
}

// buckets merges the _bucket series of histogram name across every label set
// match selects (say, all job kinds), sorted by upper bound.
func (s scrape) buckets(name string, match matcher) ([]bucket, error) {
	byLE := map[float64]float64{}
	for _, x := range s {
		if x.Name != name+"_bucket" || (match != nil && !match(x.Labels)) {
			continue
		}
		le, err := strconv.ParseFloat(x.Labels["le"], 64)
		if err != nil {
			return nil, fmt.Errorf("%s_bucket: le %q: %w", name, x.Labels["le"], err)
		}
		byLE[le] += x.Value
	}
	out := make([]bucket, 0, len(byLE))
	for le, c := range byLE {
		out = append(out, bucket{UpperBound: le, Count: c})
	}
	slices.SortFunc(out, func(a, b bucket) int {
		return cmp.Compare(a.UpperBound, b.UpperBound)
	})
	return out, nil
}

// subtractBuckets is after minus before, bucket by bucket: the observations
// made between two scrapes. A bucket missing before counts as zero.
func subtractBuckets(after, before []bucket) []bucket {
	prev := map[float64]float64{}
	for _, b := range before {
		prev[b.UpperBound] = b.Count
	}
	out := make([]bucket, len(after))
	for i, b := range after {
		out[i] = bucket{UpperBound: b.UpperBound, Count: b.Count - prev[b.UpperBound]}
	}
	return out
}

// histogramQuantile estimates quantile q (0..1) from cumulative buckets
// sorted by bound, the way PromQL's histogram_quantile does: find the bucket
// holding the q-th observation and interpolate linearly inside it. An answer
// in the +Inf bucket is reported as the highest finite bound, so it is a
// lower bound on the truth. NaN when there are no observations.
func histogramQuantile(q float64, bs []bucket) float64 {
	if len(bs) == 0 || !math.IsInf(bs[len(bs)-1].UpperBound, 1) {
		return math.NaN()
	}
	total := bs[len(bs)-1].Count
	if total <= 0 {
		return math.NaN()
	}
	rank := q * total
	i, _ := slices.BinarySearchFunc(bs, rank, func(b bucket, r float64) int { return cmp.Compare(b.Count, r) })
	if i >= len(bs)-1 {
		if len(bs) < 2 {
			return math.NaN()
		}
		return bs[len(bs)-2].UpperBound
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = bs[i-1].UpperBound, bs[i-1].Count
	}
	inBucket := bs[i].Count - below
	if inBucket <= 0 {
		return bs[i].UpperBound
	}
	return lower + (bs[i].UpperBound-lower)*(rank-below)/inBucket
}

// serverDelta is what the server did between two scrapes.
type serverDelta struct {
	Deliveries         map[string]float64 // by outcome: queued, duplicate, bad_signature, ...
	JobsOK, JobsFailed float64            // delivery jobs finished
	JobP50, JobP99     float64            // seconds, from the histogram; NaN without jobs
	QueueDepth         float64            // after
	GitHubCalls        float64
	CPUSeconds         float64 // the server process's user+system CPU
	// Goroutines and HeapBytes are the Go runtime's gauges before and
	// after (summed over servers): one that keeps growing after a drained
	// queue points at a leak, where RSS alone cannot tell.
	GoroutinesBefore, GoroutinesAfter float64
	HeapBefore, HeapAfter             float64 // bytes of allocated heap objects
}

const (
	metricDeliveries = "reviewpolicy_webhook_deliveries_total"
	metricJobs       = "reviewpolicy_job_duration_seconds"
	metricQueue      = "reviewpolicy_queue_depth"
	metricGitHub     = "reviewpolicy_github_requests_total"
	metricCPU        = "process_cpu_seconds_total"
	metricGoroutines = "go_goroutines"
	metricHeap       = "go_memstats_heap_alloc_bytes"
)

// deliveryJobs selects the jobs that process a webhook, leaving out the
// SLA timers and the periodic reconcile.
func deliveryJobs(l map[string]string) bool { return strings.HasPrefix(l["kind"], "delivery:") }

// diffScrapes compares the server's metrics before and after a run.
func diffScrapes(before, after scrape) (serverDelta, error) {
	d := serverDelta{Deliveries: map[string]float64{}}
	for _, x := range after {
		if x.Name == metricDeliveries {
			d.Deliveries[x.Labels["outcome"]] += x.Value
		}
	}
	for _, x := range before {
		if x.Name == metricDeliveries {
			d.Deliveries[x.Labels["outcome"]] -= x.Value
		}
	}
	for outcome, n := range d.Deliveries {
		if n == 0 {
			delete(d.Deliveries, outcome)
		}
	}
	ok := func(l map[string]string) bool { return deliveryJobs(l) && l["outcome"] == "ok" }
	failed := func(l map[string]string) bool { return deliveryJobs(l) && l["outcome"] != "ok" }
	d.JobsOK = after.sum(metricJobs+"_count", ok) - before.sum(metricJobs+"_count", ok)
	d.JobsFailed = after.sum(metricJobs+"_count", failed) - before.sum(metricJobs+"_count", failed)
	b, err := before.buckets(metricJobs, deliveryJobs)
	if err != nil {
		return d, err
	}
	a, err := after.buckets(metricJobs, deliveryJobs)
	if err != nil {
		return d, err
	}
	delta := subtractBuckets(a, b)
	d.JobP50, d.JobP99 = histogramQuantile(0.5, delta), histogramQuantile(0.99, delta)
	d.QueueDepth, _ = after.value(metricQueue)
	d.GitHubCalls = after.sum(metricGitHub, nil) - before.sum(metricGitHub, nil)
	d.CPUSeconds = after.sum(metricCPU, nil) - before.sum(metricCPU, nil)
	d.GoroutinesBefore, d.GoroutinesAfter = before.sum(metricGoroutines, nil), after.sum(metricGoroutines, nil)
	d.HeapBefore, d.HeapAfter = before.sum(metricHeap, nil), after.sum(metricHeap, nil)
	return d, nil
}
