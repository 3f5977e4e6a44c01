package povbeam

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Split is one row group of one Parquet file: the unit of parallel work.
// Index numbers the splits of a job in file order, then row group order, so
// that partial results merge in the same order on every run.
type Split struct {
	Path     string
	RowGroup int
	Index    int
}

// listSplits returns the row groups of the files, in order.
func listSplits(paths []string) ([]Split, error) {
	var out []Split
	for _, p := range paths {
		f, pf, err := openParquet(p)
		if err != nil {
			return nil, err
		}
		for k := range pf.RowGroups() {
			out = append(out, Split{Path: p, RowGroup: k, Index: len(out)})
		}
		f.Close()
	}
	return out, nil
}

func openParquet(path string) (*os.File, *parquet.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: reading footer of parquet file: %w", path, err)
	}
	return f, pf, nil
}

// unit is one unit of analysis of a row group after screening.
type unit struct {
	x, w   float64
	domain string // the values of the breakdown columns, joined by \x00
}

// readSplit reads the job's columns from one row group, screens the rows as
// datasets.Screen does (a missing or non-finite income or weight, a weight
// <= 0, a missing or non-positive size leave the row out) and calls add for
// every unit: income x, weight w (times the size where units are persons of
// household rows) and its domain of the job's breakdown.
func readSplit(j *Job, sp Split, add func(unit)) error {
	f, pf, err := openParquet(sp.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	if sp.RowGroup >= len(pf.RowGroups()) {
		return fmt.Errorf("%s: no row group %d", sp.Path, sp.RowGroup)
	}
	col := func(name string) (int, error) {
		if name == "" {
			return -1, nil
		}
		leaf, ok := pf.Schema().Lookup(name)
		if !ok {
			return -1, fmt.Errorf("%s: no column %q", sp.Path, name)
		}
		return leaf.ColumnIndex, nil
	}
	inc, err := col(j.Income)
	if err != nil {
		return err
	}
	wt, err := col(j.Weight)
	if err != nil {
		return err
	}
	size, err := col(j.Size)
	if err != nil {
		return err
	}
	by := make([]int, len(j.By))
	hive := hiveValues(sp.Path)
	for i, c := range j.By {
		if _, ok := pf.Schema().Lookup(c); !ok {
			if _, ok := hive[c]; ok {
				by[i] = -1
				continue
			}
		}
		if by[i], err = col(c); err != nil {
			return err
		}
	}
	rows := pf.RowGroups()[sp.RowGroup].Rows()
	defer rows.Close()
	buf := make([]parquet.Row, 1024)
	persons := j.Size != "" && j.Unit == "persons"
	for {
		n, err := rows.ReadRows(buf)
		for _, row := range buf[:n] {
			x, okX := number(row[inc])
			w, okW := number(row[wt])
			if !okX || !okW || !(w > 0) {
				continue
			}
			if size >= 0 {
				s, ok := number(row[size])
				if !ok || !(s > 0) {
					continue
				}
				if persons {
					w *= s
				}
			}
			var key strings.Builder
			for i, c := range by {
				if i > 0 {
					key.WriteByte(0)
				}
				if c < 0 {
					key.WriteString(hive[j.By[i]])
				} else {
					key.WriteString(level(row[c]))
				}
			}
			add(unit{x: x, w: w, domain: key.String()})
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: row group %d: %w", sp.Path, sp.RowGroup, err)
		}
	}
}

// number returns a numeric value as float64; false when null or not finite.
func number(v parquet.Value) (float64, bool) {
	if v.IsNull() {
		return 0, false
	}
	var x float64
	switch v.Kind() {
	case parquet.Double:
		x = v.Double()
	case parquet.Float:
		x = float64(v.Float())
	case parquet.Int32:
		x = float64(v.Int32())
	case parquet.Int64:
		x = float64(v.Int64())
	default:
		return 0, false
	}
	return x, !math.IsNaN(x) && !math.IsInf(x, 0)
}

// level is a categorical value as datasets writes its levels: integers in
// decimal, booleans as true/false, floats shortest, strings as they are,
// null as "".
func level(v parquet.Value) string {
	if v.IsNull() {
		return ""
	}
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Float:
		return strconv.FormatFloat(float64(v.Float()), 'g', -1, 32)
	case parquet.Double:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	}
	return string(v.ByteArray())
}

// hiveValues returns the key=value directories of a path.
func hiveValues(path string) map[string]string {
	out := map[string]string{}
	for _, part := range strings.Split(filepath.ToSlash(filepath.Dir(path)), "/") {
		if k, v, ok := strings.Cut(part, "="); ok && k != "" {
			out[k] = v
		}
	}
	return out
}
