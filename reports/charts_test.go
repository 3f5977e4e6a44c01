package reports

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/povstat/povstat/pipeline"
)

// chartStudy is a demo-like study: two lines, years crossed with provinces,
// a region and a time column.
func chartStudy(t *testing.T) *pipeline.Study {
	s := testStudy(t)
	s.Name = "Charts"
	s.Lines = []pipeline.Line{mustLine(t, "eu=median:0.6@year"), mustLine(t, "abs=abs:4000")}
	s.Domains = [][]string{{"year"}, {"year", "province"}}
	s.Region, s.Time = "province", "year"
	s.Indicators = []string{"population", "mean", "headcount", "gini", "region_mean"}
	s.Level = 0.95
	return s
}

const evilRegion = `Nord <&> "Süd"`

// chartOutput holds the results of chartStudy for two years and three
// provinces, one named with markup; with standard errors when se is true.
func chartOutput(se bool) *pipeline.Output {
	var rs []pipeline.Result
	add := func(ind, line string, d []pipeline.DomainValue, v float64) {
		r := pipeline.Result{Indicator: ind, Line: line, Domain: d, Estimate: v, N: 100, Population: 1000}
		if se {
			if ind == "region_mean" {
				r.SEMethod = "unavailable"
				r.SE, r.CILower, r.CIUpper, r.RSE, r.Deff = math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
			} else {
				r = withSE(r, v/20, "linearized, t(90)")
			}
		}
		rs = append(rs, r)
	}
	add("mean", "", nil, 20000)
	add("headcount", "eu", nil, 0.2)
	add("headcount", "abs", nil, 0.05)
	add("gini", "", nil, 0.4)
	for i, year := range []string{"2020", "2021"} {
		y := dom("year", year)
		f := float64(i)
		add("mean", "", y, 19000+2000*f)
		add("headcount", "eu", y, 0.21-0.02*f)
		add("headcount", "abs", y, 0.06-0.02*f)
		add("gini", "", y, 0.41-0.01*f)
		for j, p := range []string{"north", evilRegion, "west"} {
			d := dom("year", year, "province", p)
			g := float64(j)
			add("headcount", "eu", d, 0.1+0.1*g-0.01*f)
			add("headcount", "abs", d, 0.03+0.02*g)
			add("region_mean", "", d, 30000-5000*g+1000*f)
		}
	}
	out := testOutput()
	out.Results = rs
	out.Warnings = nil
	return out
}

func chartNames(cs []Chart) []string {
	var ns []string
	for _, c := range cs {
		ns = append(ns, c.Name)
	}
	return ns
}

func TestCharts(t *testing.T) {
	cs, err := Charts(chartStudy(t), chartOutput(true))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"headcount-eu-by-province", "headcount-abs-by-province", "headcount-by-year", "gini-by-year", "mean-income-by-province"}
	if got := chartNames(cs); !slices.Equal(got, want) {
		t.Fatalf("charts %q, want %q", got, want)
	}
	for _, c := range cs {
		t.Run(c.Name, func(t *testing.T) {
			checkSVG(t, c.SVG)
			if _, err := png.Decode(bytes.NewReader(c.PNG)); err != nil {
				t.Errorf("PNG: %v", err)
			}
			if !bytes.HasPrefix(c.PDF, []byte("%PDF-")) || !bytes.Contains(c.PDF, []byte("%%EOF")) {
				t.Errorf("PDF: not a PDF document: %q…", c.PDF[:min(len(c.PDF), 16)])
			}
			if !bytes.Contains(c.PDF, []byte("/CreationDate ("+pdfDate+")")) {
				t.Error("PDF: creation date not fixed")
			}
		})
	}
	files := ChartFiles(cs)
	if len(files) != 3*len(cs) || files[0].Name != "charts/headcount-eu-by-province.svg" || files[2].Name != "charts/headcount-eu-by-province.pdf" {
		t.Errorf("chart files: %d, first %q", len(files), files[0].Name)
	}
}

// checkSVG checks that b is well-formed XML with an svg root element.
func checkSVG(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("SVG root element %q", root)
	}
}

func TestChartsSameBytes(t *testing.T) {
	a, err := Charts(chartStudy(t), chartOutput(true))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Charts(chartStudy(t), chartOutput(true))
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		for _, f := range []struct {
			ext  string
			x, y []byte
		}{{"svg", a[i].SVG, b[i].SVG}, {"png", a[i].PNG, b[i].PNG}, {"pdf", a[i].PDF, b[i].PDF}} {
			if !bytes.Equal(f.x, f.y) {
				t.Errorf("%s.%s differs between two renders", a[i].Name, f.ext)
			}
		}
	}
}

func TestChartsEscape(t *testing.T) {
	cs, err := Charts(chartStudy(t), chartOutput(true))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if !strings.Contains(c.Name, "province") {
			continue
		}
		svg := string(c.SVG)
		if strings.Contains(svg, evilRegion) {
			t.Errorf("%s: region name unescaped in the SVG", c.Name)
		}
		if !strings.Contains(svg, "Nord &lt;&amp;&gt; &#34;Süd&#34;") {
			t.Errorf("%s: escaped region name not found in the SVG", c.Name)
		}
	}
}

func TestChartsWhiskers(t *testing.T) {
	for _, se := range []bool{true, false} {
		cs, err := Charts(chartStudy(t), chartOutput(se))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			// region_mean carries no interval, even in a run with standard errors.
			want := se && c.Name != "mean-income-by-province" && c.Name != "headcount-by-year" && c.Name != "gini-by-year"
			if got := strings.Contains(string(c.SVG), "95% confidence interval"); got != want {
				t.Errorf("se %v, %s: whisker legend %v, want %v", se, c.Name, got, want)
			}
		}
	}
}

func TestChartsNational(t *testing.T) {
	cs, err := Charts(chartStudy(t), chartOutput(false))
	if err != nil {
		t.Fatal(err)
	}
	// The latest year: its headcount (19.0%) and mean (21,000) are the references.
	for name, want := range map[string]string{
		"headcount-eu-by-province": "National: 19.0%",
		"mean-income-by-province":  "National mean: 21,000",
	} {
		i := slices.IndexFunc(cs, func(c Chart) bool { return c.Name == name })
		if i < 0 {
			t.Fatalf("no chart %s", name)
		}
		if !strings.Contains(string(cs[i].SVG), want) {
			t.Errorf("%s lacks %q", name, want)
		}
		if !strings.Contains(string(cs[i].SVG), "year 2021") {
			t.Errorf("%s is not of the latest year", name)
		}
	}
}

func TestChartsAbsent(t *testing.T) {
	// One period, no region, no breakdown of more than one domain: no chart.
	cs, err := Charts(testStudy(t), testOutput())
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 0 {
		t.Errorf("charts %q, want none", chartNames(cs))
	}
	if got := string(HTML(testStudy(t), testOutput())); strings.Contains(got, "<svg") || strings.Contains(got, "figure.chart") {
		t.Error("report without charts holds an svg or its style")
	}
}

func TestHTMLCharts(t *testing.T) {
	s, out := chartStudy(t), chartOutput(true)
	got := string(HTML(s, out))
	checkAnchors(t, got)
	for sec, ids := range map[string][]string{
		"poverty":    {"chart-headcount-by-year", "chart-headcount-eu-by-province", "chart-headcount-abs-by-province"},
		"inequality": {"chart-gini-by-year"},
		"regions":    {"chart-mean-income-by-province"},
	} {
		part := sectionOf(got, sec)
		for _, id := range ids {
			if !strings.Contains(part, `<figure class="chart" id="`+id+`"`) {
				t.Errorf("section %s lacks the chart %s", sec, id)
			}
		}
	}
	if n := strings.Count(got, "<svg"); n != 5 {
		t.Errorf("%d inline svg, want 5", n)
	}
	for _, bad := range []string{"<?xml", "http://", "<script", evilRegion} {
		if strings.Contains(got, bad) {
			t.Errorf("report holds %q", bad)
		}
	}
	if !strings.Contains(got, "Nord &lt;&amp;&gt; &#34;Süd&#34;") {
		t.Error("report lacks the escaped region name")
	}
	if !bytes.Equal([]byte(got), HTML(s, chartOutput(true))) {
		t.Error("report differs between two renders")
	}
}

func TestTickFormat(t *testing.T) {
	for _, tt := range []struct {
		format     func(float64) string
		lo, hi     float64
		wantLabels string
	}{
		{formatTickRate, 0, 0.3, "0% 10% 20% 30%"},
		{formatTickRate, 0.1, 0.2, "10% 12% 14% 16% 18% 20%"},
		{formatTickAmount, 0, 107000, "0 25,000 50,000 75,000 100,000"},
		{formatTickIndex, 0, 0.45, "0 0.1 0.2 0.3 0.4"},
	} {
		var ls []string
		for _, tk := range (tickFormat{tt.format}).Ticks(tt.lo, tt.hi) {
			ls = append(ls, tk.Label)
		}
		if got := strings.Join(ls, " "); got != tt.wantLabels {
			t.Errorf("ticks of [%g, %g]: %q, want %q", tt.lo, tt.hi, got, tt.wantLabels)
		}
	}
}
