package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File is one output file: its name inside the output directory and its
// bytes.
type File struct {
	Name string
	Data []byte
}

// ResultFiles returns the results in the formats asked for ("json", "csv")
// as results.json and results.csv. It skips "xlsx" and "parquet", which
// package reports writes (reports.Workbook, reports.ParquetTable).
func ResultFiles(results []Result, formats []string) ([]File, error) {
	var files []File
	for _, f := range formats {
		switch f {
		case "json":
			files = append(files, File{"results.json", EncodeJSON(results)})
		case "csv":
			files = append(files, File{"results.csv", EncodeCSV(results)})
		case "xlsx", "parquet":
		default:
			return nil, fmt.Errorf("unknown output format %q (want json, csv, xlsx or parquet)", f)
		}
	}
	return files, nil
}

// WriteOutputs writes files and then manifest.json (which lists them with
// their SHA-256) into dir, creating it if needed. Every file is first written
// to a temporary name in dir and renamed only when all of them are written,
// so a failure leaves no half-written output.
func WriteOutputs(dir string, m *Manifest, files []File) error {
	start := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create output directory: %w", err)
	}
	m.Outputs = m.Outputs[:0]
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		m.Outputs = append(m.Outputs, OutputRecord{Path: f.Name, SHA256: hex.EncodeToString(sum[:])})
	}
	m.Timings.WriteSeconds = time.Since(start).Seconds()
	all := append(append([]File(nil), files...), File{"manifest.json", m.JSON()})
	temps := make([]string, 0, len(all))
	cleanup := func() {
		for _, t := range temps {
			os.Remove(t)
		}
	}
	for _, f := range all {
		tmp, err := writeTemp(dir, f)
		if err != nil {
			cleanup()
			return err
		}
		temps = append(temps, tmp)
	}
	for i, f := range all {
		if err := os.Rename(temps[i], filepath.Join(dir, f.Name)); err != nil {
			cleanup()
			return fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	return nil
}

// WriteFileAtomic writes data to path through a temporary file in the same
// directory and a rename.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := writeTemp(dir, File{filepath.Base(path), data})
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeTemp(dir string, f File) (string, error) {
	// A name may hold a directory (charts/x.svg): the temporary file goes
	// beside the file it becomes.
	sub, base := filepath.Split(filepath.FromSlash(f.Name))
	if sub != "" {
		dir = filepath.Join(dir, sub)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", fmt.Errorf("write %s: %w", f.Name, err)
		}
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return "", fmt.Errorf("write %s: %w", f.Name, err)
	}
	_, err = tmp.Write(f.Data)
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("write %s: %w", f.Name, err)
	}
	return tmp.Name(), nil
}
