package githubfake

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// queryRun is one GraphQL query being answered. GitHub answers a thing that
// does not exist with null and an error next to the data, not with a failed
// query, so the run collects those errors while it resolves.
type queryRun struct {
	f            *Fake
	vars         map[string]any
	installation int64 // the asker sees only its repositories, as in REST
	errors       []any
}

// refusal is a valid query GitHub still refuses as a whole (errors, no
// data), such as a connection asked for more than 100 nodes: the app's
// mistake, not a gap of the fake, so the caller reports it as such.
type refusal struct {
	kind, message string
	path          []any
	pos           *ast.Position
}

func (e *refusal) Error() string { return e.message }

// fieldError is an error as GitHub renders one about a field.
func fieldError(kind, message string, path []any, pos *ast.Position) map[string]any {
	m := map[string]any{"type": kind, "message": message, "path": path}
	if pos != nil {
		m["locations"] = []any{map[string]int{"line": pos.Line, "column": pos.Column}}
	}
	return m
}

func (x *queryRun) notFound(path []any, pos *ast.Position, format string, args ...any) {
	x.errors = append(x.errors, fieldError("NOT_FOUND", fmt.Sprintf(format, args...), path, pos))
}

// appendPath copies, so that sibling fields never share a path's array.
func appendPath(path []any, key any) []any {
	return append(slices.Clip(path), key)
}

// repository answers Query.repository. A repository outside the
// installation is not found, as GitHub does not tell the two apart.
func (x *queryRun) repository(field *ast.Field) (any, error) {
	args, err := x.args(field, "owner", "name")
	if err != nil {
		return nil, err
	}
	owner, name := fmt.Sprint(args["owner"]), fmt.Sprint(args["name"])
	path := []any{field.Alias}
	r := x.f.st.repos[repoKey(owner, name)]
	if inst := x.f.st.installations[x.installation]; r == nil || inst == nil || !inst.canAccess(r) {
		x.notFound(path, field.Position, "Could not resolve to a Repository with the name '%s/%s'.", owner, name)
		return nil, nil
	}
	return x.object(field.SelectionSet, "Repository", path, func(field *ast.Field, path []any) (any, error) {
		return x.repositoryField(r, field, path)
	})
}

func (x *queryRun) repositoryField(r *repo, field *ast.Field, path []any) (any, error) {
	switch field.Name {
	case "pullRequest":
		args, err := x.args(field, "number")
		if err != nil {
			return nil, err
		}
		n, _ := toInt(args["number"])
		p := r.pulls[n]
		if p == nil {
			x.notFound(path, field.Position, "Could not resolve to a PullRequest with the number of %d.", n)
			return nil, nil
		}
		return x.pullRequest(r, p, field.SelectionSet, path)
	case "object":
		args, err := x.args(field, "oid")
		if err != nil {
			return nil, err
		}
		oid, _ := args["oid"].(string)
		if oid == "" {
			return nil, errors.New("object of a Repository without oid")
		}
		sha, found := r.commitOID(oid)
		if !found {
			return nil, nil // GitHub: null, and no error
		}
		return x.commit(r, sha, field.SelectionSet, path)
	}
	return nil, fmt.Errorf("Repository.%s", field.Name)
}

// commitOID returns the commit named oid if the fake knows it, as a pull
// request's head or base or a check run's head; object IDs compare without
// case.
func (r *repo) commitOID(oid string) (string, bool) {
	var known []string
	for _, p := range r.pulls {
		known = append(known, p.HeadSHA, p.baseSHA())
	}
	for _, c := range r.checkRuns {
		known = append(known, c.HeadSHA)
	}
	for _, sha := range known {
		if sha != "" && strings.EqualFold(sha, oid) {
			return sha, true
		}
	}
	return "", false
}

// commit answers a GitObject the fake knows, always a Commit.
func (x *queryRun) commit(r *repo, oid string, set ast.SelectionSet, path []any) (any, error) {
	return x.object(set, "Commit", path, func(field *ast.Field, path []any) (any, error) {
		switch field.Name {
		case "oid":
			return oid, nil
		case "associatedPullRequests":
			return x.associatedPulls(r, oid, field, path)
		}
		return nil, fmt.Errorf("Commit.%s", field.Name)
	})
}

// associatedPulls lists the pull requests whose head is the commit (the
// fake keeps no merge history, as in REST) in GitHub's default order,
// oldest first, or by orderBy on CREATED_AT.
func (x *queryRun) associatedPulls(r *repo, oid string, field *ast.Field, path []any) (any, error) {
	desc, err := x.createdOrder(field)
	if err != nil {
		return nil, err
	}
	var pulls []*pull
	for _, p := range r.pulls {
		if p.HeadSHA != "" && strings.EqualFold(p.HeadSHA, oid) {
			pulls = append(pulls, p)
		}
	}
	created := func(p *pull) time.Time { return cmp.Or(p.CreatedAt, x.f.st.created) }
	slices.SortFunc(pulls, func(a, b *pull) int {
		c := cmp.Or(created(a).Compare(created(b)), cmp.Compare(a.Number, b.Number))
		if desc {
			return -c
		}
		return c
	})
	return x.connection(field, path, len(pulls), func(i int, set ast.SelectionSet, path []any) (any, error) {
		return x.pullRequest(r, pulls[i], set, path)
	}, "orderBy")
}

// createdOrder reads orderBy, of which the fake models CREATED_AT only;
// without it the schema's default applies (CREATED_AT, ASC).
func (x *queryRun) createdOrder(field *ast.Field) (desc bool, err error) {
	arg := field.Arguments.ForName("orderBy")
	if arg == nil {
		return false, nil
	}
	v, err := arg.Value.Value(x.vars)
	if err != nil {
		return false, err
	}
	order, _ := v.(map[string]any)
	if order == nil {
		return false, nil
	}
	if order["field"] != "CREATED_AT" {
		return false, fmt.Errorf("%s(orderBy: {field: %v})", field.Name, order["field"])
	}
	return order["direction"] == "DESC", nil
}

func (x *queryRun) pullRequest(r *repo, p *pull, set ast.SelectionSet, path []any) (any, error) {
	return x.object(set, "PullRequest", path, func(field *ast.Field, path []any) (any, error) {
		switch field.Name {
		case "number":
			return p.Number, nil
		case "headRefOid":
			return p.HeadSHA, nil
		case "headRefName":
			return p.HeadRef, nil
		case "baseRefName":
			return p.BaseRef, nil
		case "state":
			return pullState(p), nil
		case "files":
			return x.files(p, field, path)
		}
		return nil, fmt.Errorf("PullRequest.%s", field.Name)
	})
}

func pullState(p *pull) string {
	if !p.MergedAt.IsZero() {
		return "MERGED"
	}
	return strings.ToUpper(p.State)
}

// files lists what REST lists: the first maxPRFiles files, each with the
// one line added and removed REST reports.
func (x *queryRun) files(p *pull, field *ast.Field, path []any) (any, error) {
	files := p.Files[:min(len(p.Files), maxPRFiles)]
	return x.connection(field, path, len(files), func(i int, set ast.SelectionSet, path []any) (any, error) {
		return x.object(set, "PullRequestChangedFile", path, func(field *ast.Field, _ []any) (any, error) {
			switch field.Name {
			case "path":
				return files[i], nil
			case "changeType":
				if _, renamed := p.Renamed[files[i]]; renamed {
					return "RENAMED", nil
				}
				return "MODIFIED", nil
			case "additions", "deletions":
				return 1, nil
			}
			return nil, fmt.Errorf("PullRequestChangedFile.%s", field.Name)
		})
	})
}

// --- connections ---

// maxFirst is GitHub's limit on the nodes of one connection page.
const maxFirst = 100

// connection answers a connection over n items paged forward by first and
// after; node answers item i. extra names arguments the caller handled.
func (x *queryRun) connection(field *ast.Field, path []any, n int,
	node func(i int, set ast.SelectionSet, path []any) (any, error), extra ...string) (any, error) {
	start, end, err := x.page(field, path, n, extra)
	if err != nil {
		return nil, err
	}
	typename := field.Definition.Type.Name()
	return x.object(field.SelectionSet, typename, path, func(sub *ast.Field, path []any) (any, error) {
		switch sub.Name {
		case "totalCount":
			return n, nil
		case "pageInfo":
			return x.pageInfo(sub.SelectionSet, path, start, end, n)
		case "nodes", "edges":
			list := make([]any, 0, end-start)
			for i := start; i < end; i++ {
				at := appendPath(path, i-start)
				var v any
				if sub.Name == "edges" {
					v, err = x.edge(sub, at, i, node)
				} else {
					v, err = node(i, sub.SelectionSet, at)
				}
				if err != nil {
					return nil, err
				}
				list = append(list, v)
			}
			return list, nil
		}
		return nil, fmt.Errorf("%s.%s", typename, sub.Name)
	})
}

func (x *queryRun) edge(edges *ast.Field, path []any, i int,
	node func(i int, set ast.SelectionSet, path []any) (any, error)) (any, error) {
	typename := edges.Definition.Type.Name()
	return x.object(edges.SelectionSet, typename, path, func(field *ast.Field, path []any) (any, error) {
		switch field.Name {
		case "cursor":
			return cursor(i), nil
		case "node":
			return node(i, field.SelectionSet, path)
		}
		return nil, fmt.Errorf("%s.%s", typename, field.Name)
	})
}

// page checks first and after as GitHub does and returns the items'
// range. last and before are not modeled, so they are unknown arguments.
func (x *queryRun) page(field *ast.Field, path []any, n int, extra []string) (start, end int, err error) {
	args, err := x.args(field, append([]string{"first", "after"}, extra...)...)
	if err != nil {
		return 0, 0, err
	}
	first, given := toInt(args["first"])
	switch {
	case !given:
		return 0, 0, &refusal{kind: "MISSING_PAGINATION_BOUNDARIES", path: path, pos: field.Position,
			message: fmt.Sprintf("You must provide a `first` or `last` value to properly paginate the `%s` connection.", field.Name)}
	case first > maxFirst:
		return 0, 0, &refusal{kind: "EXCESSIVE_PAGINATION", path: path, pos: field.Position,
			message: fmt.Sprintf("Requesting %d records on the `%s` connection exceeds the `first` limit of %d records.", first, field.Name, maxFirst)}
	case first < 1:
		return 0, 0, fmt.Errorf("%s(first: %d)", field.Name, first)
	}
	if after, ok := args["after"].(string); ok {
		i, ok := uncursor(after)
		if !ok {
			return 0, 0, fmt.Errorf("%s(after: %q), not a cursor the fake gave", field.Name, after)
		}
		start = min(i+1, n)
	}
	return start, min(n, start+first), nil
}

// hasPreviousPage is left out: what GitHub answers for it when paging
// forward is not something the fake knows.
func (x *queryRun) pageInfo(set ast.SelectionSet, path []any, start, end, n int) (any, error) {
	return x.object(set, "PageInfo", path, func(field *ast.Field, _ []any) (any, error) {
		switch field.Name {
		case "hasNextPage":
			return end < n, nil
		case "endCursor", "startCursor":
			if end == start {
				return nil, nil
			}
			if field.Name == "endCursor" {
				return cursor(end - 1), nil
			}
			return cursor(start), nil
		}
		return nil, fmt.Errorf("PageInfo.%s", field.Name)
	})
}

// cursor is item i's cursor, in the form GitHub gives simple connections:
// base64 of "cursor:" and the 1-based position.
func cursor(i int) string {
	return base64.StdEncoding.EncodeToString([]byte("cursor:" + strconv.Itoa(i+1)))
}

func uncursor(c string) (int, bool) {
	b, err := base64.StdEncoding.DecodeString(c)
	if err != nil {
		return 0, false
	}
	pos, ok := strings.CutPrefix(string(b), "cursor:")
	n, err := strconv.Atoi(pos)
	if !ok || err != nil || n < 1 {
		return 0, false
	}
	return n - 1, true
}

// --- selections ---

// object answers a selection set on an object of type typename:
// __typename here, every other field by resolve, under its response key.
func (x *queryRun) object(set ast.SelectionSet, typename string, path []any,
	resolve func(field *ast.Field, path []any) (any, error)) (any, error) {
	fields, err := collectFields(set, typename)
	if err != nil {
		return nil, err
	}
	out := make(map[string]any, len(fields))
	for _, field := range fields {
		if field.Name == "__typename" {
			out[field.Alias] = typename
			continue
		}
		v, err := resolve(field, appendPath(path, field.Alias))
		if err != nil {
			return nil, err
		}
		out[field.Alias] = v
	}
	return out, nil
}

// collectFields flattens set for an object of type typename, keeping the
// fragments whose type condition it meets. Directives (@include, @skip) and
// a response key selected twice with sub-selections would need work the
// fake does not do, so they are errors rather than answered wrongly.
func collectFields(set ast.SelectionSet, typename string) ([]*ast.Field, error) {
	var out []*ast.Field
	seen := map[string]bool{}
	var walk func(ast.SelectionSet) error
	walk = func(set ast.SelectionSet) error {
		for _, sel := range set {
			var dirs ast.DirectiveList
			var sub ast.SelectionSet
			var cond string
			switch s := sel.(type) {
			case *ast.Field:
				if len(s.Directives) > 0 || seen[s.Alias] && len(s.SelectionSet) > 0 {
					return fmt.Errorf("%s.%s selected with directives or twice", typename, s.Name)
				}
				if !seen[s.Alias] {
					seen[s.Alias] = true
					out = append(out, s)
				}
				continue
			case *ast.InlineFragment:
				dirs, sub, cond = s.Directives, s.SelectionSet, s.TypeCondition
			case *ast.FragmentSpread:
				dirs, sub, cond = s.Directives, s.Definition.SelectionSet, s.Definition.TypeCondition
			}
			if len(dirs) > 0 {
				return fmt.Errorf("fragment on %s with directives", typename)
			}
			if typeApplies(cond, typename) {
				if err := walk(sub); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return out, walk(set)
}

// typeApplies says whether a fragment on cond ("" for none) applies to an
// object of type typename: the type itself, or an interface or union of it.
func typeApplies(cond, typename string) bool {
	if cond == "" || cond == typename {
		return true
	}
	schema, err := loadSchemaOnce()
	if err != nil {
		return false
	}
	return slices.ContainsFunc(schema.PossibleTypes[cond], func(d *ast.Definition) bool { return d.Name == typename })
}

// args evaluates field's arguments, which must all be among known: an
// argument the fake does not model would change the answer unnoticed.
func (x *queryRun) args(field *ast.Field, known ...string) (map[string]any, error) {
	out := map[string]any{}
	for _, a := range field.Arguments {
		if !slices.Contains(known, a.Name) {
			return nil, fmt.Errorf("%s(%s:)", field.Name, a.Name)
		}
		v, err := a.Value.Value(x.vars)
		if err != nil {
			return nil, err
		}
		out[a.Name] = v
	}
	return out, nil
}

// toInt reads an Int argument: int64 when written in the query, a JSON
// number when passed as a variable; false when absent or null.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int64:
		return int(n), true
	case int:
		return n, true
	case float64:
		return int(n), true
	}
	return 0, false
}
