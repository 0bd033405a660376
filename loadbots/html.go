package main

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"os"
	"strings"
)

// series is one line of a chart.
type series struct {
	Name   string
	Color  string
	Values []*float64 // one per timeline point; nil leaves a gap
}

// chartSVG draws a line chart of the timeline as inline SVG: no script, no
// external asset, so the page opens offline. The measurement window is
// shaded.
func chartSVG(title, unit string, t []float64, win window, lines []series) template.HTML {
	const (
		w, h                   = 760, 220
		left, right, top, bott = 60, 20, 28, 34
	)
	pw, ph := float64(w-left-right), float64(h-top-bott)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img">`, w, h, w, h)
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%d" y="18" class="t">%s (%s)</text>`, left, html.EscapeString(title), html.EscapeString(unit))
	if len(t) == 0 {
		b.WriteString(`<text x="60" y="110">no samples</text></svg>`)
		return template.HTML(b.String())
	}
	t0, t1 := 0.0, t[len(t)-1]
	if t1 <= t0 {
		t1 = t0 + 1
	}
	ymax := 0.0
	for _, s := range lines {
		for _, v := range s.Values {
			if v != nil && *v > ymax {
				ymax = *v
			}
		}
	}
	ymax = niceCeil(ymax)
	x := func(v float64) float64 { return float64(left) + (v-t0)/(t1-t0)*pw }
	y := func(v float64) float64 { return float64(top) + ph - v/ymax*ph }
	if win.EndS > win.StartS {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%.0f" class="win"/>`, x(win.StartS), top, x(win.EndS)-x(win.StartS), ph)
	}
	// Axes, with four horizontal grid lines.
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="g"/>`, left, w-right, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="yl">%s</text>`, left-6, y(v)+4, axisLabel(v))
	}
	for i := 0; i <= 5; i++ {
		v := t0 + (t1-t0)*float64(i)/5
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="xl">%s</text>`, x(v), h-bott+16, secondsLabel(v, t1-t0))
	}
	for k, s := range lines {
		var d strings.Builder
		pen := false
		for i, v := range s.Values {
			if i >= len(t) || v == nil {
				pen = false
				continue
			}
			cmd := "L"
			if !pen {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, x(t[i]), y(*v))
			pen = true
		}
		fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="1.6"/>`, d.String(), s.Color)
		// The legend sits on the title line, right-aligned, clear of the plot.
		fmt.Fprintf(&b, `<text x="%d" y="18" fill="%s" class="lg">&#9644; %s</text>`, w-right-90*(len(lines)-k), s.Color, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for v <= 0).
func niceCeil(v float64) float64 {
	if !(v > 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// secondsLabel labels a time axis, with a decimal when the span is short.
func secondsLabel(v, span float64) string {
	if span < 10 {
		return fmt.Sprintf("%.1fs", v)
	}
	return fmt.Sprintf("%.0fs", v)
}

func axisLabel(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

func values(ps []point, get func(p *point) *float64) []*float64 {
	out := make([]*float64, len(ps))
	for i := range ps {
		out[i] = get(&ps[i])
	}
	return out
}

func num(v float64) *float64 { return &v }

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>loadbots: {{.R.Bots}} bots, {{.R.Scenario}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:820px}
table{border-collapse:collapse;margin:12px 0}td,th{padding:2px 10px;border-bottom:1px solid #ddd;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
svg{display:block;margin:12px 0;background:#fff}
.t{font-weight:600;font-size:13px}.g{stroke:#e4e4e4}.yl{font-size:11px;text-anchor:end;fill:#666}
.xl{font-size:11px;text-anchor:middle;fill:#666}.lg{font-size:12px}.win{fill:#f1f6ff}
.warn{color:#a40}
</style></head><body>
<h1>loadbots report</h1>
<p>{{.R.StartedAt}} &middot; scenario <b>{{.R.Scenario}}</b> ({{.R.Params}}) &middot; {{.R.URL}}<br>
bots on {{.R.Machine.CPU}}, {{.R.Machine.CPUs}} CPUs (bots on {{.R.Machine.AffinityCPUs}}), Linux {{.R.Machine.Kernel}}, {{.R.Machine.Go}}, GOMAXPROCS {{.R.Machine.GOMAXPROCS}}</p>
{{range .R.Warnings}}<p class="warn">Warning: {{.}}</p>{{end}}
<table>
{{range .Rows}}<tr><th>{{.Name}}</th><td class="n">{{.Value}}</td></tr>
{{end}}</table>
<p>The shaded band is the measurement window ({{.R.Window.StartS}}&ndash;{{.R.Window.EndS}} s); the table covers it only.</p>
{{range .Charts}}{{.}}{{end}}
<h2>What the figures mean</h2>
<dl>
<dt>rtt_ms</dt><dd>{{.R.Definitions.RTT}}</dd>
<dt>input_latency_ms</dt><dd>{{.R.Definitions.InputLatency}}</dd>
<dt>server_rtt_ms</dt><dd>{{.R.Definitions.ServerRTT}}</dd>
<dt>snapshot_interval_ms</dt><dd>{{.R.Definitions.SnapshotInterval}}</dd>
<dt>bytes_per_client_per_s</dt><dd>{{.R.Definitions.Bytes}}</dd>
<dt>per client</dt><dd>{{.R.Definitions.PerClient}}</dd>
</dl>
{{if .R.Errors}}<h2>Errors</h2><ul>{{range .R.Errors}}<li>{{.Count}} &times; {{.Error}}</li>{{end}}</ul>{{end}}
</body></html>
`))

type htmlRow struct{ Name, Value string }

// writeHTML writes the report as one self-contained page.
func (r *report) writeHTML(path string) error {
	ps := r.Timeline
	t := make([]float64, len(ps))
	for i := range ps {
		t[i] = ps[i].T
	}
	s := &r.Server
	rows := []htmlRow{
		{"connected / failed", fmt.Sprintf("%d / %d of %d bots in %d rooms", r.Connected, r.Failed, r.Bots, r.Rooms)},
		{"rtt ms p50 / p95 / p99", triple(r.RTTMs)},
		{"input latency ms p50 / p95 / p99", triple(r.InputLatencyMs)},
		{"snapshot interval ms p50 / p99", f(r.SnapshotIntervalMs.P50) + " / " + f(r.SnapshotIntervalMs.P99)},
		{"snapshots / client / s", f(r.SnapshotsPerClientPerS)},
		{"payload bytes / client / s", f(r.BytesPerClientPerS)},
		{"loadbots cpu cores", f(r.LoadbotsCPUCores)},
		{"server tick ms p50 / p99", f(s.TickMs.P50) + " / " + f(s.TickMs.P99)},
		{"server cpu cores (µs / client / s)", f(s.CPUCores) + " (" + f(s.CPUMicrosPerClientPerS) + ")"},
		{"server rss MB (KB / player over idle)", f(s.RSSMB) + " (" + f(s.RSSKBPerPlayer) + ")"},
	}
	charts := []template.HTML{
		chartSVG("connected bots", "bots", t, r.Window, []series{
			{"connected", "#1f77b4", values(ps, func(p *point) *float64 { return num(float64(p.Connected)) })},
			{"failed", "#d62728", values(ps, func(p *point) *float64 { return num(float64(p.Failed)) })},
		}),
		chartSVG("round-trip time", "ms", t, r.Window, []series{
			{"p50", "#1f77b4", values(ps, func(p *point) *float64 { return p.RTTP50 })},
			{"p99", "#d62728", values(ps, func(p *point) *float64 { return p.RTTP99 })},
		}),
		chartSVG("snapshot interval", "ms", t, r.Window, []series{
			{"p50", "#1f77b4", values(ps, func(p *point) *float64 { return p.IntervalP50 })},
			{"p99", "#d62728", values(ps, func(p *point) *float64 { return p.IntervalP99 })},
		}),
		chartSVG("snapshot payload received, all bots", "bytes/s", t, r.Window, []series{
			{"bytes/s", "#2ca02c", values(ps, func(p *point) *float64 { return num(p.BytesPerS) })},
		}),
		chartSVG("loadbots CPU", "cores", t, r.Window, []series{
			{"cores", "#9467bd", values(ps, func(p *point) *float64 { return num(p.LoadbotsCPUCores) })},
		}),
	}
	var b strings.Builder
	if err := pageTmpl.Execute(&b, struct {
		R      *report
		Rows   []htmlRow
		Charts []template.HTML
	}{r, rows, charts}); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
