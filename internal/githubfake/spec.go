package githubfake

import (
	"bytes"
	"context"
	_ "embed" // the trimmed description
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/reviewpolicy/reviewpolicy/internal/githubfake/openapitrim"
)

//go:generate go run ./cmd/trimspec -out testdata/openapi/api.github.com.trimmed.json

// trimmedSpec is GitHub's REST description cut down by cmd/trimspec to the
// operations of openapitrim.ServedPaths (and stubs for the rest); it is
// embedded so that tests read nothing outside the package, wherever they run.
//
//go:embed testdata/openapi/api.github.com.trimmed.json
var trimmedSpec []byte

// upstreamRules are GitHub's request rules that octokit's copy drops.
//
//go:embed testdata/openapi/upstream-request-body-diffs.json
var upstreamRules []byte

// spec is the loaded description, shared by every Fake of the test binary.
type spec struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	specOnce   sync.Once
	loadedSpec *spec
	specErr    error
)

// loadSpecOnce loads and prepares the description once per process: loading
// costs more than most tests using it.
func loadSpecOnce() (*spec, error) {
	specOnce.Do(func() {
		loadedSpec, specErr = loadSpec(trimmedSpec, upstreamRules)
	})
	return loadedSpec, specErr
}

// loadSpec checks that the trimmed description keeps exactly the served
// paths, patches GitHub's rules back in and builds the router.
func loadSpec(trimmed, rules []byte) (*spec, error) {
	var d openapitrim.Document
	if err := json.Unmarshal(trimmed, &d); err != nil {
		return nil, fmt.Errorf("githubfake: parse description: %w", err)
	}
	if err := openapitrim.CheckServed(&d); err != nil {
		return nil, fmt.Errorf("githubfake: %w", err)
	}
	if err := openapitrim.Patch(&d, rules); err != nil {
		return nil, fmt.Errorf("githubfake: %w", err)
	}
	d.Meta = nil // not an OpenAPI member kin-openapi needs to see
	patched, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("githubfake: encode description: %w", err)
	}
	// Decoding as JSON and then resolving refs is several times faster than
	// LoadFromData, which parses JSON with its YAML parser.
	doc := &openapi3.T{}
	if err := json.Unmarshal(patched, doc); err != nil {
		return nil, fmt.Errorf("githubfake: decode description: %w", err)
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc, nil); err != nil {
		return nil, fmt.Errorf("githubfake: resolve description: %w", err)
	}
	// Route by path alone: one router then serves every fake's random port.
	// doc.Validate is not called; the file has harmless faults of its own.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("githubfake: build router: %w", err)
	}
	return &spec{doc: doc, router: router}, nil
}

// routeRequest finds the GitHub operation of r. File paths under /contents/
// span several segments, which the router only matches with their slashes
// escaped.
func (s *spec) routeRequest(r *http.Request) (*routers.Route, map[string]string, error) {
	rr := r.Clone(context.Background())
	if owner, repo, file, ok := splitContentsPath(r.URL.Path); ok {
		u := *r.URL
		u.Path = "/repos/" + owner + "/" + repo + "/contents/" + file
		u.RawPath = "/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + "/contents/" + url.PathEscape(file)
		rr.URL = &u
	}
	return s.router.FindRoute(rr)
}

// splitContentsPath splits /repos/{owner}/{repo}/contents/{path...}.
func splitContentsPath(p string) (owner, repo, file string, ok bool) {
	rest, found := strings.CutPrefix(p, "/repos/")
	if !found {
		return "", "", "", false
	}
	parts := strings.SplitN(rest, "/", 4)
	if len(parts) != 4 || parts[2] != "contents" || parts[3] == "" {
		return "", "", "", false
	}
	return parts[0], parts[1], parts[3], true
}

// validate checks r against its operation: kin-openapi covers path, query
// and body schemas; unknown query parameters and GitHub's per_page maximum
// are checked here because the description does not state them.
func (s *spec) validate(r *http.Request, body []byte, route *routers.Route, params map[string]string) error {
	allowed := map[string]bool{}
	for _, p := range route.PathItem.Parameters {
		allowed[p.Value.Name] = p.Value.In == openapi3.ParameterInQuery
	}
	for _, p := range route.Operation.Parameters {
		if p.Value.In == openapi3.ParameterInQuery {
			allowed[p.Value.Name] = true
		}
	}
	query := r.URL.Query()
	for name := range query {
		if !allowed[name] {
			return fmt.Errorf("query parameter %q is not defined for %s %s", name, r.Method, route.Path)
		}
	}
	if v := query.Get("per_page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > maxPerPage {
			return fmt.Errorf("query parameter per_page=%d exceeds GitHub's maximum of %d", n, maxPerPage)
		}
	}
	rr := r.Clone(context.Background())
	rr.Body = http.NoBody
	if isJSONNull(body) {
		// ghinstallation sends "null" when it has no token options, and
		// GitHub treats that like no body.
		body = nil
		rr.Header.Del("Content-Type")
	}
	if len(body) > 0 {
		rr.Body = io.NopCloser(bytes.NewReader(body))
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
		RejectWhenRequestBodyNotSpecified: true,
	}
	opts.WithCustomSchemaErrorFunc(schemaErrorMessage)
	input := &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route, Options: opts}
	if err := openapi3filter.ValidateRequest(context.Background(), input); err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, route.Path, err)
	}
	return nil
}

// schemaErrorMessage keeps violations to one line: kin-openapi's default
// message dumps the whole schema, which buries the rule in test output.
func schemaErrorMessage(err *openapi3.SchemaError) string {
	at := "/" + strings.Join(err.JSONPointer(), "/")
	reason := err.Reason
	if reason == "" {
		reason = fmt.Sprintf("does not match %q", err.SchemaField)
	}
	if err.Origin != nil {
		reason += " (" + err.Origin.Error() + ")"
	}
	if err.Schema != nil {
		switch err.SchemaField {
		case "anyOf":
			reason += ": " + describeAlternatives(err.Schema.AnyOf)
		case "oneOf":
			reason += ": " + describeAlternatives(err.Schema.OneOf)
		}
	}
	return fmt.Sprintf("at %q: %s", at, reason)
}

// describeAlternatives names what each alternative demands, e.g.
// "[status in [completed] and required [conclusion]] or [required [reviewers]]".
func describeAlternatives(alts openapi3.SchemaRefs) string {
	var out []string
	for _, alt := range alts {
		if alt.Value == nil {
			continue
		}
		var rules []string
		for _, name := range sortedKeys(alt.Value.Properties) {
			if p := alt.Value.Properties[name].Value; p != nil && len(p.Enum) > 0 {
				rules = append(rules, fmt.Sprintf("%s in %v", name, p.Enum))
			}
		}
		if len(alt.Value.Required) > 0 {
			rules = append(rules, fmt.Sprintf("required %v", alt.Value.Required))
		}
		out = append(out, "["+strings.Join(rules, " and ")+"]")
	}
	return strings.Join(out, " or ")
}

func isJSONNull(body []byte) bool {
	return string(bytes.TrimSpace(body)) == "null"
}
