package githubapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// postGraphQL sends one GraphQL request to url with the installation's
// token and decodes the answer into out. A status other than 200 is an
// error; errors inside a 200 answer are the caller's to read.
func (in *Installation) postGraphQL(ctx context.Context, url, query, operation string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "operationName": operation, "variables": vars})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := in.c.Client().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GitHub answered %d", res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(out)
}
