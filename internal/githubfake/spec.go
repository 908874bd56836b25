package githubfake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specEnv overrides where the OpenAPI description is read from.
const specEnv = "GITHUB_OPENAPI_PATH"

// specRelPath is the description's place relative to the module root: the
// shared read-only test data sits next to the checkout.
var specRelPath = filepath.Join("..", "shared", "testdata", "github-openapi", "api.github.com.json")

// servedPaths are the path templates whose operations keep their full
// definitions. Every other GitHub path keeps only its methods (stub
// operations), so the router can still tell "GitHub has this but the fake
// does not serve it" from "GitHub has no such endpoint" while the loader
// resolves a small fraction of the 13 MB description.
var servedPaths = []string{
	"/app",
	"/app/installations",
	"/app/installations/{installation_id}/access_tokens",
	"/installation/repositories",
	"/orgs/{org}/teams/{team_slug}/members",
	"/rate_limit",
	"/repos/{owner}/{repo}",
	"/repos/{owner}/{repo}/check-runs",
	"/repos/{owner}/{repo}/check-runs/{check_run_id}",
	"/repos/{owner}/{repo}/collaborators/{username}",
	"/repos/{owner}/{repo}/commits/{ref}/check-runs",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/git/blobs/{file_sha}",
	"/repos/{owner}/{repo}/git/trees/{tree_sha}",
	"/repos/{owner}/{repo}/issues/comments/{comment_id}",
	"/repos/{owner}/{repo}/issues/{issue_number}/comments",
	"/repos/{owner}/{repo}/pulls",
	"/repos/{owner}/{repo}/pulls/{pull_number}",
	"/repos/{owner}/{repo}/pulls/{pull_number}/files",
	"/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
	"/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
}

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
// costs far more than any test using it.
func loadSpecOnce() (*spec, error) {
	specOnce.Do(func() {
		var path string
		path, specErr = locateSpec()
		if specErr == nil {
			loadedSpec, specErr = loadSpec(path)
		}
	})
	return loadedSpec, specErr
}

// locateSpec finds the description: $GITHUB_OPENAPI_PATH, else relative to
// the module root found by walking up from the working directory.
func locateSpec() (string, error) {
	if p := os.Getenv(specEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("githubfake: %s=%q: %w", specEnv, p, err)
		}
		return p, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("githubfake: locate module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			p := filepath.Join(dir, specRelPath)
			if _, err := os.Stat(p); err != nil {
				return "", fmt.Errorf("githubfake: GitHub OpenAPI description not found (set %s): %w", specEnv, err)
			}
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("githubfake: no go.mod above the working directory; set %s", specEnv)
		}
		dir = parent
	}
}

func loadSpec(path string) (*spec, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("githubfake: read description: %w", err)
	}
	diffs, err := os.ReadFile(filepath.Join(filepath.Dir(path), "upstream-request-body-diffs.json"))
	if err != nil {
		return nil, fmt.Errorf("githubfake: read upstream rules: %w", err)
	}
	trimmed, err := trimSpec(raw, diffs)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(trimmed)
	if err != nil {
		return nil, fmt.Errorf("githubfake: load description: %w", err)
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

var refRE = regexp.MustCompile(`"\$ref"\s*:\s*"#/components/([^/"]+)/([^"]+)"`)

// trimSpec keeps the served paths in full, stubs the others, keeps only the
// components they reach, and patches back GitHub's rules that the octokit
// copy dropped (listed in upstream-request-body-diffs.json).
func trimSpec(raw, diffs []byte) ([]byte, error) {
	// One decode of the whole file: the description is large enough that
	// every extra pass shows, especially under -race.
	var doc struct {
		OpenAPI    json.RawMessage                       `json:"openapi"`
		Info       json.RawMessage                       `json:"info"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components map[string]map[string]json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("githubfake: parse description: %w", err)
	}
	paths := doc.Paths
	served := make(map[string]bool, len(servedPaths))
	for _, p := range servedPaths {
		if _, ok := paths[p]; !ok {
			return nil, fmt.Errorf("githubfake: served path %s missing from the description", p)
		}
		served[p] = true
	}
	stub := json.RawMessage(`{"responses":{"default":{"description":"not served by githubfake"}}}`)
	for p, item := range paths {
		if served[p] {
			continue
		}
		for method := range item {
			if method == "parameters" || method == "summary" || method == "description" || method == "servers" {
				delete(item, method)
				continue
			}
			item[method] = stub
		}
	}
	if err := patchUpstreamRules(paths, diffs); err != nil {
		return nil, err
	}
	pathsJSON, err := json.Marshal(paths)
	if err != nil {
		return nil, fmt.Errorf("githubfake: encode paths: %w", err)
	}
	components, err := reachableComponents(doc.Components, pathsJSON)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]json.RawMessage{
		"openapi":    doc.OpenAPI,
		"info":       doc.Info,
		"paths":      pathsJSON,
		"components": components,
	})
}

// reachableComponents keeps the components that the kept paths reference,
// directly or through other components.
func reachableComponents(all map[string]map[string]json.RawMessage, roots json.RawMessage) (json.RawMessage, error) {
	kept := map[string]map[string]json.RawMessage{}
	queue := [][]byte{roots}
	for len(queue) > 0 {
		chunk := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		for _, m := range refRE.FindAllSubmatch(chunk, -1) {
			kind, name := string(m[1]), unescapePointer(string(m[2]))
			if _, ok := kept[kind][name]; ok {
				continue
			}
			v, ok := all[kind][name]
			if !ok {
				return nil, fmt.Errorf("githubfake: dangling $ref #/components/%s/%s", kind, name)
			}
			if kept[kind] == nil {
				kept[kind] = map[string]json.RawMessage{}
			}
			kept[kind][name] = v
			queue = append(queue, v)
		}
	}
	out, err := json.Marshal(kept)
	if err != nil {
		return nil, fmt.Errorf("githubfake: encode components: %w", err)
	}
	return out, nil
}

func unescapePointer(s string) string {
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// patchUpstreamRules applies upstream-request-body-diffs.json: each entry
// names a JSON pointer into the description and the keywords to set there
// ("a.b.c" keys set nested members). The discriminator is left out on
// purpose: kin-openapi then rejects a check run without "status", which
// GitHub accepts (it defaults to queued).
func patchUpstreamRules(paths map[string]map[string]json.RawMessage, diffs []byte) error {
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(diffs, &entries); err != nil {
		return fmt.Errorf("githubfake: parse upstream rules: %w", err)
	}
	names := make([]string, 0, len(entries))
	for name := range entries {
		names = append(names, name)
	}
	sort.Strings(names)
	patched := 0
	for _, name := range names {
		var entry map[string]any
		if err := json.Unmarshal(entries[name], &entry); err != nil || entry["pointer"] == nil {
			continue // "about" and other prose
		}
		if err := patchEntry(paths, entry); err != nil {
			return fmt.Errorf("githubfake: upstream rule %s: %w", name, err)
		}
		patched++
	}
	if patched == 0 {
		return errors.New("githubfake: no upstream rules found to patch")
	}
	return nil
}

func patchEntry(paths map[string]map[string]json.RawMessage, entry map[string]any) error {
	pointer, _ := entry["pointer"].(string)
	tokens := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i := range tokens {
		tokens[i] = unescapePointer(tokens[i])
	}
	if len(tokens) < 3 || tokens[0] != "paths" {
		return fmt.Errorf("unsupported pointer %q", pointer)
	}
	item, ok := paths[tokens[1]]
	if !ok || item[tokens[2]] == nil {
		return fmt.Errorf("pointer %q: no such operation", pointer)
	}
	var op map[string]any
	if err := json.Unmarshal(item[tokens[2]], &op); err != nil {
		return fmt.Errorf("parse operation: %w", err)
	}
	target := op
	for _, tok := range tokens[3:] {
		next, ok := target[tok].(map[string]any)
		if !ok {
			return fmt.Errorf("pointer %q: %q is not an object", pointer, tok)
		}
		target = next
	}
	for key, value := range entry {
		if key == "pointer" || key == "discriminator" {
			continue
		}
		obj := target
		parts := strings.Split(key, ".")
		for _, part := range parts[:len(parts)-1] {
			next, ok := obj[part].(map[string]any)
			if !ok {
				return fmt.Errorf("key %q: %q is not an object", key, part)
			}
			obj = next
		}
		obj[parts[len(parts)-1]] = value
	}
	encoded, err := json.Marshal(op)
	if err != nil {
		return fmt.Errorf("encode operation: %w", err)
	}
	item[tokens[2]] = encoded
	return nil
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
