package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
)

// pageNames are the pages; each is the layout with its own "content".
var pageNames = []string{"home", "overview", "me", "pull", "notfound", "message", "logout", "unavailable"}

func parsePages() (map[string]*template.Template, error) {
	funcs := template.FuncMap{
		"join":          strings.Join,
		"overviewPath":  overviewPath,
		"isOrgOverview": isOrgOverview,
		"csvLink":       csvLink,
		"numeric":       func(t Table, i int) bool { return i < len(t.Numeric) && t.Numeric[i] },
		"statusTag": func(s string) string {
			switch s {
			case "met", "approved", "requested", "not-matched", "reviewed":
				return "ok"
			case "too-short", "placeholder", "waiting":
				return "soon"
			}
			return "late"
		},
	}
	out := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/sections.html",
			"templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// csvLink is the page's URL with its filters and csv=id.
func csvLink(path, rawQuery, id string) string {
	q, _ := url.ParseQuery(rawQuery)
	q.Set("csv", id)
	return path + "?" + q.Encode()
}
