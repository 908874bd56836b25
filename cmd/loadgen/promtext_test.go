package main

import (
	"math"
	"strings"
	"testing"
)

const exposition = `# HELP reviewpolicy_job_duration_seconds Time to run one job, by kind and outcome.
# TYPE reviewpolicy_job_duration_seconds histogram
reviewpolicy_job_duration_seconds_bucket{kind="delivery:ping",outcome="ok",le="0.005"} 4
reviewpolicy_job_duration_seconds_bucket{kind="delivery:ping",outcome="ok",le="0.01"} 4
reviewpolicy_job_duration_seconds_bucket{kind="delivery:ping",outcome="ok",le="+Inf"} 4
reviewpolicy_job_duration_seconds_sum{kind="delivery:ping",outcome="ok"} 0.004
reviewpolicy_job_duration_seconds_count{kind="delivery:ping",outcome="ok"} 4
reviewpolicy_job_duration_seconds_bucket{kind="delivery:pull_request",outcome="ok",le="0.005"} 0
reviewpolicy_job_duration_seconds_bucket{kind="delivery:pull_request",outcome="ok",le="0.01"} 6
reviewpolicy_job_duration_seconds_bucket{kind="delivery:pull_request",outcome="ok",le="+Inf"} 6
reviewpolicy_job_duration_seconds_sum{kind="delivery:pull_request",outcome="ok"} 0.05
reviewpolicy_job_duration_seconds_count{kind="delivery:pull_request",outcome="ok"} 6
reviewpolicy_github_requests_total{method="GET",status="200"} 12
reviewpolicy_github_requests_total{method="POST",status="201"} 3
reviewpolicy_queue_depth 17
odd_labels{path="a\"b\\c\nd",x="y"} 1.5e+02 1700000000000
`

func TestParseMetrics(t *testing.T) {
	t.Parallel()
	s, err := parseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != 14 {
		t.Fatalf("parsed %d samples, want 14", len(s))
	}
	if got := s.sum("reviewpolicy_github_requests_total", nil); got != 15 {
		t.Errorf("github requests = %v, want 15", got)
	}
	get := func(l map[string]string) bool { return l["method"] == "GET" }
	if got := s.sum("reviewpolicy_github_requests_total", get); got != 12 {
		t.Errorf("GET requests = %v, want 12", got)
	}
	if v, ok := s.value("reviewpolicy_queue_depth"); !ok || v != 17 {
		t.Errorf("queue depth = %v, %v; want 17, true", v, ok)
	}
	if _, ok := s.value("absent"); ok {
		t.Errorf("value of an absent metric reported present")
	}
	odd := s[len(s)-1]
	if odd.Labels["path"] != "a\"b\\c\nd" || odd.Labels["x"] != "y" || odd.Value != 150 {
		t.Errorf("escaped labels parsed as %q = %v", odd.Labels, odd.Value)
	}
}

func TestParseMetricsRejectsGarbage(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"novalue", `m{a="b"`, `m{a=b} 1`, "m notanumber", `m{a="unterminated} 1`} {
		if _, err := parseMetrics(strings.NewReader(in + "\n")); err == nil {
			t.Errorf("parseMetrics(%q) succeeded, want an error", in)
		}
	}
}

func TestBucketsMergeAcrossLabelSets(t *testing.T) {
	t.Parallel()
	s, err := parseMetrics(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	bs, err := s.buckets("reviewpolicy_job_duration_seconds", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []bucket{{0.005, 4}, {0.01, 10}, {math.Inf(1), 10}}
	if len(bs) != len(want) {
		t.Fatalf("buckets = %v, want %v", bs, want)
	}
	for i := range want {
		if bs[i] != want[i] {
			t.Fatalf("buckets = %v, want %v", bs, want)
		}
	}
	onlyPR := func(l map[string]string) bool { return l["kind"] == "delivery:pull_request" }
	pr, _ := s.buckets("reviewpolicy_job_duration_seconds", onlyPR)
	if pr[0].Count != 0 || pr[2].Count != 6 {
		t.Fatalf("pull_request buckets = %v", pr)
	}
}

func TestHistogramQuantile(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	// 100 observations: 50 <= 0.1s, 40 in (0.1, 0.2], 9 in (0.2, 0.4], 1 above.
	bs := []bucket{{0.1, 50}, {0.2, 90}, {0.4, 99}, {inf, 100}}
	cases := []struct {
		q, want float64
	}{
		{0.5, 0.1},            // exactly the first bucket's top
		{0.25, 0.05},          // halfway into the first bucket from 0
		{0.7, 0.15},           // halfway through the second bucket
		{0.99, 0.4},           // top of the third
		{0.995, 0.4},          // in +Inf: the highest finite bound
		{0.95, 0.2 + 0.2*5/9}, // interpolated in the third
	}
	for _, c := range cases {
		if got := histogramQuantile(c.q, bs); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("quantile %v = %v, want %v", c.q, got, c.want)
		}
	}
	if got := histogramQuantile(0.5, []bucket{{0.1, 0}, {inf, 0}}); !math.IsNaN(got) {
		t.Errorf("quantile of no observations = %v, want NaN", got)
	}
	if got := histogramQuantile(0.5, []bucket{{0.1, 3}}); !math.IsNaN(got) {
		t.Errorf("quantile without +Inf bucket = %v, want NaN", got)
	}
}

func TestSubtractBuckets(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	before := []bucket{{0.1, 5}, {inf, 6}}
	after := []bucket{{0.05, 2}, {0.1, 9}, {inf, 20}}
	got := subtractBuckets(after, before)
	want := []bucket{{0.05, 2}, {0.1, 4}, {inf, 14}}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("subtractBuckets = %v, want %v", got, want)
		}
	}
}

func TestDiffScrapes(t *testing.T) {
	t.Parallel()
	before, err := parseMetrics(strings.NewReader(`
reviewpolicy_webhook_deliveries_total{event="ping",outcome="queued"} 3
reviewpolicy_job_duration_seconds_bucket{kind="delivery:ping",outcome="ok",le="0.01"} 3
reviewpolicy_job_duration_seconds_bucket{kind="delivery:ping",outcome="ok",le="+Inf"} 3
reviewpolicy_job_duration_seconds_count{kind="delivery:ping",outcome="ok"} 3
reviewpolicy_github_requests_total{method="GET",status="200"} 10
reviewpolicy_queue_depth 5
process_cpu_seconds_total 1.25
go_goroutines 20
go_memstats_heap_alloc_bytes 1e+06
`))
	if err != nil {
		t.Fatal(err)
	}
	after, err := parseMetrics(strings.NewReader(`
reviewpolicy_webhook_deliveries_total{event="ping",outcome="queued"} 5
reviewpolicy_webhook_deliveries_total{event="pull_request",outcome="queued"} 8
reviewpolicy_webhook_deliveries_total{event="pull_request",outcome="duplicate"} 1
reviewpolicy_job_duration_seconds_bucket{kind="delivery:ping",outcome="ok",le="0.01"} 5
reviewpolicy_job_duration_seconds_bucket{kind="delivery:ping",outcome="ok",le="+Inf"} 5
reviewpolicy_job_duration_seconds_count{kind="delivery:ping",outcome="ok"} 5
reviewpolicy_job_duration_seconds_bucket{kind="delivery:pull_request",outcome="error",le="0.01"} 0
reviewpolicy_job_duration_seconds_bucket{kind="delivery:pull_request",outcome="error",le="+Inf"} 2
reviewpolicy_job_duration_seconds_count{kind="delivery:pull_request",outcome="error"} 2
reviewpolicy_job_duration_seconds_bucket{kind="sla",outcome="ok",le="0.01"} 0
reviewpolicy_job_duration_seconds_bucket{kind="sla",outcome="ok",le="+Inf"} 50
reviewpolicy_job_duration_seconds_count{kind="sla",outcome="ok"} 50
reviewpolicy_github_requests_total{method="GET",status="200"} 25
reviewpolicy_github_requests_total{method="POST",status="201"} 5
reviewpolicy_queue_depth 0
process_cpu_seconds_total 4
go_goroutines 120
go_memstats_heap_alloc_bytes 5e+06
`))
	if err != nil {
		t.Fatal(err)
	}
	d, err := diffScrapes(before, after)
	if err != nil {
		t.Fatal(err)
	}
	if d.Deliveries["queued"] != 10 || d.Deliveries["duplicate"] != 1 || len(d.Deliveries) != 2 {
		t.Errorf("deliveries = %v, want queued 10, duplicate 1", d.Deliveries)
	}
	// The SLA jobs are not delivery jobs and must not count.
	if d.JobsOK != 2 || d.JobsFailed != 2 {
		t.Errorf("jobs ok %v failed %v, want 2 and 2", d.JobsOK, d.JobsFailed)
	}
	// Of the 4 new delivery jobs, 2 took <= 10ms and 2 longer: the median
	// is the 10ms bound, the p99 past it (reported as the last finite bound).
	if d.JobP50 != 0.01 || d.JobP99 != 0.01 {
		t.Errorf("job p50 %v p99 %v, want 0.01 and 0.01", d.JobP50, d.JobP99)
	}
	if d.QueueDepth != 0 || d.GitHubCalls != 20 || d.CPUSeconds != 2.75 {
		t.Errorf("queue %v, github calls %v, cpu %v; want 0, 20 and 2.75", d.QueueDepth, d.GitHubCalls, d.CPUSeconds)
	}
	if d.GoroutinesBefore != 20 || d.GoroutinesAfter != 120 || d.HeapBefore != 1e6 || d.HeapAfter != 5e6 {
		t.Errorf("goroutines %v → %v, heap %v → %v; want 20 → 120 and 1e6 → 5e6", d.GoroutinesBefore, d.GoroutinesAfter, d.HeapBefore, d.HeapAfter)
	}
}
