package githubfake

import (
	"bytes"
	"compress/gzip"
	_ "embed" // GitHub's GraphQL schema
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// graphqlSchemaGz is GitHub's public GraphQL schema from the npm package
// @octokit/graphql-schema (see testdata/graphql/SOURCE.md).
//
//go:embed testdata/graphql/schema.graphql.gz
var graphqlSchemaGz []byte

var (
	schemaOnce   sync.Once
	loadedSchema *ast.Schema
	schemaErr    error
)

// loadSchemaOnce parses the schema on the first GraphQL request of the test
// binary: most tests never send one, and parsing costs far more than any
// query.
func loadSchemaOnce() (*ast.Schema, error) {
	schemaOnce.Do(func() {
		loadedSchema, schemaErr = loadSchema(graphqlSchemaGz)
	})
	return loadedSchema, schemaErr
}

func loadSchema(gz []byte) (*ast.Schema, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("githubfake: GraphQL schema: %w", err)
	}
	text, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("githubfake: GraphQL schema: %w", err)
	}
	doc, err := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: "github-schema.graphql", Input: string(text)})
	if err != nil {
		return nil, fmt.Errorf("githubfake: GraphQL schema: %w", err)
	}
	if err := dropRepeatedFields(doc); err != nil {
		return nil, err
	}
	s, err := validator.ValidateSchemaDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("githubfake: GraphQL schema: %w", err)
	}
	return s, nil
}

// dropRepeatedFields removes a field that a type defines twice with the same
// type, keeping the first. GitHub's published schema repeats
// EnterpriseOwnerInfo.repositoryDeployKeySetting (see SOURCE.md), which
// gqlparser rightly refuses; a repeat with a different type is an error.
func dropRepeatedFields(doc *ast.SchemaDocument) error {
	for _, def := range doc.Definitions {
		seen := map[string]*ast.FieldDefinition{}
		kept := def.Fields[:0]
		for _, fd := range def.Fields {
			first, repeated := seen[fd.Name]
			switch {
			case !repeated:
				seen[fd.Name] = fd
				kept = append(kept, fd)
			case first.Type.String() != fd.Type.String() || len(first.Arguments) != len(fd.Arguments):
				return fmt.Errorf("githubfake: GraphQL schema: %s.%s defined twice, differently", def.Name, fd.Name)
			}
		}
		def.Fields = kept
	}
	return nil
}

// SetBusy marks a user's GitHub status as "limited availability".
func (f *Fake) SetBusy(login string, busy bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.st.busy == nil {
		f.st.busy = map[string]bool{}
	}
	f.st.busy[strings.ToLower(login)] = busy
}

type graphqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// graphql validates the query against GitHub's schema, then answers the
// parts the fake knows (users' status and login). An invalid query gets
// GitHub's answer, 200 with "errors" and no "data", and is reported: the app
// would get nothing from GitHub either.
func (f *Fake) graphql(r *http.Request, body []byte) response {
	req := &request{r: r, body: body, fake: f}
	if resp, ok := f.authenticate(req, "/graphql"); !ok {
		return resp
	}
	var q graphqlRequest
	if err := json.Unmarshal(body, &q); err != nil || q.Query == "" {
		f.report("githubfake: graphql: body is not a query")
		return response{status: http.StatusBadRequest, body: msg("Problems parsing JSON")}
	}
	schema, err := loadSchemaOnce()
	if err != nil {
		f.report(err.Error())
		return response{status: http.StatusInternalServerError, body: msg("schema unavailable")}
	}
	doc, errs := gqlparser.LoadQueryWithRules(schema, q.Query, nil) // nil: the default rules
	var op *ast.OperationDefinition
	var vars map[string]any
	if len(errs) == 0 {
		op, vars, errs = operation(schema, doc, q)
	}
	if len(errs) > 0 {
		f.report(fmt.Sprintf("githubfake: invalid GraphQL query %q: %v", q.Query, errs))
		return response{status: http.StatusOK, body: map[string]any{"errors": graphqlErrors(errs)}}
	}
	data, fieldErrs, err := f.resolve(op, vars, req.installation)
	var refused *refusal
	if errors.As(err, &refused) {
		f.report(fmt.Sprintf("githubfake: GraphQL query GitHub refuses: %v: %q", err, q.Query))
		return response{status: http.StatusOK, body: map[string]any{"errors": []any{
			fieldError(refused.kind, refused.message, refused.path, refused.pos)}}}
	}
	if err != nil {
		f.report(fmt.Sprintf("githubfake: graphql query not supported by the fake: %v: %q", err, q.Query))
		return response{status: http.StatusOK, body: map[string]any{"errors": []any{map[string]any{"message": "unsupported by githubfake: " + err.Error()}}}}
	}
	answer := map[string]any{"data": data}
	if len(fieldErrs) > 0 { // something asked for was not found: null in data
		answer["errors"] = fieldErrs
	}
	return response{status: http.StatusOK, body: answer}
}

// operation picks the operation to run and checks the request's variables
// against its declarations.
func operation(schema *ast.Schema, doc *ast.QueryDocument, q graphqlRequest) (*ast.OperationDefinition, map[string]any, gqlerror.List) {
	op := doc.Operations.ForName(q.OperationName)
	if op == nil {
		return nil, nil, gqlerror.List{gqlerror.Errorf("no operation named %q", q.OperationName)}
	}
	vars, err := validator.VariableValues(schema, op, q.Variables)
	if err != nil {
		return nil, nil, gqlerror.List{gqlerror.WrapIfUnwrapped(err)}
	}
	return op, vars, nil
}

// resolve answers a valid query from the fake's state. It knows users'
// login and status and, for the installation asking, repositories
// (graphql_repository.go); anything else is an error the caller reports, so
// a new query of the app cannot pass with made-up data. fieldErrs are
// GitHub's errors about things not found, which the answer carries next to
// data.
func (f *Fake) resolve(op *ast.OperationDefinition, vars map[string]any, installation int64) (data map[string]any, fieldErrs []any, err error) {
	if op.Operation == ast.Mutation {
		data, err = f.mutate(op, vars)
		return data, nil, err
	}
	if op.Operation != ast.Query {
		return nil, nil, fmt.Errorf("%s operations", op.Operation)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	run := &queryRun{f: f, vars: vars, installation: installation}
	data = map[string]any{}
	for _, sel := range op.SelectionSet {
		field, ok := sel.(*ast.Field)
		if ok && field.Name == "repository" {
			if data[field.Alias], err = run.repository(field); err != nil {
				return nil, nil, err
			}
			continue
		}
		if !ok || field.Name != "user" {
			return nil, nil, fmt.Errorf("top-level selection %T %v", sel, nameOf(sel))
		}
		arg := field.Arguments.ForName("login")
		if arg == nil {
			return nil, nil, fmt.Errorf("user without login")
		}
		login, err := arg.Value.Value(vars)
		if err != nil {
			return nil, nil, err
		}
		user, err := f.resolveUser(field.SelectionSet, fmt.Sprint(login))
		if err != nil {
			return nil, nil, err
		}
		data[field.Alias] = user
	}
	return data, run.errors, nil
}

func (f *Fake) resolveUser(set ast.SelectionSet, login string) (map[string]any, error) {
	out := map[string]any{}
	for _, sel := range set {
		field, ok := sel.(*ast.Field)
		if !ok {
			return nil, fmt.Errorf("fragment on User")
		}
		switch field.Name {
		case "login":
			out[field.Alias] = login
		case "__typename":
			out[field.Alias] = "User"
		case "status":
			busy, set := f.st.busy[strings.ToLower(login)]
			if !set {
				out[field.Alias] = nil // no status set
				continue
			}
			status := map[string]any{}
			for _, s := range field.SelectionSet {
				sf, ok := s.(*ast.Field)
				if !ok || sf.Name != "indicatesLimitedAvailability" {
					return nil, fmt.Errorf("UserStatus selection %v", nameOf(s))
				}
				status[sf.Alias] = busy
			}
			out[field.Alias] = status
		default:
			return nil, fmt.Errorf("User.%s", field.Name)
		}
	}
	return out, nil
}

func nameOf(sel ast.Selection) string {
	if field, ok := sel.(*ast.Field); ok {
		return field.Name
	}
	return "fragment"
}

// graphqlErrors renders errors as GitHub does: message, locations, path,
// and the violated rule under extensions.code.
func graphqlErrors(errs gqlerror.List) []any {
	out := make([]any, len(errs))
	for i, e := range errs {
		m := map[string]any{"message": e.Message}
		if len(e.Locations) > 0 {
			m["locations"] = e.Locations
		}
		if len(e.Path) > 0 {
			m["path"] = e.Path
		}
		if e.Rule != "" {
			m["extensions"] = map[string]any{"code": e.Rule}
		}
		out[i] = m
	}
	return out
}
