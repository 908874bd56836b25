package githubfake

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// mutate runs the mutations the fake knows: minimizeComment on an issue
// comment, by its node ID. The query was validated against GitHub's schema
// already; what the fake does not model is an error the caller reports.
func (f *Fake) mutate(op *ast.OperationDefinition, vars map[string]any) (map[string]any, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	data := map[string]any{}
	for _, sel := range op.SelectionSet {
		field, ok := sel.(*ast.Field)
		if !ok || field.Name != "minimizeComment" {
			return nil, fmt.Errorf("mutation %v", nameOf(sel))
		}
		arg := field.Arguments.ForName("input")
		if arg == nil {
			return nil, fmt.Errorf("minimizeComment without input")
		}
		v, err := arg.Value.Value(vars)
		if err != nil {
			return nil, err
		}
		input, _ := v.(map[string]any)
		subject, _ := input["subjectId"].(string)
		classifier, _ := input["classifier"].(string)
		c := f.commentByNode(subject)
		if c == nil {
			// GitHub: "Could not resolve to a node with the global id of …".
			return nil, fmt.Errorf("no comment with node ID %q", subject)
		}
		c.MinimizedReason = classifier
		out, err := minimizedJSON(field.SelectionSet, c)
		if err != nil {
			return nil, err
		}
		data[field.Alias] = out
	}
	return data, nil
}

func (f *Fake) commentByNode(id string) *issueComment {
	for _, r := range f.st.repos {
		for _, c := range r.comments {
			if nodeID("IC", c.ID) == id {
				return c
			}
		}
	}
	return nil
}

// minimizedJSON answers minimizeComment's payload: minimizedComment with
// isMinimized and minimizedReason, and clientMutationId.
func minimizedJSON(set ast.SelectionSet, c *issueComment) (map[string]any, error) {
	out := map[string]any{}
	for _, sel := range set {
		field, ok := sel.(*ast.Field)
		if !ok {
			return nil, fmt.Errorf("fragment on MinimizeCommentPayload")
		}
		switch field.Name {
		case "clientMutationId":
			out[field.Alias] = nil
		case "minimizedComment":
			mc := map[string]any{}
			for _, s := range field.SelectionSet {
				sf, ok := s.(*ast.Field)
				if !ok {
					return nil, fmt.Errorf("fragment on Minimizable")
				}
				switch sf.Name {
				case "isMinimized":
					mc[sf.Alias] = true
				case "minimizedReason":
					mc[sf.Alias] = c.MinimizedReason
				case "__typename":
					mc[sf.Alias] = "IssueComment"
				default:
					return nil, fmt.Errorf("Minimizable.%s", sf.Name)
				}
			}
			out[field.Alias] = mc
		default:
			return nil, fmt.Errorf("MinimizeCommentPayload.%s", field.Name)
		}
	}
	return out, nil
}
