package reports

import (
	"bytes"
	"html"
	"regexp"
	"strings"

	"github.com/povstat/povstat/pipeline"
)

// Markdown renders the report of a study run as Markdown (report.md), for
// people who keep results in git: the same page as report.html (the page
// model of html.go) — headline figures, the lines and their values, the
// tables by domain, inequality and disparity, comparing lines and return
// to poverty, the methods with their references, the provenance — with
// each chart linked as charts/NAME.svg (the files of ChartFiles) instead
// of inline. Tables are GitHub-flavoured Markdown tables; a table of more
// than 12 rows is folded in a <details> element. Every string from the
// data or the study is escaped, so that it shows as text and cannot break
// a table. The bytes depend only on the study and the results.
func Markdown(s *pipeline.Study, out *pipeline.Output) []byte {
	p := markdownPage(s, out)
	md := &mdWriter{lang: s.Lang}
	md.page(&p, methodsOf(&p))
	return md.b.Bytes()
}

// markdownPage is the page of HTML without the charts' SVG: Figures name
// the charts (Name, Title) but carry no drawing.
func markdownPage(s *pipeline.Study, out *pipeline.Output) page {
	figs := map[string][]figure{}
	for _, sp := range chartSpecs(s, out.Results) {
		figs[sp.section] = append(figs[sp.section], figure{Name: sp.name, Title: sp.title})
	}
	return newPage(s, out, figs)
}

// methodsOf is the methods section of the page as report.html writes it
// (the template holds its text), from its <dl> to its end.
func methodsOf(p *page) string {
	var b bytes.Buffer
	if err := report.Execute(&b, p); err != nil {
		panic("reports: template: " + err.Error()) // the template and its data are ours
	}
	doc := b.String()
	start := strings.Index(doc, `<h2 id="methods">`)
	if start < 0 {
		return ""
	}
	doc = doc[start:]
	from, to := strings.Index(doc, `<dl class="m">`), strings.Index(doc, "</dl>")
	if from < 0 || to < from {
		return ""
	}
	return doc[from+len(`<dl class="m">`) : to]
}

// mdWriter writes Markdown.
type mdWriter struct {
	b    bytes.Buffer
	lang string
}

func (md *mdWriter) line(parts ...string) {
	for _, p := range parts {
		md.b.WriteString(p)
	}
	md.b.WriteByte('\n')
}

// para writes a paragraph of escaped text, if any.
func (md *mdWriter) para(text string) {
	if text = strings.TrimSpace(text); text != "" {
		md.line(mdEscape(text))
		md.line()
	}
}

func (md *mdWriter) heading(level int, text string) {
	md.line(strings.Repeat("#", level), " ", mdEscape(text))
	md.line()
}

func (md *mdWriter) page(p *page, methods string) {
	lang := md.lang
	md.heading(1, p.Title+" — "+T(lang, "povstat report"))
	md.para(p.Intro)

	md.heading(2, T(lang, "Key figures"))
	for _, c := range p.Cards {
		item := "- **" + mdEscape(c.Label) + "**: " + mdEscape(c.Value)
		if c.CI != "" {
			item += " (" + mdEscape(c.CI) + ")"
		}
		if c.Detail != "" {
			item += " — " + mdEscape(c.Detail)
		}
		md.line(item)
	}
	if len(p.Cards) > 0 {
		md.line()
	}
	md.table(p.Key)
	md.table(p.KeySpread)
	if len(p.Warnings) > 0 {
		md.line("**", T(lang, "Warnings"), "**")
		md.line()
		for _, w := range p.Warnings {
			md.line("- ", mdEscape(w))
		}
		md.line()
	}
	if len(p.Lines) > 0 {
		md.heading(2, T(lang, "Poverty lines"))
		md.sections(p, p.Lines)
	}
	if len(p.Poverty) > 0 {
		md.heading(2, T(lang, "Poverty by domain"))
		md.figures(p.Figures["poverty"])
		md.sections(p, p.Poverty)
	}
	for _, sec := range []section{p.Base, p.Inequality} {
		if len(sec.Tables) > 0 {
			md.heading(2, sec.Title)
			md.figures(p.Figures[sec.ID])
			md.tables(sec.Tables)
		}
	}
	if len(p.Regional) > 0 {
		md.heading(2, T(lang, "Regional disparity"))
		md.figures(p.Figures["regions"])
		md.sections(p, p.Regional)
	}
	if len(p.Ratios.Tables) > 0 {
		md.heading(2, p.Ratios.Title)
		md.tables(p.Ratios.Tables)
	}
	if len(p.Dynamics.Tables) > 0 {
		md.heading(2, p.Dynamics.Title)
		md.para(T(lang, dynamicsIntro))
		md.tables(p.Dynamics.Tables)
	}
	if c := p.Curves.Comparing; c != nil {
		md.heading(2, c.Title)
		md.para(c.Intro)
		md.table(c.Lines)
		md.points(c.Points)
		md.figures(p.Figures["comparing"])
	}
	if r := p.Curves.Risk; r != nil {
		md.heading(2, r.Title)
		md.para(r.Intro)
		md.points(r.Points)
		md.table(r.Table)
		md.figures(p.Figures["risk"])
	}
	md.heading(2, T(lang, "Methods"))
	md.methods(methods)

	md.heading(2, T(lang, "Data and provenance"))
	md.fields(T(lang, "Study"), p.Study)
	md.fields(T(lang, "Software"), p.Software)
	md.table(&p.Inputs)
	md.table(&p.Screening)
}

func (md *mdWriter) sections(p *page, ss []section) {
	for _, sec := range ss {
		md.heading(3, sec.Title)
		detail := mdEscape(sec.Detail)
		if sec.Spec != "" {
			detail = strings.TrimSpace(detail + " " + mdCode(sec.Spec))
		}
		if detail != "" {
			md.line(detail)
			md.line()
		}
		md.figures(p.Figures[sec.ID])
		md.tables(sec.Tables)
	}
}

func (md *mdWriter) tables(ts []table) {
	for i := range ts {
		md.table(&ts[i])
	}
}

func (md *mdWriter) points(ps []string) {
	for _, p := range ps {
		md.line("- ", mdEscape(p))
	}
	if len(ps) > 0 {
		md.line()
	}
}

// figures links the charts of a section: ![title](charts/NAME.svg).
func (md *mdWriter) figures(fs []figure) {
	for _, f := range fs {
		md.line("![", mdEscape(f.Title), "](charts/", f.Name, ".svg)")
		md.line()
	}
}

func (md *mdWriter) fields(title string, fs []field) {
	if len(fs) == 0 {
		return
	}
	md.heading(4, title)
	for _, f := range fs {
		v := mdEscape(f.Value)
		if f.Mono {
			v = mdCode(f.Value)
		}
		md.line("- ", mdEscape(f.Label), ": ", v)
	}
	md.line()
}

// table writes a table: its caption as a heading (a <details> summary when
// the table is folded), a header row whose cells carry the text of their
// column group ("Whole population: Headcount"), the rows, and the notes.
func (md *mdWriter) table(t *table) {
	if t == nil {
		return
	}
	if t.Collapsed {
		summary := t.Caption
		if t.Summary != "" {
			summary = strings.TrimSpace(summary + " (" + t.Summary + ")")
		}
		md.line("<details><summary>", html.EscapeString(summary), "</summary>")
		md.line()
	} else if t.Caption != "" {
		md.heading(4, t.Caption)
	}
	md.grid(t)
	for _, n := range []string{t.Note, t.Flag} {
		md.para(n)
	}
	if t.Collapsed {
		md.line("</details>")
		md.line()
	}
}

func (md *mdWriter) grid(t *table) {
	if len(t.Header) == 0 {
		md.para(t.Empty)
		return
	}
	groups := make([]string, 0, len(t.Header))
	for _, g := range t.Groups {
		for range g.Span {
			groups = append(groups, g.Text)
		}
	}
	head, rule := make([]string, len(t.Header)), make([]string, len(t.Header))
	for i, c := range t.Header {
		text := c.Text
		if i < len(groups) && groups[i] != "" {
			text = groups[i] + ": " + text
		}
		head[i] = mdCell(text)
		rule[i] = "---"
		if c.Numeric {
			rule[i] = "---:"
		}
	}
	md.line("| ", strings.Join(head, " | "), " |")
	md.line("|", strings.Join(rule, "|"), "|")
	for _, row := range t.Rows {
		cells := make([]string, len(row))
		for i, c := range row {
			text := c.Text
			if c.CI != "" {
				text += " (" + c.CI + ")"
			}
			if c.Unreliable {
				text += " †"
			}
			cells[i] = mdCell(text)
		}
		md.line("| ", strings.Join(cells, " | "), " |")
	}
	md.line()
	if len(t.Rows) == 0 {
		md.para(t.Empty)
	}
}

var (
	mdTerm    = regexp.MustCompile(`<dt[^>]*>`)
	mdRef     = regexp.MustCompile(`<span class="ref">`)
	mdCodeTag = regexp.MustCompile(`<code>([^<]*)</code>`)
	mdSpace   = regexp.MustCompile(`\s+`)
)

// methods writes the methods of report.html: each term as a heading, its
// text as a paragraph and its references as a paragraph after it. The
// text's <sub>, <sup> and entities stay as they are (Markdown renders
// them); <code> becomes backquotes.
func (md *mdWriter) methods(dl string) {
	for _, term := range mdTerm.Split(dl, -1)[1:] {
		title, body, _ := strings.Cut(term, "</dt>")
		md.line("### ", mdInline(title))
		md.line()
		for _, dd := range strings.Split(body, "<dd>")[1:] {
			dd, _, _ = strings.Cut(dd, "</dd>")
			text, ref, _ := strings.Cut(dd, `<span class="ref">`)
			if text = mdInline(text); text != "" {
				md.line(text)
				md.line()
			}
			if ref = mdRef.ReplaceAllString(ref, ""); strings.TrimSpace(ref) != "" {
				md.line("*", T(md.lang, "References"), ":* ", mdInline(strings.ReplaceAll(ref, "</span>", "")))
				md.line()
			}
		}
	}
}

// mdInline turns a piece of the template's HTML into Markdown text: code
// in backquotes, white space collapsed, the other markup kept.
func mdInline(s string) string {
	s = mdCodeTag.ReplaceAllStringFunc(s, func(m string) string {
		return mdCode(html.UnescapeString(mdCodeTag.FindStringSubmatch(m)[1]))
	})
	return strings.TrimSpace(mdSpace.ReplaceAllString(s, " "))
}

// mdEscaper escapes the characters that Markdown or the HTML it allows
// would read as markup.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"|", `\|`, "#", `\#`, "<", "&lt;", ">", "&gt;", "&", "&amp;",
	"\r\n", " ", "\n", " ", "\r", " ",
)

// mdEscape makes text from the data or the study show as itself.
func mdEscape(s string) string { return mdEscaper.Replace(s) }

// mdCell is the escaped text of a table cell; an empty cell is a space.
func mdCell(s string) string {
	if s = mdEscape(s); s == "" {
		return " "
	}
	return s
}

// mdCode writes s as inline code, with a fence longer than any run of
// backquotes in it; a pipe is escaped, as GitHub reads it as a cell's end
// even in code.
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = strings.NewReplacer("\n", " ", "\r", " ", "|", `\|`).Replace(s)
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + s + pad + fence
}
