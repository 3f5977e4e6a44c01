package reports

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The browser check: report.html opened in headless Chromium must load
// nothing from outside the file and log nothing to the console.
//
// The page is opened with a strict Content-Security-Policy added to its
// <head> (reportCSP): every fetch of a script, style sheet, image, font,
// frame, media or connection from anywhere but the page itself is then
// blocked and reported by Chromium as a console message, as is an inline
// script; Chromium run with --enable-logging=stderr writes each console
// message as a line "…:CONSOLE…] "text", source: URL (line)". The check
// fails on any such line. TestBrowserCatchesFetches shows that it does
// fail on a page that fetches an image from the web and runs a script.
//
// Environment: POVSTAT_CHROMIUM names the browser (default: chromium,
// chromium-browser, google-chrome or headless_shell on the PATH); without
// one the tests are skipped. POVSTAT_REPORT=FILE also checks that report
// (e.g. the demo's), and POVSTAT_SCREENSHOT=FILE.png keeps its screenshot:
//
//	go run ./cmd/povstat demo --out out/demo
//	POVSTAT_REPORT=$PWD/out/demo/report.html POVSTAT_SCREENSHOT=$PWD/out/demo/report.png \
//	  go test ./reports -run TestBrowser -count=1 -v

// reportCSP allows the page its own <style> and style attributes and data:
// images, and nothing else.
const reportCSP = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`

// chromium returns the path of a headless-capable Chromium, or skips.
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("POVSTAT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless_shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium: install Debian's chromium or set POVSTAT_CHROMIUM")
	return ""
}

// withCSP adds reportCSP to the <head> of an HTML page.
func withCSP(page []byte) []byte {
	meta := `<meta http-equiv="Content-Security-Policy" content="` + reportCSP + `">`
	if i := bytes.Index(page, []byte("<head>")); i >= 0 {
		i += len("<head>")
		return append(append(append([]byte(nil), page[:i]...), meta...), page[i:]...)
	}
	return append([]byte(meta), page...)
}

var consoleLine = regexp.MustCompile(`:CONSOLE[^\]]*\] (.*)`)

// browse opens page (with reportCSP) in headless Chromium in a window of
// width × height pixels and returns the console messages and the
// screenshot (PNG).
func browse(t *testing.T, page []byte, width, height int) (console []string, shot []byte) {
	t.Helper()
	bin := chromium(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, withCSP(page), 0o644); err != nil {
		t.Fatal(err)
	}
	shotFile := filepath.Join(dir, "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
		"--enable-logging=stderr", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-default-apps",
		"--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--screenshot="+shotFile,
		"file://"+filepath.ToSlash(file))
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	for _, l := range strings.Split(stderr.String(), "\n") {
		if m := consoleLine.FindStringSubmatch(l); m != nil {
			console = append(console, m[1])
		}
	}
	shot, err := os.ReadFile(shotFile)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, stderr.String())
	}
	return console, shot
}

// checkScreenshot checks that shot is a PNG of width × height pixels that
// shows something: a blank page has a single colour.
func checkScreenshot(t *testing.T, shot []byte, width, height int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if b := img.Bounds(); b.Dx() != width || b.Dy() != height {
		t.Errorf("screenshot is %d × %d, want %d × %d", b.Dx(), b.Dy(), width, height)
	}
	colours := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y && len(colours) < 16; y += 7 {
		for x := b.Min.X; x < b.Max.X; x += 7 {
			r, g, bl, a := img.At(x, y).RGBA()
			colours[[4]uint32{r, g, bl, a}] = true
		}
	}
	if len(colours) < 16 {
		t.Errorf("screenshot has %d colours: the page did not render", len(colours))
	}
}

// checkInBrowser opens a report and fails on any console message; it
// returns the screenshot.
func checkInBrowser(t *testing.T, page []byte, width, height int) []byte {
	t.Helper()
	console, shot := browse(t, page, width, height)
	for _, c := range console {
		t.Errorf("console: %s", c)
	}
	checkScreenshot(t, shot, width, height)
	return shot
}

func TestBrowserReport(t *testing.T) {
	for _, tc := range []struct {
		name string
		page func() []byte
	}{
		{"charts", func() []byte { return HTML(chartStudy(t), chartOutput(true)) }},
		{"escapes", func() []byte { return HTML(seStudy(t), seOutput()) }},
		{"inequality", func() []byte { return HTML(spreadStudy(t), spreadOutput()) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkInBrowser(t, tc.page(), 1280, 1600)
		})
	}
}

// TestBrowserDemoReport checks the report named by POVSTAT_REPORT (the
// demo's, in CI or by hand) and keeps its screenshot in POVSTAT_SCREENSHOT.
func TestBrowserDemoReport(t *testing.T) {
	path := os.Getenv("POVSTAT_REPORT")
	if path == "" {
		t.Skip("POVSTAT_REPORT not set")
	}
	page, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	shot := checkInBrowser(t, page, 1280, 1600)
	if out := os.Getenv("POVSTAT_SCREENSHOT"); out != "" {
		if err := os.WriteFile(out, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestBrowserCatchesFetches shows that the check fails where it should: a
// page that loads an image from the web, a style sheet from the disk and
// runs a script gives one console message for each.
func TestBrowserCatchesFetches(t *testing.T) {
	page := []byte(`<!DOCTYPE html><html><head><title>bad</title>` +
		`<link rel="stylesheet" href="file:///etc/povstat-absent.css"></head><body><p>text</p>` +
		`<img src="http://example.invalid/x.png" alt="">` +
		`<script>document.title = "ran"</script></body></html>`)
	console, shot := browse(t, page, 400, 300)
	if _, err := png.Decode(bytes.NewReader(shot)); err != nil {
		t.Errorf("screenshot: %v", err)
	}
	for _, want := range []string{"example.invalid/x.png", "povstat-absent.css", "script"} {
		found := false
		for _, c := range console {
			found = found || strings.Contains(c, want)
		}
		if !found {
			t.Errorf("no console message about %q; console: %q", want, console)
		}
	}
}
