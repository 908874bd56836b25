package policy

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The checks below take one value as written in the file and either return
// its typed form or an error message meant for a human. Positions are added
// by the decoder in parse.go.

// maxLoginLen is GitHub's limit on user and organisation names.
const maxLoginLen = 39

// validLogin applies GitHub's rules for user and organisation names:
// 1-39 alphanumerics or single hyphens, not starting or ending with a hyphen.
func validLogin(s string) bool {
	if len(s) == 0 || len(s) > maxLoginLen || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isAlnum(c):
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

// validTeamSlug accepts the slugs GitHub derives from team names: lower-case
// alphanumerics, hyphens and underscores. Upper case is tolerated because
// GitHub compares slugs case-insensitively.
func validTeamSlug(s string) bool {
	if len(s) == 0 || len(s) > 255 || !isAlnum(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// principal kinds a field accepts.
type principalKinds struct{ bots, teams bool }

var (
	usersAndTeams = principalKinds{teams: true}
	usersAndBots  = principalKinds{bots: true}
	usersOnly     = principalKinds{}
)

// checkPrincipal validates a user ("alice" or "@alice"), a bot
// ("dependabot[bot]") or a team ("@acme/backend") and returns the canonical
// spelling: users and bots without "@", teams with it.
func checkPrincipal(s string, kinds principalKinds) (string, error) {
	if org, team, ok := strings.Cut(strings.TrimPrefix(s, "@"), "/"); ok {
		if !kinds.teams {
			return "", fmt.Errorf("%s is a team; only user names are allowed here", q(s))
		}
		if !strings.HasPrefix(s, "@") {
			return "", fmt.Errorf("team %s must start with @: write %s", q(s), q("@"+s))
		}
		if !validLogin(org) {
			return "", fmt.Errorf("team %s: %s is not a valid organisation name", q(s), q(org))
		}
		if !validTeamSlug(team) {
			return "", fmt.Errorf("team %s: %s is not a valid team slug (letters, digits, - and _)", q(s), q(team))
		}
		return s, nil
	}
	login := strings.TrimPrefix(s, "@")
	if name, ok := strings.CutSuffix(login, "[bot]"); ok {
		if !kinds.bots {
			return "", fmt.Errorf("%s is a bot; bots cannot be used here", q(s))
		}
		if !validLogin(name) {
			return "", fmt.Errorf("%s is not a valid bot name (want name[bot])", q(s))
		}
		return login, nil
	}
	if !validLogin(login) {
		return "", fmt.Errorf("%s is not a valid GitHub user name "+
			"(1-39 letters, digits or single hyphens, not starting or ending with a hyphen)", q(s))
	}
	return login, nil
}

// maxDuration bounds durations: an SLA longer than a year is a typo, and the
// bound keeps day arithmetic far away from overflow.
const maxDuration = 366 * 24 * time.Hour

// parseDuration accepts Go durations ("24h", "1h30m", "90s") and a leading
// day count ("2d", "1d12h"). It rejects zero and negative values.
func parseDuration(s string) (time.Duration, error) {
	var d time.Duration
	rest, hasDays := s, false
	if days, after, ok := strings.Cut(s, "d"); ok {
		hasDays = true
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || days == "" || days[0] == '+' {
			return 0, fmt.Errorf("invalid duration %s (want e.g. 24h, 90m, 2d)", q(s))
		}
		if n > int(maxDuration/(24*time.Hour)) {
			return 0, fmt.Errorf("duration %s is longer than a year", q(s))
		}
		d = time.Duration(n) * 24 * time.Hour
		rest = after
	}
	if rest != "" || !hasDays {
		if strings.HasPrefix(rest, "-") {
			return 0, fmt.Errorf("duration %s must be positive", q(s))
		}
		more, err := time.ParseDuration(rest)
		if err != nil || rest[0] == '+' { // ParseDuration takes a sign; the file format does not
			return 0, fmt.Errorf("invalid duration %s (want e.g. 24h, 90m, 2d)", q(s))
		}
		d += more
	}
	switch {
	case d <= 0:
		return 0, fmt.Errorf("duration %s must be positive", q(s))
	case d > maxDuration:
		return 0, fmt.Errorf("duration %s is longer than a year", q(s))
	}
	return d, nil
}

// parseClock reads "HH:MM" as a duration since midnight. "24:00" is allowed
// so that a window can run to the end of the day.
func parseClock(s string) (time.Duration, error) {
	bad := fmt.Errorf("invalid time %s (want HH:MM, 24-hour clock, e.g. 09:00)", q(s))
	if len(s) != 5 || s[2] != ':' {
		return 0, bad
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || s[0] == '+' || s[3] == '+' || h < 0 || m < 0 || m > 59 ||
		h > 24 || h == 24 && m != 0 {
		return 0, bad
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute, nil
}

// parseDate reads a holiday as "YYYY-MM-DD" and checks that the day exists.
func parseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return Date{}, fmt.Errorf("invalid date %s (want YYYY-MM-DD, e.g. 2026-12-25)", q(s))
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// weekdays maps the names the file accepts to time.Weekday.
var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday,
	"wednesday": time.Wednesday, "thursday": time.Thursday, "friday": time.Friday,
	"saturday": time.Saturday,
}

var weekdayNames = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

var errLocalZone = errors.New(`"Local" depends on the server; name a zone such as "Europe/Berlin" or "UTC"`)

// loadLocation loads an IANA time zone. The server's own zone ("Local") is
// refused: a policy must mean the same on every replica. The zone database
// is embedded (time/tzdata, see parse.go), so this does not depend on the
// host either.
func loadLocation(name string) (*time.Location, error) {
	if name == "Local" {
		return nil, errLocalZone
	}
	if name == "" {
		return nil, errors.New("time zone must not be empty")
	}
	if loc, ok := locations.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %s (want an IANA name such as Europe/Berlin)", q(name))
	}
	locations.Store(name, loc)
	return loc, nil
}

// locations caches loaded zones: a *time.Location is immutable, and loading
// one reads and parses zone data each time. Only valid names are stored, so
// the cache is bounded by the size of the zone database.
var locations sync.Map

// suggest returns the candidate closest to s, if it is close enough to be
// a plausible typo, for "did you mean X?" hints.
func suggest(s string, candidates []string) (string, bool) {
	best, bestDist := "", len(s)/3+2
	for _, c := range candidates {
		if strings.EqualFold(s, c) {
			return c, true
		}
		if d := editDistance(strings.ToLower(s), c); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, best != ""
}

// editDistance is the Levenshtein distance between a and b, in bytes.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 { // keys are short; don't spend time on junk
		return max(len(a), len(b))
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// didYouMean formats the hint for an unknown name, or "" without one.
func didYouMean(s string, candidates []string) string {
	if c, ok := suggest(s, candidates); ok {
		return fmt.Sprintf("; did you mean %s?", c)
	}
	return ""
}
