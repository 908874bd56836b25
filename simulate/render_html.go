package simulate

import (
	"html/template"
	"io"
	"strings"
)

// The page is self-contained (no script, no external style); html/template
// escapes every key and drops links whose scheme is not http(s).
var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"clean": clean, "day": day, "dur": dur, "join": strings.Join,
	"link":     func(links map[int]string, n int) string { return links[n] },
	"nonempty": func(g Group) bool { return len(g.Current)+len(g.Proposed) > 0 },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>What-if for {{clean .Repo}}</title>
<style>body{font-family:sans-serif;max-width:70em;margin:2em auto}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}.n{text-align:right}</style></head>
<body>
<h1>What-if for {{clean .Repo}}</h1>
<p>{{.PRs}} closed pull requests ({{.Merged}} merged), opened from {{day .From}}, closed by {{day .To}};
{{.Files}} files, {{.Lines}} lines changed.</p>
<p>Policy in force: {{clean .Current}}<br>Proposed policy: {{clean .Proposed}}</p>
{{range .Areas}}
<h2>{{.Title}}</h2>
<table><tr><th></th><th>in force</th><th>proposed</th><th>change</th><th>only proposed</th><th>only in force</th></tr>
{{range .Groups}}{{if nonempty .}}<tr><td>{{clean .Key}}</td><td class="n">{{len .Current}}</td><td class="n">{{len .Proposed}}</td>
<td class="n">{{printf "%+d" .Delta}}</td>
<td>{{range .Added}}<a href="{{link $.Links .}}">#{{.}}</a> {{end}}</td>
<td>{{range .Removed}}<a href="{{link $.Links .}}">#{{.}}</a> {{end}}</td></tr>
{{end}}{{end}}</table>
{{end}}
<h2>Spread of review requests</h2>
<table><tr><th></th><th>requests</th><th>people asked</th><th>max</th><th>median</th><th>would get none</th></tr>
{{range $i, $l := .Spread}}<tr><td>{{if eq $i 0}}in force{{else}}proposed{{end}}</td><td class="n">{{$l.Requests}}</td>
<td class="n">{{$l.People}}</td><td class="n">{{$l.Max}}</td><td class="n">{{printf "%.1f" $l.Median}}</td>
<td>{{clean (join $l.None ", ")}}</td></tr>{{end}}
</table>
<h2>First review</h2>
<p>Clocks started: {{index .SLA.Clocked 0}} in force, {{index .SLA.Clocked 1}} proposed.
Median working time to first review: {{dur (index .SLA.MedianWorking 0)}} in force, {{dur (index .SLA.MedianWorking 1)}} proposed.
Median time to first review as it was: {{dur .SLA.MedianFirstReview}} ({{.SLA.Reviewed}} reviewed).</p>
<h2>Unknown</h2>
<ul>{{range .Unknown}}<li>{{clean .}}</li>{{end}}</ul>
</body></html>
`))

func writeHTML(w io.Writer, r Report) error {
	return page.Execute(w, struct {
		Report
		Areas []area
	}{r, r.areas()})
}
