package reports

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"math"
	"os"
	"strings"

	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/font/liberation"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgpdf"

	"github.com/povstat/povstat/pipeline"
)

// Chinese text in the charts. gonum/plot draws text with the Liberation
// fonts, which have no Chinese glyph: a Chinese chart needs a CJK font,
// taken from the study (outputs.font) or from the standard places where
// Debian's packages install one (cjkFontPaths). Its glyphs draw every
// character it has; the others (Latin letters and digits, for a CJK font
// without them such as Droid Sans Fallback) are drawn with Liberation Sans,
// run by run, by cjkText.
//
// The three formats:
//   - PNG draws the glyphs of the font;
//   - SVG names the font's family (the text stays text, searchable and
//     selectable); the font is not embedded: a CJK font weighs 4 to 20 MB,
//     which would make every chart and report.html that heavy. A browser
//     without the family substitutes a CJK font of its own.
//   - PDF: gonum's vgpdf encodes text in the single-byte code page 1252
//     (and cannot read a font out of a collection), so it cannot show
//     Chinese; the PDF of a Chinese chart holds the chart as an image of
//     pdfImageDPI dots per inch.

// cjkFontPaths are the fonts tried, in order, when the study names none:
// Debian's fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk and
// fonts-droid-fallback.
var cjkFontPaths = []string{
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// ErrNoCJKFont is the error of a Chinese chart without a CJK font.
var ErrNoCJKFont = errors.New("no CJK font for the Chinese charts: install Debian's fonts-wqy-microhei (apt-get install fonts-wqy-microhei) or set the study key outputs.font to a TrueType/OpenType font or collection with Chinese glyphs")

// pdfImageDPI is the resolution of the image in the PDF of a Chinese chart.
const pdfImageDPI = 300

// cjkTypeface names the CJK font in the font caches of the charts.
const cjkTypeface font.Typeface = "povstat-cjk"

// cjkSample are characters a CJK font must have to be used: common
// characters of the report's Chinese (贫困发生率, 基尼系数, 标准误, ...).
const cjkSample = "贫困发生率基尼系数标准误置信区间地区年份收入中位数"

// latinSample are the characters whose presence makes a face preferred:
// a face with them draws a whole label in one font.
const latinSample = "AZaz09%.,()"

// chartFontsFor returns the text handler of the charts of a study: nil for
// English (the Liberation fonts of styleTexts), a CJK handler for Chinese.
// The error names the font file that cannot be read, or is ErrNoCJKFont.
func chartFontsFor(s *pipeline.Study) (*cjkText, error) {
	if s.Lang != "zh" {
		return nil, nil
	}
	return loadCJK(s.Font, cjkFontPaths)
}

// loadCJK opens the font at path, or when path is "" the first of the
// candidates that exists and has Chinese glyphs.
func loadCJK(path string, candidates []string) (*cjkText, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("outputs.font: %w", err)
		}
		f, err := pickFace(b)
		if err != nil {
			return nil, fmt.Errorf("outputs.font %s: %w", path, err)
		}
		return newCJKText(f), nil
	}
	for _, p := range candidates {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if f, err := pickFace(b); err == nil {
			return newCJKText(f), nil
		}
	}
	return nil, ErrNoCJKFont
}

// pickFace parses a font or a font collection (.ttc) and returns its first
// face with every character of cjkSample, preferring one that also has
// latinSample and, among those, a Simplified Chinese one (a family name
// ending in "SC", as Noto Sans CJK SC) and a proportional one (not "Mono").
func pickFace(b []byte) (*sfnt.Font, error) {
	faces, err := splitCollection(b)
	if err != nil {
		return nil, err
	}
	var best *sfnt.Font
	bestScore := -1
	for i, fb := range faces {
		f, err := opentype.Parse(fb)
		if err != nil {
			return nil, fmt.Errorf("face %d: %w", i, err)
		}
		if !covers(f, cjkSample) {
			continue
		}
		score := 0
		if covers(f, latinSample) {
			score += 4
		}
		var buf sfnt.Buffer
		name, _ := f.Name(&buf, sfnt.NameIDFamily)
		if strings.HasSuffix(name, " SC") {
			score += 2
		}
		if !strings.Contains(name, "Mono") {
			score++
		}
		if score > bestScore {
			best, bestScore = f, score
		}
	}
	if best == nil {
		return nil, errors.New("no face with Chinese glyphs")
	}
	return best, nil
}

// covers reports whether f has a glyph for every rune of s.
func covers(f *sfnt.Font, s string) bool {
	var buf sfnt.Buffer
	for _, r := range s {
		if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
			return false
		}
	}
	return true
}

// splitCollection returns the faces of a font file: the file itself for a
// single font, or for a collection ("ttcf") each of its faces rebuilt as a
// single font. x/image's sfnt requires every table to start on a four-byte
// boundary, which the tables of WenQuanYi's collections do not
// (opentype.ParseCollection fails with "invalid table offset",
// golang/go#46384): each face is copied with its tables realigned. A face
// of its own is also what gonum's SVG and PDF canvases need to read the
// font's bytes (sfnt.Font.WriteSourceTo refuses a face of a collection).
//
// Format: the TrueType collection header (tag, version, numFonts, then
// numFonts offsets of table directories) and, at each offset, a table
// directory: sfntVersion, numTables and three fields, then numTables
// records (tag, checksum, offset from the file's start, length).
func splitCollection(b []byte) ([][]byte, error) {
	if len(b) < 12 || string(b[:4]) != "ttcf" {
		return [][]byte{b}, nil
	}
	n := int(binary.BigEndian.Uint32(b[8:]))
	if n <= 0 || 12+4*n > len(b) {
		return nil, errors.New("bad font collection header")
	}
	faces := make([][]byte, n)
	for i := range n {
		f, err := extractFace(b, int(binary.BigEndian.Uint32(b[12+4*i:])))
		if err != nil {
			return nil, fmt.Errorf("face %d: %w", i, err)
		}
		faces[i] = f
	}
	return faces, nil
}

// extractFace copies the face whose table directory is at off into a
// single font with four-byte aligned tables.
func extractFace(b []byte, off int) ([]byte, error) {
	if off < 0 || off+12 > len(b) {
		return nil, errors.New("bad table directory offset")
	}
	num := int(binary.BigEndian.Uint16(b[off+4:]))
	dir := off + 12
	if dir+16*num > len(b) {
		return nil, errors.New("truncated table directory")
	}
	head := 12 + 16*num
	out := make([]byte, head, head+len(b)/4)
	copy(out, b[off:off+12])
	for k := range num {
		rec := b[dir+16*k : dir+16*k+16]
		start, length := int(binary.BigEndian.Uint32(rec[8:])), int(binary.BigEndian.Uint32(rec[12:]))
		if start < 0 || length < 0 || start+length > len(b) {
			return nil, fmt.Errorf("table %q outside the file", rec[:4])
		}
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		copy(out[12+16*k:], rec[:8])
		binary.BigEndian.PutUint32(out[12+16*k+8:], uint32(len(out)))
		binary.BigEndian.PutUint32(out[12+16*k+12:], uint32(length))
		out = append(out, b[start:start+length]...)
	}
	for len(out)%4 != 0 {
		out = append(out, 0)
	}
	return out, nil
}

// cjkText is the text handler of Chinese charts: a CJK font and, for the
// characters it lacks, Liberation Sans. Every text is cut into runs of
// characters of one font; the height and depth of a line are the larger of
// the two fonts'.
type cjkText struct {
	cjk, latin *font.Cache
	sfnt       *sfnt.Font
}

var latinFont = font.Font{Typeface: "Liberation", Variant: "Sans"}

func newCJKText(f *sfnt.Font) *cjkText {
	return &cjkText{
		cjk:   font.NewCache(font.Collection{{Font: font.Font{Typeface: cjkTypeface}, Face: f}}),
		latin: font.NewCache(liberation.Collection()),
		sfnt:  f,
	}
}

// faces returns the CJK and the Latin face at a size.
func (h *cjkText) faces(size vg.Length) (cjk, latin font.Face) {
	return h.cjk.Lookup(font.Font{Typeface: cjkTypeface}, size), h.latin.Lookup(latinFont, size)
}

// run is a piece of text drawn with one face.
type run struct {
	text string
	face font.Face
}

// runs cuts txt into runs of characters of the CJK font and of the others.
func (h *cjkText) runs(txt string, size vg.Length) []run {
	cjk, latin := h.faces(size)
	var buf sfnt.Buffer
	var rs []run
	for _, r := range txt {
		face := latin
		if g, err := h.sfnt.GlyphIndex(&buf, r); err == nil && g != 0 {
			face = cjk
		}
		if n := len(rs); n > 0 && rs[n-1].face.Face == face.Face {
			rs[n-1].text += string(r)
			continue
		}
		rs = append(rs, run{string(r), face})
	}
	return rs
}

// Cache is the cache of the CJK font.
func (h *cjkText) Cache() *font.Cache { return h.cjk }

// Extents are the larger ascent, descent and height of the two fonts.
func (h *cjkText) Extents(fnt font.Font) font.Extents {
	cjk, latin := h.faces(fnt.Size)
	a, b := cjk.Extents(), latin.Extents()
	return font.Extents{Ascent: max(a.Ascent, b.Ascent), Descent: max(a.Descent, b.Descent), Height: max(a.Height, b.Height)}
}

// Lines splits txt at its line breaks, as text.Plain.
func (h *cjkText) Lines(txt string) []string { return text.Plain{}.Lines(txt) }

// Box is the width of the runs of txt and the extents of the fonts.
func (h *cjkText) Box(txt string, fnt font.Font) (width, height, depth vg.Length) {
	for _, r := range h.runs(txt, fnt.Size) {
		width += r.face.Width(r.text)
	}
	e := h.Extents(fnt)
	return width, e.Ascent, e.Descent
}

// Draw draws txt as text.Plain does, each line run by run.
func (h *cjkText) Draw(c vg.Canvas, txt string, sty text.Style, pt vg.Point) {
	txt = strings.TrimRight(txt, "\n")
	if txt == "" {
		return
	}
	c.SetColor(sty.Color)
	if sty.Rotation != 0 {
		c.Push()
		c.Rotate(sty.Rotation)
	}
	sin64, cos64 := math.Sincos(sty.Rotation)
	cos, sin := vg.Length(cos64), vg.Length(sin64)
	pt.X, pt.Y = pt.Y*sin+pt.X*cos, pt.Y*cos-pt.X*sin
	lines := h.Lines(txt)
	pt.Y += sty.Height(txt)*vg.Length(sty.YAlign) - h.Extents(sty.Font).Ascent
	for i, line := range lines {
		w, _, _ := h.Box(line, sty.Font)
		at := pt.Add(vg.Point{X: vg.Length(sty.XAlign) * w, Y: vg.Length(len(lines)-i) * sty.Font.Size})
		h.fill(c, sty.Font.Size, at, line)
	}
	if sty.Rotation != 0 {
		c.Pop()
	}
}

// fill draws one line from pt on its baseline, run by run.
func (h *cjkText) fill(c vg.Canvas, size vg.Length, pt vg.Point, line string) {
	for _, r := range h.runs(line, size) {
		c.FillString(r.face, pt, r.text)
		pt.X += r.face.Width(r.text)
	}
}

// apply sets every text of a plot (title, axis labels, tick labels and
// legend) to the handler.
func (h *cjkText) apply(p *plot.Plot) {
	p.TextHandler = h
	for _, st := range []*text.Style{&p.Title.TextStyle, &p.X.Label.TextStyle, &p.Y.Label.TextStyle,
		&p.X.Tick.Label, &p.Y.Tick.Label, &p.Legend.TextStyle} {
		st.Handler = h
		st.Font.Typeface = cjkTypeface
	}
}

// cjkCanvas catches the texts a plotter draws with a handler of its own
// (plotter.Labels uses gonum's default fonts): they are drawn run by run
// with the fonts of h, from the same point.
type cjkCanvas struct {
	vg.CanvasSizer
	h *cjkText
}

func (c cjkCanvas) FillString(f font.Face, pt vg.Point, s string) {
	if f.Font.Typeface == cjkTypeface || f.Face == c.h.latin.Lookup(latinFont, f.Font.Size).Face {
		c.CanvasSizer.FillString(f, pt, s)
		return
	}
	c.h.fill(c.CanvasSizer, f.Font.Size, pt, s)
}

// draw draws p on a canvas, texts in the CJK fonts.
func (h *cjkText) draw(p *plot.Plot, cv vg.CanvasSizer) {
	h.apply(p)
	p.Draw(draw.New(cjkCanvas{cv, h}))
}

// pdfImage renders a plot as a PDF page holding its image at pdfImageDPI.
func (h *cjkText) pdfImage(p *plot.Plot, w, ht vg.Length) *vgpdf.Canvas {
	img := vgimg.NewWith(vgimg.UseWH(w, ht), vgimg.UseDPI(pdfImageDPI))
	h.draw(p, img)
	cv := vgpdf.New(w, ht)
	cv.DrawImage(vg.Rectangle{Max: vg.Point{X: w, Y: ht}}, image.Image(img.Image()))
	return cv
}

// fontName is the family name of the CJK font, for messages and tests.
func (h *cjkText) fontName() string {
	var buf sfnt.Buffer
	n, _ := h.sfnt.Name(&buf, sfnt.NameIDFamily)
	return n
}
