package policy

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: go test -fuzz=FuzzParse ./policy
func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid", "invalid-semantic"} {
		paths, _ := filepath.Glob(filepath.Join("testdata", dir, "*.yml"))
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("version: 1\nsla: &a {escalate_to: [*a]}\n"))
	f.Add([]byte("version: 1\nreviewers: {<<: {count: 2}}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse("f.yml", data)
		if (p == nil) == (err == nil) {
			t.Fatalf("Parse returned policy %v and error %v; want exactly one", p, err)
		}
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error %v (%T) is not a non-empty ErrorList", err, err)
			}
			for i, e := range list {
				if e.Line < 0 || e.Column < 0 || e.Msg == "" {
					t.Fatalf("bad error %#v", e)
				}
				if i > 0 && (e.Line < list[i-1].Line || e.Line == list[i-1].Line && e.Column < list[i-1].Column) {
					t.Fatalf("errors not sorted:\n%v", err)
				}
			}
			return
		}
		if p.Version != Version {
			t.Fatalf("accepted version %d", p.Version)
		}
		if got := Describe(p, p); len(got) != 0 {
			t.Fatalf("Describe(p, p) = %q", got)
		}
		if p.Template != nil && p.Template.Ticket != nil && p.Template.Ticket.Regexp == nil {
			t.Fatal("ticket without compiled pattern")
		}
		if p.SLA != nil && p.SLA.WorkingHours != nil && p.SLA.WorkingHours.End <= p.SLA.WorkingHours.Start {
			t.Fatal("accepted an empty working window")
		}
	})
}

func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/valid/full.yml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("full.yml", data); err != nil {
			b.Fatal(err)
		}
	}
}
