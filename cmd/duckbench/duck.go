package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // registers the "duckdb" driver
)

// duckDB is an in-memory DuckDB with a view u(x, w, province) of the
// registry's persons: x the per-capita income, w = weight × hh_size.
type duckDB struct{ db *sql.DB }

func openDuck(dir string, threads int) (*duckDB, error) {
	db, err := sql.Open("duckdb", fmt.Sprintf("?threads=%d", threads))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	glob := filepath.Join(dir, "**", "*.parquet")
	view := fmt.Sprintf(`CREATE VIEW u AS
		SELECT income AS x, weight * hh_size AS w, CAST(province AS VARCHAR) AS province
		FROM read_parquet('%s', hive_partitioning = true)
		WHERE weight > 0 AND hh_size > 0 AND isfinite(income) AND isfinite(weight)`, strings.ReplaceAll(glob, "'", "''"))
	if _, err := db.Exec(view); err != nil {
		db.Close()
		return nil, fmt.Errorf("create view: %w", err)
	}
	return &duckDB{db: db}, nil
}

func (d *duckDB) Close() error { return d.db.Close() }

// query runs a query whose rows are (key, value); key NULL or ” is the
// whole population.
func (d *duckDB) query(ctx context.Context, q string) (figures, error) {
	rows, err := d.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := figures{}
	for rows.Next() {
		var k sql.NullString
		var v float64
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k.String] = v
	}
	return out, rows.Err()
}

// medianCTE defines med(province, m): laeken's weighted median of x within
// each group of the partition (part: "" for the whole population), from a
// window cumulative sum over the distinct values: the first value whose
// cumulative share reaches 1/2, or the mean of it and the next value when
// the share equals 1/2 exactly.
func medianCTE(part string) string {
	by, sel := "", "NULL::VARCHAR AS province"
	if part != "" {
		by, sel = "PARTITION BY "+part, part
	}
	group := "x"
	if part != "" {
		group = part + ", x"
	}
	return fmt.Sprintf(`g AS (SELECT %[2]s, x, sum(w) AS w FROM u GROUP BY %[3]s),
	c AS (SELECT province, x,
		sum(w) OVER (%[1]s ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
		sum(w) OVER (%[1]s) AS tot,
		lead(x) OVER (%[1]s ORDER BY x) AS nx
		FROM g),
	med AS (SELECT province, arg_min(CASE WHEN cum / tot = 0.5 AND nx IS NOT NULL THEN (x + nx) / 2 ELSE x END, x) AS m
		FROM c WHERE cum / tot >= 0.5 GROUP BY province)`, by, sel, group)
}

const (
	sqlMedian = "WITH " + "%s SELECT province, m FROM med"
	sqlGini   = `WITH c AS (SELECT x, w, sum(w) OVER (ORDER BY x ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cw FROM u)
		SELECT NULL, (2 * sum(w * x * cw) - sum(w * w * x)) / (sum(w) * sum(w * x)) - 1 FROM c`
	sqlHeadcountByProv = "WITH %s SELECT u.province, sum(CASE WHEN x < 0.6 * m THEN w ELSE 0 END) / sum(w) FROM u, med GROUP BY u.province"
)
