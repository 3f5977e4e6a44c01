package reports

func init() {
	for en, zh := range map[string]string{
		"%s, trend by %s":          "%[1]s变化趋势（按 %[2]s）",
		"%s, trend by %s, line %s": "%[1]s变化趋势（按 %[2]s，贫困线 %[3]s）",
		", by %s":                  "，按 %s 分组",
		"per unit, %s":             "每单位，%s",
		"%s; %s":                   "%s；%s",
		"income inequality, %s":    "收入不平等，%s",
		"%s = %s over %s = %s, %s": "%s = %s 与 %s = %s 之比，%s",
	} {
		zhCatalogue[en] = zh
	}
}
