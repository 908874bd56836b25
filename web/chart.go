package web

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Charts are SVG drawn here from numbers, with every label escaped. Each
// has role="img", a <title> and a <desc> that reads the data out, and the
// page shows the same numbers in a table beside it.

// Colours meet WCAG AA contrast (4.5:1 or more) on white.
var palette = []string{"#1f5fa8", "#a14a00", "#2d7a2d", "#7a3c9a", "#9c2a2a"}

type bar struct {
	Label string
	Value float64
	Text  string // the value as shown
}

// barsSVG draws horizontal bars, one per row.
func barsSVG(id, title string, bars []bar) template.HTML {
	if len(bars) == 0 {
		return ""
	}
	const left, width, rowH = 150, 300, 22
	h := len(bars)*rowH + 10
	maxV := 0.0
	for _, b := range bars {
		maxV = math.Max(maxV, b.Value)
	}
	var b strings.Builder
	var desc []string
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="%s-t %s-d" viewBox="0 0 %d %d" width="%d" height="%d">`,
		id, id, left+width+70, h, left+width+70, h)
	for i, x := range bars {
		y := 5 + i*rowH
		w := 0.0
		if maxV > 0 {
			w = x.Value / maxV * width
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>`, left-6, y+15, esc(clip(x.Label, 22)))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, left, y+3, w, rowH-6, palette[0])
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="val">%s</text>`, float64(left)+w+4, y+15, esc(x.Text))
		desc = append(desc, x.Label+": "+x.Text)
	}
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc></svg>`, id, esc(title), id, esc(strings.Join(desc, "; ")))
	return template.HTML(b.String())
}

type line struct {
	Name   string
	Values []float64
}

// linesSVG draws one line per series over the x labels (weeks), with a
// legend; unit names the y axis.
func linesSVG(id, title, unit string, labels []string, lines []line) template.HTML {
	if len(labels) == 0 || len(lines) == 0 {
		return ""
	}
	const left, top, width, height = 50, 10, 520, 180
	maxV := 0.0
	for _, l := range lines {
		for _, v := range l.Values {
			maxV = math.Max(maxV, v)
		}
	}
	if maxV == 0 {
		maxV = 1
	}
	maxV = niceCeil(maxV)
	step := float64(width) / float64(max(len(labels)-1, 1))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-labelledby="%s-t %s-d" viewBox="0 0 %d %d" width="%d" height="%d">`,
		id, id, left+width+20, top+height+60+len(lines)*18, left+width+20, top+height+60+len(lines)*18)
	for i := 0; i <= 4; i++ { // grid and y labels
		y := top + height - height*i/4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" class="grid"/><text x="%d" y="%d" text-anchor="end" class="lbl">%s</text>`,
			left, left+width, y, y, left-4, y+4, esc(trimFloat(maxV*float64(i)/4)))
	}
	for i, l := range labels {
		if i%2 == 0 || len(labels) <= 6 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle" class="lbl">%s</text>`, left+step*float64(i), top+height+16, esc(l))
		}
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="lbl">%s</text>`, left, top+height+34, esc(unit))
	var desc []string
	for n, l := range lines {
		colour := palette[n%len(palette)]
		var pts, vals []string
		for i, v := range l.Values {
			x, y := left+step*float64(i), float64(top+height)-v/maxV*height
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, x, y, colour)
			vals = append(vals, labels[i]+" "+trimFloat(v))
		}
		dash := ""
		if n%2 == 1 {
			dash = ` stroke-dasharray="6 3"` // not by colour alone
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>`, colour, dash, strings.Join(pts, " "))
		ly := top + height + 52 + n*18
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/><text x="%d" y="%d" class="lbl">%s</text>`,
			left, left+24, ly-4, ly-4, colour, dash, left+30, ly, esc(clip(l.Name, 40)))
		desc = append(desc, l.Name+": "+strings.Join(vals, ", "))
	}
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s (%s)</desc></svg>`, id, esc(title), id,
		esc(strings.Join(desc, ". ")), esc(unit))
	return template.HTML(b.String())
}

func esc(s string) string { return html.EscapeString(s) }

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// niceCeil rounds up to 1, 2 or 5 times a power of ten, for axis labels.
func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}
