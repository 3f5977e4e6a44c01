package datasets_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/povstat/povstat/datasets"
)

func ExampleOpen() {
	data := "region,income,weight\n" +
		"north,1200,2.5\n" +
		"south,,1\n" +
		"north,900,1.5\n"
	t, err := datasets.Open(strings.NewReader(data), int64(len(data)),
		datasets.Format(datasets.FormatCSV),
		datasets.Name("households.csv"),
		datasets.Columns(
			datasets.Request{Name: "income", Kind: datasets.Numeric},
			datasets.Request{Name: "region", Kind: datasets.Categorical},
		))
	if err != nil {
		fmt.Println(err)
		return
	}
	income, region := t.Column("income"), t.Column("region")
	fmt.Println(t.Rows, income.Float, income.Null)
	fmt.Println(region.Codes, region.Levels)
	// Output:
	// 3 [1200 0 900] [false true false]
	// [0 1 0] [north south]
}

func ExampleRowError() {
	data := "income\n1200\n12OO\n"
	_, err := datasets.Open(strings.NewReader(data), int64(len(data)),
		datasets.Format(datasets.FormatCSV),
		datasets.Name("households.csv"),
		datasets.Columns(datasets.Request{Name: "income", Kind: datasets.Numeric}))
	var re *datasets.RowError
	if errors.As(err, &re) {
		fmt.Println(re.File, re.Column, re.Row, re.Line, errors.Is(err, datasets.ErrBadValue))
	}
	fmt.Println(err)
	// Output:
	// households.csv income 2 3 true
	// households.csv: column "income", row 2 (line 3): value is not a number: "12OO"
}
