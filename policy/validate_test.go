package policy

import (
	"strings"
	"testing"
	"time"
)

func TestCheckPrincipal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		kinds principalKinds
		want  string // "" means rejected
	}{
		{"alice", usersOnly, "alice"},
		{"@alice", usersOnly, "alice"},
		{"a-b-c", usersOnly, "a-b-c"},
		{"A1", usersOnly, "A1"},
		{strings.Repeat("a", 39), usersOnly, strings.Repeat("a", 39)},
		{strings.Repeat("a", 40), usersOnly, ""},
		{"a--b", usersOnly, ""},
		{"-ab", usersOnly, ""},
		{"ab-", usersOnly, ""},
		{"a_b", usersOnly, ""},
		{"", usersOnly, ""},
		{"@", usersOnly, ""},
		{"@@alice", usersOnly, ""},
		{"dependabot[bot]", usersAndBots, "dependabot[bot]"},
		{"@renovate[bot]", usersAndBots, "renovate[bot]"},
		{"dependabot[bot]", usersAndTeams, ""},
		{"[bot]", usersAndBots, ""},
		{"@acme/tech-leads", usersAndTeams, "@acme/tech-leads"},
		{"@acme/team_1", usersAndTeams, "@acme/team_1"},
		{"@acme/tech-leads", usersAndBots, ""},
		{"acme/tech-leads", usersAndTeams, ""},
		{"@acme/", usersAndTeams, ""},
		{"@/team", usersAndTeams, ""},
		{"@acme/a/b", usersAndTeams, ""},
		{"@acme/-team", usersAndTeams, ""},
	}
	for _, tt := range tests {
		got, err := checkPrincipal(tt.in, tt.kinds)
		if tt.want == "" && err == nil {
			t.Errorf("checkPrincipal(%q, %+v) = %q, want an error", tt.in, tt.kinds, got)
		}
		if tt.want != "" && (err != nil || got != tt.want) {
			t.Errorf("checkPrincipal(%q, %+v) = %q, %v; want %q", tt.in, tt.kinds, got, err, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"24h", 24 * time.Hour, ""},
		{"90m", 90 * time.Minute, ""},
		{"30s", 30 * time.Second, ""},
		{"1h30m", 90 * time.Minute, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"2d", 48 * time.Hour, ""},
		{"1d12h", 36 * time.Hour, ""},
		{"366d", maxDuration, ""},
		{"367d", 0, "longer than a year"},
		{"9000h", 0, "longer than a year"},
		{"99999999999999999999d", 0, "invalid duration"},
		{"0h", 0, "must be positive"},
		{"0d", 0, "must be positive"},
		{"-1h", 0, "must be positive"},
		{"-1d", 0, "invalid duration"},
		{"+1h", 0, "invalid duration"},
		{"1d+1h", 0, "invalid duration"},
		{"d", 0, "invalid duration"},
		{"1dd", 0, "invalid duration"},
		{"24", 0, "invalid duration"},
		{"", 0, "invalid duration"},
		{"soon", 0, "invalid duration"},
	}
	for _, tt := range tests {
		got, err := parseDuration(tt.in)
		if tt.wantErr == "" && (err != nil || got != tt.want) {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("parseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
		}
	}
}

func TestParseClock(t *testing.T) {
	t.Parallel()
	good := map[string]time.Duration{
		"00:00": 0, "09:00": 9 * time.Hour, "17:30": 17*time.Hour + 30*time.Minute,
		"23:59": 23*time.Hour + 59*time.Minute, "24:00": 24 * time.Hour,
	}
	for in, want := range good {
		if got, err := parseClock(in); err != nil || got != want {
			t.Errorf("parseClock(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"9:00", "09:60", "24:01", "25:00", "09-00", "0900", "+9:00", "09:+1", "-1:00", " 9:00", ""} {
		if got, err := parseClock(in); err == nil {
			t.Errorf("parseClock(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	if got, err := parseDate("2028-02-29"); err != nil || got != (Date{2028, time.February, 29}) {
		t.Errorf("parseDate(leap day) = %v, %v", got, err)
	}
	for _, in := range []string{"2026-02-29", "2026-13-01", "2026-1-05", "26-01-05", "2026-01-05T00:00:00Z"} {
		if got, err := parseDate(in); err == nil {
			t.Errorf("parseDate(%q) = %v, want an error", in, got)
		}
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	keys := []string{"first_review", "working_hours", "holidays", "remind_before", "escalate_to"}
	tests := map[string]string{
		"first_reveiw":  "first_review",
		"FIRST_REVIEW":  "first_review",
		"holiday":       "holidays",
		"escalate":      "escalate_to",
		"workinghours":  "working_hours",
		"remind_after":  "remind_before",
		"x":             "",
		"timezone":      "",
		"completelyoff": "",
	}
	for in, want := range tests {
		got, ok := suggest(in, keys)
		if ok != (want != "") || got != want {
			t.Errorf("suggest(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if d := editDistance("kitten", "sitting"); d != 3 {
		t.Errorf("editDistance(kitten, sitting) = %d, want 3", d)
	}
}

func TestLoadLocation(t *testing.T) {
	t.Parallel()
	loc, err := loadLocation("Asia/Kolkata")
	if err != nil || loc.String() != "Asia/Kolkata" {
		t.Fatalf("loadLocation = %v, %v", loc, err)
	}
	again, _ := loadLocation("Asia/Kolkata")
	if again != loc {
		t.Error("a second load should come from the cache")
	}
	for _, name := range []string{"Local", "", "Mars/Olympus", "../etc/passwd", "/etc/localtime"} {
		if _, err := loadLocation(name); err == nil {
			t.Errorf("loadLocation(%q) succeeded, want an error", name)
		}
	}
}
