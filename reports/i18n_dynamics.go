package reports

// The Chinese of the texts of the panel dynamics section (dynamics.go).
func init() {
	for en, zh := range map[string]string{
		"Poverty dynamics": "贫困动态",
		dynamicsIntro:      "按每条贫困线逐年跟踪住户。进入率：上一年不贫困的住户中今年贫困的比例；退出率：上一年贫困的住户中今年不贫困的比例；返贫率：上一年不贫困、但更早某年曾贫困的住户中今年再次贫困的比例。贫困持续性按观察到两年及以上的住户的贫困年数对其分类。监测规则按住户当年的情况进行标记。",
		"Poor":             "贫困",
		"share of the households with a status that are poor (x < z)": "有贫困状态的住户中贫困（x < z）的比例",
		"Entry rate": "进入率",
		"share of the households not poor the year before that are poor": "上一年不贫困的住户中今年贫困的比例",
		"Exit rate": "退出率",
		"share of the households poor the year before that are not poor": "上一年贫困的住户中今年不贫困的比例",
		"Re-entry rate": "返贫率",
		"among the households not poor the year before that had been poor earlier, the share poor again": "上一年不贫困但更早曾贫困的住户中再次贫困的比例",
		"Chronic":                     "长期贫困",
		"poor in every year observed": "观察到的每一年都贫困",
		"Transient":                   "暂时贫困",
		"poor in some of the years observed, not all": "观察到的部分年份贫困",
		"Never poor":               "从未贫困",
		"poor in no year observed": "观察到的年份均不贫困",
		"Share of years poor":      "贫困年数占比",
		"mean share of the years observed in which the household was poor": "住户贫困年数占观察年数的平均比例",
		"Line %s, by %s": "贫困线 %s，按 %s",
		"Spells of the households seen in two years or more":  "观察到两年及以上的住户的贫困持续性",
		"Share of households flagged by each monitoring rule": "各监测规则标记的住户比例",
		"Any rule": "任一规则",
	} {
		zhCatalogue[en] = zh
	}
}
