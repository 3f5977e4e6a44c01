package reports

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"codeberg.org/go-fonts/liberation/liberationsansregular"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// installedCJK returns the first CJK font of the standard places, skipping
// the test when none is installed (a fresh CI machine may have none:
// apt-get install fonts-wqy-microhei).
func installedCJK(t *testing.T) string {
	t.Helper()
	return installedCJKs(t)[0]
}

// installedCJKs returns every CJK font of the standard places, skipping
// the test when there is none.
func installedCJKs(t *testing.T) []string {
	t.Helper()
	var ps []string
	for _, p := range cjkFontPaths {
		if _, err := os.Stat(p); err == nil {
			ps = append(ps, p)
		}
	}
	if len(ps) == 0 {
		t.Skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
	}
	return ps
}

// misalignedCollection builds a TrueType collection of two copies of a
// font whose tables start two bytes off a four-byte boundary, as in
// WenQuanYi's collections: numTables records point into one shared pool.
func misalignedCollection(t *testing.T, ttf []byte) []byte {
	t.Helper()
	num := int(binary.BigEndian.Uint16(ttf[4:]))
	const faces = 2
	dirSize := 12 + 16*num
	head := 12 + 4*faces
	pool := head + faces*dirSize + 2 // +2: the first table is misaligned
	out := make([]byte, pool)
	copy(out, "ttcf")
	binary.BigEndian.PutUint32(out[4:], 0x00010000)
	binary.BigEndian.PutUint32(out[8:], faces)
	// The tables, each starting at an offset ≡ 2 (mod 4).
	offsets := make([]int, num)
	for k := range num {
		rec := ttf[12+16*k:]
		start, length := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		for len(out)%4 != 2 {
			out = append(out, 0)
		}
		offsets[k] = len(out)
		out = append(out, ttf[start:start+length]...)
	}
	for f := range faces {
		dir := head + f*dirSize
		binary.BigEndian.PutUint32(out[12+4*f:], uint32(dir))
		copy(out[dir:dir+12], ttf[:12])
		for k := range num {
			rec := out[dir+12+16*k:]
			copy(rec[:16], ttf[12+16*k:12+16*k+16])
			binary.BigEndian.PutUint32(rec[8:], uint32(offsets[k]))
		}
	}
	return out
}

func advance(t *testing.T, f *sfnt.Font, r rune) fixed.Int26_6 {
	t.Helper()
	var buf sfnt.Buffer
	g, err := f.GlyphIndex(&buf, r)
	if err != nil || g == 0 {
		t.Fatalf("no glyph for %q: %v", r, err)
	}
	a, err := f.GlyphAdvance(&buf, g, fixed.I(1000), 0)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestSplitCollection rebuilds the faces of a collection whose tables are
// misaligned (which opentype.ParseCollection rejects) and checks them
// against the font they were made of: same glyphs, same advances.
func TestSplitCollection(t *testing.T) {
	ttf := liberationsansregular.TTF
	ttc := misalignedCollection(t, ttf)
	if c, err := opentype.ParseCollection(ttc); err != nil {
		t.Fatal(err)
	} else if _, err := c.Font(0); err == nil {
		t.Log("x/image now reads faces with misaligned tables (golang/go#46384 fixed?)")
	}
	faces, err := splitCollection(ttc)
	if err != nil {
		t.Fatal(err)
	}
	if len(faces) != 2 {
		t.Fatalf("%d faces, want 2", len(faces))
	}
	ref, err := opentype.Parse(ttf)
	if err != nil {
		t.Fatal(err)
	}
	for i, fb := range faces {
		if len(fb)%4 != 0 {
			t.Errorf("face %d: length %d not a multiple of 4", i, len(fb))
		}
		f, err := opentype.Parse(fb)
		if err != nil {
			t.Fatalf("face %d: %v", i, err)
		}
		if f.NumGlyphs() != ref.NumGlyphs() {
			t.Errorf("face %d: %d glyphs, want %d", i, f.NumGlyphs(), ref.NumGlyphs())
		}
		for _, r := range "AWiw0%" {
			if got, want := advance(t, f, r), advance(t, ref, r); got != want {
				t.Errorf("face %d: advance of %q = %v, want %v", i, r, got, want)
			}
		}
		// A single font: gonum's SVG and PDF canvases can read its bytes.
		if _, err := f.WriteSourceTo(nil, &bytes.Buffer{}); err != nil {
			t.Errorf("face %d: WriteSourceTo: %v", i, err)
		}
	}
	// A single font is its own only face.
	if fs, err := splitCollection(ttf); err != nil || len(fs) != 1 || !bytes.Equal(fs[0], ttf) {
		t.Errorf("splitCollection(ttf) = %d faces, %v", len(fs), err)
	}
	if _, err := splitCollection([]byte("ttcf\x00\x01\x00\x00\x00\x00\x00\x09")); err == nil {
		t.Error("a collection whose 9 offsets lie outside it: no error")
	}
}

// TestPickFaceLatinOnly: a font without Chinese is refused.
func TestPickFaceLatinOnly(t *testing.T) {
	if _, err := pickFace(liberationsansregular.TTF); err == nil {
		t.Error("Liberation Sans accepted as a CJK font")
	}
}

func TestNoCJKFont(t *testing.T) {
	dir := t.TempDir()
	latin := filepath.Join(dir, "latin.ttf")
	if err := os.WriteFile(latin, liberationsansregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := loadCJK("", []string{filepath.Join(dir, "absent.ttc"), latin})
	if !errors.Is(err, ErrNoCJKFont) {
		t.Fatalf("err = %v, want ErrNoCJKFont", err)
	}
	for _, want := range []string{"fonts-wqy-microhei", "outputs.font"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	// A font named by the study must exist and have Chinese glyphs.
	if _, err := loadCJK(filepath.Join(dir, "absent.ttc"), nil); err == nil || !strings.Contains(err.Error(), "absent.ttc") {
		t.Errorf("missing outputs.font: err = %v", err)
	}
	if _, err := loadCJK(latin, nil); err == nil || !strings.Contains(err.Error(), "latin.ttf") {
		t.Errorf("Latin outputs.font: err = %v", err)
	}
	// Charts of a Chinese study stop on it; the report leaves its charts out.
	s := chartStudy(t)
	s.Lang, s.Font = "zh", filepath.Join(dir, "absent.ttc")
	if _, err := Charts(s, chartOutput(false)); err == nil || !strings.Contains(err.Error(), "outputs.font") {
		t.Errorf("Charts: err = %v", err)
	}
	if html := string(HTML(s, chartOutput(false))); strings.Contains(html, "<svg") || !strings.Contains(html, `lang="zh-CN"`) {
		t.Error("report without a CJK font: want a Chinese report without charts")
	}
}

func TestPickFaceInstalled(t *testing.T) {
	for _, path := range installedCJKs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) { testPickFace(t, path) })
	}
}

func testPickFace(t *testing.T, path string) {
	h, err := loadCJK(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !covers(h.sfnt, cjkSample) {
		t.Errorf("%s: the face picked lacks Chinese glyphs", path)
	}
	if strings.Contains(path, "wqy-microhei") {
		if got := h.fontName(); got != "WenQuanYi Micro Hei" {
			t.Errorf("face of wqy-microhei = %q, want the proportional WenQuanYi Micro Hei", got)
		}
		if !covers(h.sfnt, latinSample) {
			t.Error("WenQuanYi Micro Hei: no Latin")
		}
	}
	// Runs: each in a face that has its characters, neighbours in
	// different faces, together the whole text.
	txt := "贫困发生率 (eu, 2021): 12.5%"
	rs := h.runs(txt, 10)
	var all string
	for i, r := range rs {
		all += r.text
		if i > 0 && rs[i-1].face.Face == r.face.Face {
			t.Errorf("runs %d and %d share a face", i-1, i)
		}
		if !covers(r.face.Face, r.text) {
			t.Errorf("run %q in a face without its glyphs", r.text)
		}
	}
	if all != txt {
		t.Errorf("runs join to %q, want %q", all, txt)
	}
	w, _, _ := h.Box(txt, h.cjk.Lookup(latinFont, 10).Font)
	var sum vg.Length
	for _, r := range rs {
		sum += r.face.Width(r.text)
	}
	if w != sum || w <= 0 {
		t.Errorf("Box width %v, want the sum of the runs %v", w, sum)
	}
}

// zhChart is a Chinese chart of chartStudy: the headcount bars.
func zhChart(t *testing.T, lang, font string) Chart {
	t.Helper()
	s := chartStudy(t)
	s.Lang, s.Font = lang, font
	cs, err := Charts(s, chartOutput(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) == 0 {
		t.Fatal("no chart")
	}
	return cs[0]
}

func TestChartsChinese(t *testing.T) {
	font := installedCJK(t)
	en, zh := zhChart(t, "en", ""), zhChart(t, "zh", font)
	if en.Name != zh.Name {
		t.Errorf("file names differ: %s, %s", en.Name, zh.Name)
	}
	// The title and the texts of the chart are Chinese; the region names
	// (data) are not translated and stay escaped.
	want := "按 province 分的贫困发生率（贫困线 eu），year 2021"
	if zh.Title != want {
		t.Errorf("title %q, want %q", zh.Title, want)
	}
	svg := string(zh.SVG)
	checkSVG(t, zh.SVG)
	for _, s := range []string{"按", "贫困发生率", "全国", "置信区间", "Nord &lt;&amp;&gt; &#34;Süd&#34;"} {
		if !strings.Contains(svg, s) {
			t.Errorf("Chinese SVG lacks %q", s)
		}
	}
	for _, s := range []string{"Headcount", "National", "confidence interval"} {
		if strings.Contains(svg, s) {
			t.Errorf("Chinese SVG has English %q", s)
		}
	}
	if !strings.Contains(svg, "font-family:"+fontFamily(t, font)) {
		t.Errorf("Chinese SVG does not name the CJK font %q", fontFamily(t, font))
	}
	if bytes.Equal(en.PNG, zh.PNG) {
		t.Error("the Chinese PNG is the English one")
	}
	// The PDF holds the chart as an image (vgpdf cannot show Chinese).
	if !bytes.HasPrefix(zh.PDF, []byte("%PDF-")) || !bytes.Contains(zh.PDF, []byte("/Subtype /Image")) {
		t.Error("Chinese PDF: want a PDF with an image")
	}
	// Same bytes in every run.
	again := zhChart(t, "zh", font)
	if !bytes.Equal(zh.SVG, again.SVG) || !bytes.Equal(zh.PNG, again.PNG) || !bytes.Equal(zh.PDF, again.PDF) {
		t.Error("Chinese charts differ between two runs")
	}
}

func fontFamily(t *testing.T, path string) string {
	t.Helper()
	h, err := loadCJK(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h.fontName()
}

// ink counts the pixels of an image darker than mid-grey in its top rows
// (the title of a chart).
func ink(t *testing.T, b []byte, rows int) int {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Min.Y+rows; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if dark(img, x, y) {
				n++
			}
		}
	}
	return n
}

func dark(img image.Image, x, y int) bool {
	r, g, b, _ := img.At(x, y).RGBA()
	return r+g+b < 3*0x8000
}

// TestChineseGlyphsDrawn renders a title of Chinese characters only: with
// the CJK font, its glyphs cover the title band with ink, as much as the
// same characters drawn directly with x/image from the font (the
// reference); with gonum's default Liberation fonts, which have no
// Chinese glyph, the title band gets no such ink.
func TestChineseGlyphsDrawn(t *testing.T) {
	for _, path := range installedCJKs(t) {
		t.Run(filepath.Base(path), func(t *testing.T) { testGlyphsDrawn(t, path) })
	}
}

func testGlyphsDrawn(t *testing.T, font string) {
	h, err := loadCJK(font, nil)
	if err != nil {
		t.Fatal(err)
	}
	const title = "贫困发生率基尼系数"
	sp := chartSpec{name: "t", width: 16 * vg.Centimeter, height: 6 * vg.Centimeter, build: func() *plot.Plot {
		p := newPlot(title)
		styleTexts(p)
		return p
	}}
	latin, err := sp.render("png")
	if err != nil {
		t.Fatal(err)
	}
	sp.text = h
	cjk, err := sp.render("png")
	if err != nil {
		t.Fatal(err)
	}
	band := int(1.2 * 12 / 72 * pngDPI) // the 12-point title, with its padding
	withCJK, withLatin := ink(t, cjk, band), ink(t, latin, band)
	ref := referenceInk(t, h, title, 12)
	t.Logf("ink in the title band: CJK %d, Liberation %d, x/image reference %d", withCJK, withLatin, ref)
	if withCJK < ref/2 || withCJK > 2*ref {
		t.Errorf("CJK title: %d dark pixels, want about %d (x/image)", withCJK, ref)
	}
	if withLatin > ref/4 {
		t.Errorf("Liberation title: %d dark pixels: it draws Chinese glyphs?", withLatin)
	}
}

// referenceInk draws txt with the CJK face at size points and pngDPI with
// x/image's font.Drawer and counts its dark pixels.
func referenceInk(t *testing.T, h *cjkText, txt string, size float64) int {
	t.Helper()
	face, err := opentype.NewFace(h.sfnt, &opentype.FaceOptions{Size: size, DPI: pngDPI})
	if err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 2000, 200))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	d := &xfont.Drawer{Dst: img, Src: image.Black, Face: face}
	d.Dot = fixed.P(10, 100)
	d.DrawString(txt)
	n := 0
	for y := range 200 {
		for x := range 2000 {
			if dark(img, x, y) {
				n++
			}
		}
	}
	return n
}

func TestLoadStudyFontKey(t *testing.T) {
	font := installedCJK(t)
	s := chartStudy(t)
	s.Lang, s.Font = "zh", font
	h, err := chartFontsFor(s)
	if err != nil || h == nil {
		t.Fatalf("chartFontsFor = %v, %v", h, err)
	}
	s.Lang = "en"
	if h, err := chartFontsFor(s); h != nil || err != nil {
		t.Errorf("English charts: chartFontsFor = %v, %v, want the Liberation fonts", h, err)
	}
}

// BenchmarkCharts renders the charts of chartStudy (SVG, PNG and PDF) in
// English and, when a CJK font is installed, in Chinese (font loading,
// runs of two fonts, PDF as an image).
func BenchmarkCharts(b *testing.B) {
	t := &testing.T{}
	for _, lang := range []string{"en", "zh"} {
		s := chartStudy(t)
		s.Lang = lang
		if lang == "zh" {
			if _, err := chartFontsFor(s); err != nil {
				b.Skip(err)
			}
		}
		out := chartOutput(true)
		b.Run(lang, func(b *testing.B) {
			for b.Loop() {
				if _, err := Charts(s, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
