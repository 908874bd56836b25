package web

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"strings"
)

// A page is made of sections: a heading, perhaps a chart, and a table that
// is both the chart's text alternative and what "Export CSV" downloads.

// Section is one part of a page.
type Section struct {
	ID      string // anchor, and the CSV name (?csv=ID)
	Heading string
	Intro   string
	Chart   template.HTML // SVG drawn by chart.go from trusted numbers and escaped labels
	Table   Table
	Empty   string // shown instead of an empty table
	CSVOnly bool   // laid out by the page's own template; only exported here
}

// Table is a data table.
type Table struct {
	Caption string
	Header  []string
	Rows    [][]Cell
	Numeric []bool // per column: right-aligned
}

// Cell is one cell, a link when Href is set.
type Cell struct {
	Text string
	Href string
	Tag  string // a status class: ok, soon, late
	Num  bool   // right-aligned (set from Table.Numeric by finish)
}

// finish marks numeric cells, so the template needs no call per cell.
// Sections are not changed after it: a computed overview is shared.
func finish(sections []Section) []Section {
	for _, s := range sections {
		for _, row := range s.Table.Rows {
			for i := range row {
				row[i].Num = i < len(s.Table.Numeric) && s.Table.Numeric[i]
			}
		}
	}
	return sections
}

func text(s string) Cell { return Cell{Text: s} }

// serveCSV answers ?csv=ID with that section's table. ok is false when the
// request asks for none (the page is rendered instead).
func serveCSV(w http.ResponseWriter, r *http.Request, name string, sections []Section) (ok bool) {
	id := r.URL.Query().Get("csv")
	if id == "" {
		return false
	}
	for _, s := range sections {
		if s.ID != id {
			continue
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="`+safeFileName(name+"-"+id)+`.csv"`)
		cw := csv.NewWriter(w)
		_ = cw.Write(s.Table.Header)
		for _, row := range s.Table.Rows {
			rec := make([]string, len(row))
			for i, c := range row {
				rec[i] = csvSafe(c.Text)
			}
			_ = cw.Write(rec)
		}
		cw.Flush()
		return true
	}
	http.Error(w, "no such table", http.StatusNotFound)
	return true
}

// csvSafe keeps a spreadsheet from running a cell as a formula: titles and
// logins are user text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, s)
}
