package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// cjkFont is an installed CJK font, "" when there is none.
func cjkFont() string {
	for _, p := range []string{"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

func TestReportChinese(t *testing.T) {
	data := t.TempDir()
	if code, _, errs := povstat(t, "gen", "--households", "400", "--years", "1", "--out", data); code != 0 {
		t.Fatalf("gen: %s", errs)
	}
	args := []string{"report", "--input", data, "--income", "income", "--weight", "weight", "--size", "hh_size", "--by", "province", "--region", "province", "--lang", "zh"}

	// A font that does not exist: exit 1, nothing written.
	out := filepath.Join(t.TempDir(), "none")
	code, _, errs := povstat(t, append(args, "--out", out, "--font", filepath.Join(data, "absent.ttc"))...)
	if code != 1 || !strings.Contains(errs, "absent.ttc") {
		t.Errorf("absent --font: exit %d, %q", code, errs)
	}
	if _, err := os.Stat(filepath.Join(out, "report.html")); !os.IsNotExist(err) {
		t.Errorf("report.html written without a font: %v", err)
	}

	font := cjkFont()
	if font == "" {
		t.Skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
	}
	out = filepath.Join(t.TempDir(), "zh")
	if code, _, errs := povstat(t, append(args, "--out", out, "--font", font)...); code != 0 {
		t.Fatalf("report --lang zh: exit %d: %s", code, errs)
	}
	html := mustRead(t, filepath.Join(out, "report.html"))
	for _, want := range []string{`<html lang="zh-CN">`, "主要指标", "贫困发生率", "<svg"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	svg := mustRead(t, filepath.Join(out, "charts", "headcount-median60-by-province.svg"))
	if !strings.Contains(svg, "贫困发生率") {
		t.Error("chart SVG without Chinese title")
	}
}

func TestDemoChinese(t *testing.T) {
	if code, _, _ := povstat(t, "demo", "--out", t.TempDir(), "--lang", "fr"); code != 2 {
		t.Errorf("demo --lang fr: exit %d, want 2", code)
	}
	if cjkFont() == "" {
		t.Skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
	}
	out := t.TempDir()
	if code, _, errs := povstat(t, "demo", "--out", out, "--households", "300", "--lang", "zh"); code != 0 {
		t.Fatalf("demo --lang zh: exit %d: %s", code, errs)
	}
	if html := mustRead(t, filepath.Join(out, "report.html")); !strings.Contains(html, `<html lang="zh-CN">`) || !strings.Contains(html, "基尼系数") {
		t.Error("demo report is not Chinese")
	}
}
