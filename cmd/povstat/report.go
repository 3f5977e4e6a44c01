package main

import (
	"context"
	"io"
)

const reportSynopsis = `--input PATH --income COL --weight COL --out DIR [--lang en] [the flags of indices]

Runs the study that the flags of 'povstat indices' describe and writes its
report into DIR: report.html with its charts (charts/), results.json,
results.csv and manifest.json, as 'povstat run' does for a study file.`

func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("report", reportSynopsis, stderr)
	var f studyFlags
	f.registerStudy(fs)
	out := fs.String("out", "", "output `DIR`ectory (created if needed)")
	lang := fs.String("lang", "en", "language of the report: en (zh is not available yet)")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if err := needOut(*out); err != nil {
		return err
	}
	if *lang != "en" {
		return usagef("--lang %q: only en is available yet", *lang)
	}
	s, err := f.study()
	if err != nil {
		return err
	}
	s.Name = "report"
	s.Report = true
	return runStudy(ctx, s, *out, stdout, stderr)
}
