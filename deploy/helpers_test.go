package deploy

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// testKey is one RSA key for every test: generating it is the slow part.
var testKey = sync.OnceValues(func() (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", err
	}
	block := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}
	return string(pem.EncodeToMemory(block)), nil
})

// secretEnv is a getenv supplying what the Deployment supplies from its
// Secret, plus the App ID, overridden or extended by extra.
func secretEnv(t *testing.T, extra map[string]string) func(string) string {
	t.Helper()
	key, err := testKey()
	if err != nil {
		t.Fatalf("generating RSA key: %v", err)
	}
	env := map[string]string{
		"GITHUB_APP_INTEGRATION_ID": "12345",
		"GITHUB_APP_WEBHOOK_SECRET": "s3cret",
		"GITHUB_APP_PRIVATE_KEY":    key,
	}
	for k, v := range extra {
		env[k] = v
	}
	return func(name string) string { return env[name] }
}

// readFile returns a file's text, failing the test if it cannot be read.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// yamlDocs decodes every document of a (possibly multi-document) YAML file.
func yamlDocs(t *testing.T, path string) []*yaml.Node {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader([]byte(readFile(t, path))))
	var docs []*yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, &doc)
	}
}

// metric is one series family the server exports.
type metric struct {
	labels    []string
	histogram bool
}

var (
	metricNameRe  = regexp.MustCompile(`Name:\s*"(reviewpolicy_\w+)"`)
	metricLabelRe = regexp.MustCompile(`\[\]string\{([^}]*)\}`)
)

// serverMetrics reads the metric names and labels from handlers/metrics.go,
// the one place they are defined, so monitoring files cannot drift from it.
func serverMetrics(t *testing.T) map[string]metric {
	t.Helper()
	src := readFile(t, "../handlers/metrics.go") + readFile(t, "../notify/metrics.go")
	metrics := map[string]metric{}
	// Each constructor call (prometheus.NewCounterVec(...), ...) holds one
	// name and, for vectors, its label list.
	for _, call := range strings.Split(src, "prometheus.New")[1:] {
		name := metricNameRe.FindStringSubmatch(call)
		if name == nil {
			continue
		}
		m := metric{histogram: strings.HasPrefix(call, "Histogram")}
		if l := metricLabelRe.FindStringSubmatch(call); l != nil {
			for _, label := range strings.Split(l[1], ",") {
				m.labels = append(m.labels, strings.Trim(label, "\" \t\n"))
			}
		}
		metrics[name[1]] = m
	}
	if len(metrics) < 5 {
		t.Fatalf("found only %d metrics in handlers/metrics.go; has its shape changed?", len(metrics))
	}
	return metrics
}

var (
	seriesRe   = regexp.MustCompile(`\b(reviewpolicy_\w+)(\{[^}]*\})?`)
	matcherRe  = regexp.MustCompile(`(\w+)\s*(?:=~|!~|!=|=)`)
	groupingRe = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
)

// checkExpr reports a PromQL expression that names no metric, a metric the
// server does not export, or a label that metric does not have. It is a
// lint, not a parser: promtool checks syntax.
func checkExpr(expr string, metrics map[string]metric) (used []string, err error) {
	var errs []error
	labels := []string{}
	for _, m := range seriesRe.FindAllStringSubmatch(expr, -1) {
		name, own := m[1], []string(nil)
		if info, ok := metrics[name]; ok {
			own = info.labels
		} else if base, suffix, ok := cutHistogramSuffix(name); ok && metrics[base].histogram {
			name, own = base, metrics[base].labels
			if suffix == "_bucket" {
				own = append(slices.Clone(own), "le")
			}
		} else {
			errs = append(errs, fmt.Errorf("unknown metric %s", name))
			continue
		}
		used = append(used, name)
		labels = append(labels, own...)
		for _, lm := range matcherRe.FindAllStringSubmatch(m[2], -1) {
			if !slices.Contains(own, lm[1]) {
				errs = append(errs, fmt.Errorf("%s has no label %q", name, lm[1]))
			}
		}
	}
	if len(used) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("names no reviewpolicy metric"))
	}
	for _, g := range groupingRe.FindAllStringSubmatch(expr, -1) {
		for _, label := range strings.Split(g[1], ",") {
			if label = strings.TrimSpace(label); label != "" && !slices.Contains(labels, label) {
				errs = append(errs, fmt.Errorf("groups by %q, a label none of its metrics has", label))
			}
		}
	}
	return used, errors.Join(errs...)
}

func cutHistogramSuffix(name string) (base, suffix string, ok bool) {
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			return base, suffix, true
		}
	}
	return "", "", false
}

func TestCheckExpr(t *testing.T) {
	t.Parallel()
	metrics := map[string]metric{
		"reviewpolicy_a_total":   {labels: []string{"outcome"}},
		"reviewpolicy_h_seconds": {labels: []string{"kind"}, histogram: true},
	}
	for _, tt := range []struct {
		expr string
		ok   bool
	}{
		{`sum by (outcome) (rate(reviewpolicy_a_total{outcome="error"}[5m]))`, true},
		{`histogram_quantile(0.9, sum by (le, kind) (rate(reviewpolicy_h_seconds_bucket[5m])))`, true},
		{`rate(reviewpolicy_h_seconds_count{kind=~"x|y"}[5m])`, true},
		{`up == 0`, false},                                    // no reviewpolicy metric
		{`rate(reviewpolicy_b_total[5m])`, false},             // unknown metric
		{`rate(reviewpolicy_a_total_bucket[5m])`, false},      // not a histogram
		{`rate(reviewpolicy_a_total{status="x"}[5m])`, false}, // unknown label
		{`sum by (kind) (rate(reviewpolicy_a_total[5m]))`, false},
		{`sum by (le) (rate(reviewpolicy_h_seconds_count[5m]))`, false}, // le only on _bucket
	} {
		_, err := checkExpr(tt.expr, metrics)
		if (err == nil) != tt.ok {
			t.Errorf("checkExpr(%s) = %v, want ok=%v", tt.expr, err, tt.ok)
		}
	}
}
