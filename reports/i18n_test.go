package reports

import (
	"go/ast"
	"go/parser"
	"go/token"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/povstat/povstat/pipeline"
)

// i18nCalls are the functions whose argument at the given index is an
// English text of the catalogue.
var i18nCalls = map[string]int{"T": 1, "Tf": 1, "pluralIn": 2}

// templateCall is a call of T, TH, THf or Tf in the report template with a
// string literal ("..." or `...`) as its English text.
var templateCall = regexp.MustCompile("\\{\\{-?\\s*(?:T|TH|THf|Tf) \\S+ (\"(?:[^\"\\\\]|\\\\.)*\"|`[^`]*`)")

// literal evaluates a string literal or a sum of string literals; ok is
// false for any other expression.
func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, okA := literal(e.X)
		b, okB := literal(e.Y)
		return a + b, okA && okB
	case *ast.ParenExpr:
		return literal(e.X)
	}
	return "", false
}

// englishKeys lists every English text given as a literal to T, Tf or
// pluralIn in the package's Go files (those of other engineers included),
// and to T, TH, THf and Tf in the report template.
func englishKeys(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			at, ok := i18nCalls[id.Name]
			if !ok || at >= len(call.Args) {
				return true
			}
			if s, ok := literal(call.Args[at]); ok && s != "" {
				keys = append(keys, s)
			}
			return true
		})
	}
	for _, m := range templateCall.FindAllStringSubmatch(reportTemplate, -1) {
		s := m[1]
		if s[0] == '`' {
			s = s[1 : len(s)-1]
		} else if s, err = strconv.Unquote(s); err != nil {
			t.Fatalf("template literal %s: %v", m[1], err)
		}
		keys = append(keys, s)
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// dynamicKeys are the English texts that reach T as values rather than
// literals: the labels of the indicators, the family headings, exclusion
// rules and the values of the study's settings that the report shows.
func dynamicKeys() []string {
	var keys []string
	for _, l := range labels {
		keys = append(keys, l.text, l.title)
	}
	for _, ind := range []string{"theil_t_between", "theil_l_within", "share_q1", "share_d1"} {
		keys = append(keys, familyHeading(ind))
	}
	for _, ind := range []string{"theil_t", "ge_2", "atkinson_0.5"} {
		keys = append(keys, excludedRule(ind))
	}
	keys = append(keys,
		"units", "persons", "households", "person", "household", "unit", // s.Unit, s.Rows
		"none", "per-capita", "oecd", "sqrt", // s.Equivalence, s.SEMethod
		"exclude", "error", // s.Nonpositive
		"linearized", "bootstrap", "replicates", // s.SEMethod
		"excluded", "kept", // the action of a screening rule
		methodFixed)
	return keys
}

// TestCatalogueComplete fails on any English text of the report or the
// charts without a Chinese translation.
func TestCatalogueComplete(t *testing.T) {
	keys := append(englishKeys(t), dynamicKeys()...)
	if len(keys) < 100 {
		t.Fatalf("found only %d texts: the scan is broken", len(keys))
	}
	var missing []string
	for _, k := range keys {
		if _, ok := zhCatalogue[k]; !ok {
			missing = append(missing, strconv.Quote(k))
		}
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	if len(missing) > 0 {
		t.Errorf("%d texts without a Chinese translation:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// verb matches a formatting verb: %s, %d, %[2]s; %% is not one.
var verb = regexp.MustCompile(`%(\[\d+\])?[sdvq]|%%`)

// TestCatalogueFormats checks that every Chinese format takes the same
// arguments as its English one: formatted with arguments of the English
// verbs, it leaves none unused or missing (no "%!") and shows each.
func TestCatalogueFormats(t *testing.T) {
	for en, zh := range zhCatalogue {
		var args []any
		for _, v := range verb.FindAllString(en, -1) {
			switch v[len(v)-1] {
			case '%':
			case 'd':
				args = append(args, 7000+len(args))
			default:
				args = append(args, "ARG"+strconv.Itoa(len(args)))
			}
		}
		if len(args) == 0 {
			if strings.Count(zh, "%") != strings.Count(en, "%") && strings.Contains(en, "%") {
				t.Errorf("%q: %q has other percent signs", en, zh)
			}
			continue
		}
		out := Tf("zh", en, args...)
		if strings.Contains(out, "%!") {
			t.Errorf("%q: %q formats as %q", en, zh, out)
		}
		for i := range args {
			want := "ARG" + strconv.Itoa(i)
			if _, ok := args[i].(int); ok {
				want = strconv.Itoa(7000 + i)
			}
			if !strings.Contains(out, want) {
				t.Errorf("%q: %q drops argument %d: %q", en, zh, i+1, out)
			}
		}
	}
}

// TestCatalogueChinese checks that every translation is Chinese: it holds
// a Han character unless it is punctuation, a symbol or a name kept as it
// is (the translation of ", " is "，").
func TestCatalogueChinese(t *testing.T) {
	kept := map[string]bool{"S80/S20": true, "CV": true, "PSU": true, "Q": true, "GE": true}
	for en, zh := range zhCatalogue {
		if zh == "" {
			t.Errorf("%q: empty translation", en)
			continue
		}
		if kept[zh] || !strings.ContainsFunc(strings.ReplaceAll(verb.ReplaceAllString(en, ""), "povstat", ""), unicode.IsLetter) {
			continue
		}
		if !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("%q: translation %q has no Chinese character", en, zh)
		}
	}
}

func TestTEnglishUnchanged(t *testing.T) {
	for en := range zhCatalogue {
		if got := T("en", en); got != en {
			t.Fatalf("T(en, %q) = %q", en, got)
		}
	}
	if got := T("zh", "a text nobody translated"); got != "a text nobody translated" {
		t.Errorf("T(zh, unknown) = %q, want the English", got)
	}
	if got := T("zh", "Key figures"); got != "主要指标" {
		t.Errorf("T(zh, Key figures) = %q, want 主要指标", got)
	}
}

func TestPluralIn(t *testing.T) {
	for _, tt := range []struct {
		lang string
		n    int
		noun string
		want string
	}{
		{"en", 1, "row", "1 row"},
		{"en", 1234, "row", "1,234 rows"},
		{"zh", 1234, "row", "1,234行"},
		{"zh", 3, "input file", "3个输入文件"},
	} {
		if got := pluralIn(tt.lang, tt.n, tt.noun); got != tt.want {
			t.Errorf("pluralIn(%s, %d, %s) = %q, want %q", tt.lang, tt.n, tt.noun, got, tt.want)
		}
	}
}

func TestAndListIn(t *testing.T) {
	if got := andListIn("zh", []string{"甲", "乙", "丙"}); got != "甲、乙和丙" {
		t.Errorf("andListIn = %q", got)
	}
	if got := andListIn("en", []string{"a", "b", "c"}); got != "a, b and c" {
		t.Errorf("andListIn = %q", got)
	}
}

// readFileOrSkip reads a file, skipping the test when it is absent.
func readFileOrSkip(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("%s: %v", path, err)
	}
	return b
}

// englishLeft lists the ASCII words of three letters or more in the text
// of a report (its text nodes and aria-labels) that are neither data nor
// names kept in Chinese: the formulas' symbols, authors, R packages. The
// style sheet, the charts, <code> elements, references and monospace cells
// (paths, hashes) are left out, and so are the strings of data.
func englishLeft(report string, data []string) []string {
	cut := regexp.MustCompile(`(?s)<style>.*?</style>|<svg.*?</svg>|<code>.*?</code>|<span class="ref">.*?</span>|<td[^>]*mono[^>]*>.*?</td>|<dd class="mono">.*?</dd>`)
	s := cut.ReplaceAllString(report, "\n")
	var texts []string
	for _, m := range regexp.MustCompile(`aria-label="([^"]*)"`).FindAllStringSubmatch(s, -1) {
		texts = append(texts, m[1])
	}
	texts = append(texts, regexp.MustCompile(`<[^>]*>`).Split(s, -1)...)
	kept := map[string]bool{"povstat": true, "convey": true, "laeken": true, "survey": true, "bootstrap": true,
		"Foster": true, "Greer": true, "Thorbecke": true, "Watts": true, "Sen": true, "Woodruff": true, "Rao": true,
		"Deville": true, "Osier": true, "Wolter": true, "PSU": true, "RSE": true, "SHA": true, "FGT": true, "OECD": true,
		"max": true, "min": true, "exp": true, "COL": true, "rmpg": true,
		"adjust": true, "average": true, "remove": true, "certainty": true, "fail": true} // the study's values of design.lonely
	var left []string
	for _, txt := range texts {
		txt = html.UnescapeString(txt)
		for _, d := range data {
			txt = strings.ReplaceAll(txt, d, " ")
		}
		for _, w := range regexp.MustCompile(`[A-Za-z]{3,}`).FindAllString(txt, -1) {
			if !kept[w] {
				left = append(left, w+" in "+strconv.Quote(strings.TrimSpace(txt)))
			}
		}
	}
	return left
}

// reportData are the strings of a study and its results that a report
// shows as they are: names, columns, domain values, paths.
func reportData(s *pipeline.Study, out *pipeline.Output) []string {
	d := []string{s.Name, s.Income, s.Weight, s.Region, s.Time, s.Strata, s.PSU, s.Unit, s.Rows, "Poverty " + evil}
	for _, l := range s.Lines {
		d = append(d, l.Name)
		for _, w := range l.Where {
			d = append(d, w.Column, w.Value)
		}
	}
	for _, cols := range s.Domains {
		d = append(d, cols...)
	}
	for _, q := range s.Ratios {
		d = append(d, q.Column, q.Numerator, q.Denominator)
	}
	for _, r := range out.Results {
		for _, v := range r.Domain {
			d = append(d, v.Column, v.Value)
		}
	}
	for _, r := range out.Manifest.Rows.Rules {
		d = append(d, r.Rule)
	}
	for _, w := range out.Warnings {
		d = append(d, tidyWarning(w))
	}
	slices.SortFunc(d, func(a, b string) int { return len(b) - len(a) }) // longest first
	return slices.DeleteFunc(d, func(x string) bool { return x == "" })
}

// chineseCases are studies that together use every section of the report.
func chineseCases(t *testing.T) map[string]struct {
	s   *pipeline.Study
	out *pipeline.Output
} {
	cases := map[string]struct {
		s   *pipeline.Study
		out *pipeline.Output
	}{
		"poverty":         {testStudy(t), testOutput()},
		"spread":          {spreadStudy(t), spreadOutput()},
		"standard errors": {seStudy(t), seOutput()},
		"charts":          {chartStudy(t), chartOutput(true)},
	}
	for _, c := range cases {
		c.s.Lang = "zh"
	}
	return cases
}

func TestHTMLChinese(t *testing.T) {
	for name, c := range chineseCases(t) {
		t.Run(name, func(t *testing.T) {
			got := string(HTML(c.s, c.out))
			checkAnchors(t, got)
			if !strings.Contains(got, `<html lang="zh-CN">`) {
				t.Error(`no <html lang="zh-CN">`)
			}
			for _, want := range []string{"<h2 id=\"key\">主要指标</h2>", "<h2 id=\"methods\">方法说明</h2>", "<h2 id=\"provenance\">数据与来源</h2>", "目录"} {
				if !strings.Contains(got, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			// Data stay as they are, escaped.
			if strings.Contains(got, evil) || !strings.Contains(got, "&lt;") {
				t.Error("a name from the data is not escaped")
			}
			for _, en := range []string{"Key figures", "Poverty lines", "Whole population", "Headcount", "confidence interval", ">By ", ">Methods<"} {
				if strings.Contains(got, en) {
					t.Errorf("Chinese report has %q", en)
				}
			}
			if left := englishLeft(got, reportData(c.s, c.out)); len(left) > 0 {
				t.Errorf("English words left in the Chinese report:\n%s", strings.Join(left, "\n"))
			}
			if again := string(HTML(c.s, c.out)); again != got {
				t.Error("two renderings differ")
			}
		})
	}
	// The check finds English: the English report is full of it.
	c := chineseCases(t)["spread"]
	c.s.Lang = "en"
	if left := englishLeft(string(HTML(c.s, c.out)), reportData(c.s, c.out)); len(left) < 50 {
		t.Errorf("English report: %d English words found, the check is blind", len(left))
	}
}
