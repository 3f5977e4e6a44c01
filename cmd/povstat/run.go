package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/povstat/povstat/datasets/synth"
	"github.com/povstat/povstat/pipeline"
	"github.com/povstat/povstat/reports"
)

func version() string { return pipeline.Version }

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("run", "STUDY.yaml --out DIR", stderr)
	out := fs.String("out", "", "output `DIR`ectory (created if needed)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one study file, got %d", len(pos))
	}
	if err := needOut(*out); err != nil {
		return err
	}
	s, err := pipeline.LoadStudy(pos[0])
	if err != nil {
		return err
	}
	return runStudy(ctx, s, *out, stdout, stderr)
}

// runStudy runs a study and writes its results, report and manifest to dir.
func runStudy(ctx context.Context, s *pipeline.Study, dir string, stdout, stderr io.Writer) error {
	res, err := pipeline.Run(ctx, s)
	if err != nil {
		return err
	}
	for _, w := range append(res.Manifest.Rows.Warnings(), res.Warnings...) { // the manifest and report have them too
		fmt.Fprintln(stderr, "povstat: warning:", w)
	}
	files, err := pipeline.ResultFiles(res.Results, s.Formats)
	if err != nil {
		return err
	}
	files = append(files, res.Files...) // flags.csv, scores.csv of the study's sections
	if slices.Contains(s.Formats, "xlsx") {
		b, err := reports.Workbook(s, res)
		if err != nil {
			return err
		}
		files = append(files, pipeline.File{Name: "results.xlsx", Data: b})
		if b, err = reports.TablesWorkbook(s, res); err != nil {
			return err
		}
		files = append(files, pipeline.File{Name: "tables.xlsx", Data: b})
	}
	if slices.Contains(s.Formats, "parquet") {
		b, err := reports.ParquetTable(res)
		if err != nil {
			return err
		}
		files = append(files, pipeline.File{Name: "results.parquet", Data: b})
	}
	// The annual tables as tables/*.csv and tables/*.parquet, in the
	// formats asked for.
	tables, err := reports.TableFiles(s, res, s.Formats)
	if err != nil {
		return err
	}
	files = append(files, tables...)
	if s.Report {
		files = append(files, pipeline.File{Name: "report.html", Data: reports.HTML(s, res)},
			pipeline.File{Name: "report.md", Data: reports.Markdown(s, res)})
		charts, err := reports.Charts(s, res)
		if err != nil {
			return err
		}
		files = append(files, reports.ChartFiles(charts)...)
	}
	if err := pipeline.WriteOutputs(dir, &res.Manifest, files); err != nil {
		return err
	}
	for _, f := range res.Manifest.Outputs {
		fmt.Fprintln(stdout, filepath.Join(dir, f.Path))
	}
	fmt.Fprintln(stdout, filepath.Join(dir, "manifest.json"))
	return nil
}

//go:embed demo.yaml
var demoStudy []byte

const demoSynopsis = `--out DIR [--households N] [--lang en|zh]

Generates the built-in synthetic panel into DIR/data, writes the demo study to
DIR/study.yaml, runs it (with its compare, dynamics and risk sections) and
writes into DIR results.json, results.csv, results.xlsx, results.parquet, the
annual tables (tables.xlsx, tables/*.csv, tables/*.parquet), flags.csv,
scores.csv, manifest.json, report.html, report.md and charts/.`

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", demoSynopsis, stderr)
	out := fs.String("out", "", "output `DIR`ectory (created if needed)")
	households := fs.Int("households", 20000, "households a year in the demo panel")
	lang := fs.String("lang", "", "language of the report and charts: en or zh (default: the demo study's, en)")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if err := needOut(*out); err != nil {
		return err
	}
	if *lang != "" && *lang != "en" && *lang != "zh" {
		return usagef("--lang %q: want en or zh", *lang)
	}
	cfg := synth.Config{Households: *households, Years: 3, FirstYear: 2020, Seed: 20201231}
	if _, err := synth.Write(ctx, filepath.Join(*out, "data"), cfg); err != nil {
		return fmt.Errorf("generate demo data: %w", err)
	}
	studyPath := filepath.Join(*out, "study.yaml")
	if err := pipeline.WriteFileAtomic(studyPath, demoStudy); err != nil {
		return err
	}
	s, err := pipeline.LoadStudy(studyPath)
	if err != nil {
		return err
	}
	if *lang != "" {
		s.Lang = *lang
	}
	return runStudy(ctx, s, *out, stdout, stderr)
}

const genSynopsis = `--households N --years Y --seed S --out DIR

Writes a synthetic household panel (the same households every year) as
DIR/year=YYYY/households.parquet. Same flags, same bytes.`

func cmdGen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("gen", genSynopsis, stderr)
	households := fs.Int("households", 10000, "households a year")
	years := fs.Int("years", 1, "consecutive years")
	first := fs.Int("first-year", 2020, "first year")
	seed := fs.Uint64("seed", 1, "random seed")
	out := fs.String("out", "", "output `DIR`ectory")
	if err := parseOptions(fs, args); err != nil {
		return err
	}
	if err := needOut(*out); err != nil {
		return err
	}
	if *households <= 0 || *years <= 0 {
		return usagef("--households and --years must be positive")
	}
	cfg := synth.Config{Households: *households, Years: *years, FirstYear: *first, Seed: *seed}
	paths, err := synth.Write(ctx, *out, cfg)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return nil
}
