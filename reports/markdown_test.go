package reports

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/pipeline"
)

// mdSection returns the part of a Markdown report under the level-2
// heading title, up to the next level-2 heading.
func mdSection(md, title string) string {
	_, rest, ok := strings.Cut(md, "\n## "+title+"\n")
	if !ok {
		return ""
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// unescapedPipes counts the cell separators of a table row.
func unescapedPipes(row string) int {
	return strings.Count(row, "|") - strings.Count(row, `\|`)
}

// checkTables checks that every row of every Markdown table has the cells
// of its header.
func checkTables(t *testing.T, md string) {
	t.Helper()
	want := -1
	for _, l := range strings.Split(md, "\n") {
		if !strings.HasPrefix(l, "|") {
			want = -1
			continue
		}
		if want < 0 {
			want = unescapedPipes(l)
			continue
		}
		if got := unescapedPipes(l); got != want {
			t.Errorf("row with %d separators, header %d: %q", got, want, l)
		}
	}
}

func TestMarkdown(t *testing.T) {
	got := string(Markdown(seStudy(t), seOutput()))
	checkTables(t, got)
	if !strings.HasPrefix(got, "# Poverty &lt;script&gt;alert(1)&lt;/script&gt; — povstat report\n") {
		t.Errorf("title: %q", strings.SplitN(got, "\n", 2)[0])
	}
	// Headline figures: 1,234,567.6 persons (SE 12,000: ± 24,000 at t = 2)
	// over 2,390 of 2,400 rows; the mean 20,000.4.
	key := mdSection(got, "Key figures")
	for _, want := range []string{
		"- **Population (persons)**: 1,234,568 (95% CI 1,210,568–1,258,568) — 2,390 rows of 2,400 read",
		"- **Mean income**: 20,000 (95% CI 19,500–20,501) — per unit, whole population",
		"| eu | 60% of the median income | 9,000 (8,850–9,180) | 12.3% (11.7–13.0%) |",
	} {
		if !strings.Contains(key, want) {
			t.Errorf("key figures lack %q:\n%s", want, key)
		}
	}
	// Lines and their values, with the spec in code.
	lines := mdSection(got, "Poverty lines")
	for _, want := range []string{"### eu\n", "`eu=median:0.6`", "### half\n", "| north | 10,000 | 700 | 300,000 |"} {
		if !strings.Contains(lines, want) {
			t.Errorf("lines lack %q:\n%s", want, lines)
		}
	}
	// The north's headcount of 12.3% is unreliable (RSE 41%): † and its
	// interval, and the footnote under its table.
	pov := mdSection(got, "Poverty by domain")
	if !strings.Contains(pov, "| north | 12.3% (2.3–22.3%) † |") || !strings.Contains(pov, "† Relative standard error above 30%") {
		t.Errorf("poverty by domain:\n%s", pov)
	}
	// Methods with formulas and references.
	methods := mdSection(got, "Methods")
	for _, want := range []string{"### FGT family", "P<sub>α</sub> = Σ w<sub>i</sub>", "### Standard errors", "*References:* Wolter, K. M. (2007)", "`svyquantile`"} {
		if !strings.Contains(methods, want) {
			t.Errorf("methods lack %q", want)
		}
	}
	if strings.Contains(methods, "<dd>") || strings.Contains(methods, "<dt") || strings.Contains(methods, "<code>") {
		t.Errorf("methods keep HTML structure:\n%s", methods)
	}
	// Provenance: paths relative to the inputs' directory, hashes.
	prov := mdSection(got, "Data and provenance")
	for _, want := range []string{"| …/a/x.parquet | 1,200 | 1 | aaaa |", "- Study SHA-256: `00ff`", "- Seed: `7`", "| weight &lt;= 0 | weight | excluded | 10 |"} {
		if !strings.Contains(prov, want) {
			t.Errorf("provenance lacks %q:\n%s", want, prov)
		}
	}
	for _, bad := range []string{"/srv/data", "/home/someone", "123.456"} {
		if strings.Contains(got, bad) {
			t.Errorf("report.md holds %q", bad)
		}
	}
}

func TestMarkdownEscapes(t *testing.T) {
	out := seOutput()
	out.Results = append(out.Results,
		pipeline.Result{Indicator: "population", Domain: region("a|b *c* [d](e) `f` _g_ \\h\nnew"), Estimate: 5, N: 1, Population: 5})
	got := string(Markdown(seStudy(t), out))
	checkTables(t, got)
	for _, bad := range []string{"<script", "[d](e)", "*c*", "`f`", "\nnew"} {
		if strings.Contains(got, bad) {
			t.Errorf("report.md holds %q unescaped", bad)
		}
	}
	if want := "| a\\|b \\*c\\* \\[d\\](e) \\`f\\` \\_g\\_ \\\\h new |"; !strings.Contains(got, want) {
		t.Errorf("report.md lacks the escaped domain value %s", want)
	}
	if !strings.Contains(got, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the markup of the data is not shown as text")
	}
}

func TestMarkdownCharts(t *testing.T) {
	s, out := chartStudy(t), chartOutput(true)
	got := string(Markdown(s, out))
	cs, err := Charts(s, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		t.Fatal("no chart")
	}
	links := regexp.MustCompile(`!\[[^\]]*\]\(charts/([^)]+)\.svg\)`).FindAllStringSubmatch(got, -1)
	var linked []string
	for _, l := range links {
		linked = append(linked, l[1])
	}
	names := chartNames(cs)
	slices.Sort(linked)
	slices.Sort(names)
	if !slices.Equal(linked, names) {
		t.Errorf("linked charts %q, files %q", linked, names)
	}
	if strings.Contains(got, "<svg") {
		t.Error("report.md inlines a chart")
	}
}

func TestMarkdownCollapsed(t *testing.T) {
	s := testStudy(t)
	out := testOutput()
	for i := range 13 {
		v := string(rune('a' + i))
		out.Results = append(out.Results, pipeline.Result{Indicator: "population", Domain: region(v), Estimate: float64(i), N: 1, Population: 1})
	}
	got := string(Markdown(s, out))
	checkTables(t, got)
	if !strings.Contains(got, "<details><summary>By region (15 domains)</summary>\n\n| region |") || !strings.Contains(got, "\n</details>\n") {
		t.Errorf("a table of 15 rows is not folded:\n%s", mdSection(got, "Population and income"))
	}
}

func TestMarkdownSameBytes(t *testing.T) {
	a := Markdown(seStudy(t), seOutput())
	b := Markdown(seStudy(t), seOutput())
	if !bytes.Equal(a, b) {
		t.Error("report.md differs between two runs")
	}
	c := Markdown(spreadStudy(t), spreadOutput())
	checkTables(t, string(c))
	if !strings.Contains(string(c), "## Inequality") {
		t.Error("no inequality section")
	}
}

func TestMdCode(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"a", "`a`"},
		{"a`b", "``a`b``"},
		{"`a", "`` `a ``"},
		{"a|b", "`a\\|b`"},
		{"", ""},
	} {
		if got := mdCode(c.in); got != c.want {
			t.Errorf("mdCode(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestMarkdownMatchesHTML: report.md renders the page of report.html: as
// many tables and charts, and the same headings of sections.
func TestMarkdownMatchesHTML(t *testing.T) {
	for _, c := range []struct {
		name string
		s    *pipeline.Study
		out  *pipeline.Output
	}{
		{"se", seStudy(t), seOutput()},
		{"spread", spreadStudy(t), spreadOutput()},
		{"charts", chartStudy(t), chartOutput(true)},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, md := string(HTML(c.s, c.out)), string(Markdown(c.s, c.out))
			tables := regexp.MustCompile(`(?m)^\|(---:?\|)+$`)
			if a, b := strings.Count(h, "<table>"), len(tables.FindAllString(md, -1)); a != b {
				t.Errorf("%d tables in report.html, %d in report.md", a, b)
			}
			if a, b := strings.Count(h, "<figure"), strings.Count(md, "!["); a != b {
				t.Errorf("%d charts in report.html, %d in report.md", a, b)
			}
			var hs, ms []string
			for _, m := range regexp.MustCompile(`<h2 id="[^"]*">([^<]*)</h2>`).FindAllStringSubmatch(h, -1) {
				hs = append(hs, m[1])
			}
			for _, m := range regexp.MustCompile(`(?m)^## (.*)$`).FindAllStringSubmatch(md, -1) {
				ms = append(ms, m[1])
			}
			if !slices.Equal(hs, ms) {
				t.Errorf("sections %q in report.html, %q in report.md", hs, ms)
			}
		})
	}
}
