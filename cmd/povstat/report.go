package main

import (
	"context"
	"io"
)

const reportSynopsis = `--input PATH --income COL --weight COL --out DIR [--lang en|zh] [--font FILE] [the flags of indices]

Runs the study that the flags of 'povstat indices' describe and writes its
report into DIR: report.html and report.md with their charts (charts/),
results.json, results.csv, the annual tables as tables/*.csv and
manifest.json, as 'povstat run' does for a study file.
--lang zh writes the report and the charts in Chinese; the charts need a CJK
font: --font FILE (a .ttf, .otf or .ttc), or else the first of Debian's
fonts-wqy-microhei, fonts-wqy-zenhei, fonts-noto-cjk and
fonts-droid-fallback that is installed.`

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", reportSynopsis, stderr)
	var f studyFlags
	f.registerStudy(fs)
	out := fs.String("out", "", "output `DIR`ectory (created if needed)")
	lang := fs.String("lang", "en", "language of the report and charts: en or zh")
	fontFile := fs.String("font", "", "CJK font `FILE` for the charts of --lang zh (.ttf, .otf or .ttc; default: a system font)")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if err := needOut(*out); err != nil {
		return err
	}
	if *lang != "en" && *lang != "zh" {
		return usagef("--lang %q: want en or zh", *lang)
	}
	s, err := f.study()
	if err != nil {
		return err
	}
	s.Name = "report"
	s.Report = true
	s.Lang, s.Font = *lang, *fontFile
	return runStudy(ctx, s, *out, stdout, stderr)
}
