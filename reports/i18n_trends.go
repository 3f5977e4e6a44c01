package reports

func init() {
	for en, zh := range map[string]string{
		"%s, trend by %s":          "%[1]s变化趋势（按 %[2]s）",
		"%s, trend by %s, line %s": "%[1]s变化趋势（按 %[2]s，贫困线 %[3]s）",
		", by %s":                  "，按 %s 分组",
	} {
		zhCatalogue[en] = zh
	}
}
