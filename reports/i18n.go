package reports

import (
	"fmt"
	"regexp"
	"strings"
)

// T returns the text of the report in language lang ("en" or "zh") for the
// English text en: the Chinese of the catalogue when lang is "zh" and the
// catalogue has it, else en. Every label, heading and chart text of the
// report goes through T, so that a report in Chinese has no English left
// but names from the data and the study file.
func T(lang, en string) string {
	if lang == "zh" {
		if zh, ok := zhCatalogue[en]; ok {
			return zh
		}
	}
	return en
}

// Tf formats args with the format of language lang: T(lang, format), whose
// Chinese may take the arguments in another order (%[2]s). The English
// format is the key of the catalogue.
func Tf(lang, format string, args ...any) string {
	return fmt.Sprintf(T(lang, format), args...)
}

// htmlLang is the value of the lang attribute of the report's <html>.
func htmlLang(lang string) string {
	if lang == "zh" {
		return "zh-CN"
	}
	return "en"
}

// pluralIn counts a noun in language lang: "1 row", "1,234 rows" in
// English (plural), "1,234行" in Chinese, with the measure word of the
// catalogue's translation of the noun.
func pluralIn(lang string, n int, noun string) string {
	if lang != "zh" {
		return plural(n, noun)
	}
	return thousands(float64(n)) + T(lang, noun)
}

// describeIn names a breakdown in language lang: its columns joined by
// " × ", or the whole population.
func describeIn(lang string, cols []string) string {
	if len(cols) == 0 {
		return T(lang, "whole population")
	}
	return describe(cols)
}

// byCaption is the caption of the table of a breakdown: "By province ×
// year" ("By whole population" for none), "按 province × year 分组" ("总体").
func byCaption(lang string, cols []string) string {
	if lang == "zh" && len(cols) == 0 {
		return T(lang, "whole population")
	}
	return Tf(lang, "By %s", describeIn(lang, cols))
}

// captionLink is the text of the link to a table in the table of contents:
// its caption without "By " (or the Chinese 按 … 分组).
func captionLink(lang, caption string) string {
	if lang == "zh" {
		if c, ok := strings.CutPrefix(caption, "按 "); ok {
			return strings.TrimSuffix(c, " 分组")
		}
		return caption
	}
	return strings.TrimPrefix(caption, "By ")
}

// andListIn joins "a", "b" and "c" as "a, b and c" (andList) or "a、b和c".
func andListIn(lang string, xs []string) string {
	if lang != "zh" {
		return andList(xs)
	}
	if len(xs) < 2 {
		return strings.Join(xs, "")
	}
	return strings.Join(xs[:len(xs)-1], "、") + "和" + xs[len(xs)-1]
}

// leftOutWarning is the pipeline's warning about the units an indicator
// leaves out for their income ≤ 0, after tidyWarning.
var leftOutWarning = regexp.MustCompile(`^(\S+): ([\d,]+) units \(weighted ([\d,]+)\) with income <= 0( \(line ([^)]*)\))? are left out of it, as in R convey; see excluded_n in the results$`)

// warningIn writes a warning of the pipeline in language lang: the one
// about incomes ≤ 0 is translated; the others, rarer, stay as the
// pipeline wrote them.
func warningIn(lang, w string) string {
	m := leftOutWarning.FindStringSubmatch(w)
	if lang != "zh" || m == nil {
		return w
	}
	if m[4] != "" {
		return Tf(lang, "%s: %s units (weighted %s) with income <= 0 (line %s) are left out of it, as in R convey; see excluded_n in the results", m[1], m[2], m[3], m[5])
	}
	return Tf(lang, "%s: %s units (weighted %s) with income <= 0 are left out of it, as in R convey; see excluded_n in the results", m[1], m[2], m[3])
}

// zhCatalogue maps the English texts of the report to Chinese, in the
// words of a Chinese statistics bureau (贫困发生率, 基尼系数, 标准误, ...).
// A format (for Tf) keeps its verbs; %[n]s reorders them. Names of
// indicators, columns and lines, formulas and references stay as they are.
// Other files add the texts of their sections in an init function.
var zhCatalogue = map[string]string{
	" — povstat report":        " — povstat 报告",
	"Contents":                 "目录",
	"Key figures":              "主要指标",
	"Warnings":                 "警告",
	"Poverty lines":            "贫困线",
	"Poverty by domain":        "分组贫困状况",
	"Methods":                  "方法说明",
	"Data and provenance":      "数据与来源",
	"Study":                    "研究设置",
	"Software":                 "软件",
	"Population and income":    "人口与收入",
	"Inequality":               "收入不平等",
	"Regional disparity":       "地区差距",
	"Group ratios":             "组间收入比",
	"Disparity coefficients":   "差距系数",
	"Regional mean income":     "地区平均收入",
	"Inequality and disparity": "不平等与地区差距",
	"Poverty by line":          "各贫困线下的贫困状况",
	"The value of each line, in each group it is computed in; the reference rows and population are the units the line was computed from.":                                                                                                                                                                                                                                                                                                             "各贫困线在其计算分组中的取值；参照样本行数和参照人口为计算该贫困线所依据的单位。",
	"Each line in the whole population and in each breakdown. Hover a column heading for its definition; a dash marks an estimate that does not exist, with the reason on hover. Tables with more than 12 rows are folded: click to open.":                                                                                                                                                                                                             "各贫困线在总体及各分组中的贫困指标。将鼠标悬停在列标题上可查看其定义；短横线表示该估计值不存在，悬停可查看原因。超过12行的表格默认折叠，点击即可展开。",
	"Inequality of income among the units of each domain. Gini, Theil and the other entropy and Atkinson measures are indices (0 when every unit has the same income); S80/S20 and Palma are ratios of the income of a top group to that of a bottom group; income shares are percentages of the domain's income. The entropy measures leave out the incomes their formula cannot take: see the note under a table, and hover a value for its domain.": "各子总体内部的收入不平等。基尼系数、泰尔指数及其他广义熵指数和阿特金森指数均为指数（所有单位收入相同时为0）；S80/S20和帕尔玛比值为高收入组与低收入组的收入之比；收入份额为占该子总体总收入的百分比。广义熵类指标会剔除其公式无法处理的收入值：详见表下注释，悬停在数值上可查看其所属子总体。",
	"How far apart the mean incomes of the <code>%s</code> groups are, in the whole population and in each domain of the breakdowns that do not include <code>%s</code>.":                                                                                                                                                                                                                                                                              "<code>%[1]s</code> 各组平均收入之间的差距，包括总体以及不含 <code>%[2]s</code> 的各分组中的每个子总体。",
	"The weighted mean income of the units of one group over that of the units of another, in each domain. A breakdown by the column of a ratio has one of its two groups empty in every domain and is not shown for that ratio.":                                                                                                                                                                                                                      "各子总体中一组单位的加权平均收入与另一组单位的加权平均收入之比。按比值所用列分组时，每个子总体中总有一组为空，因此该比值不在此类分组中列出。",
	"CV and Williamson are coefficients of variation of the regional mean incomes, unweighted and weighted by population; max / min is the highest regional mean over the lowest. The Theil terms are indices; the between share is the part of Theil's index due to the differences between the regional means, as a percentage.":                                                                                                                     "变异系数和威廉姆森系数分别是地区平均收入的未加权和按人口加权的变异系数；最高/最低比为最高地区平均收入与最低地区平均收入之比。泰尔分解各项为指数；组间占比为泰尔指数中由地区平均收入差异造成的部分，以百分比表示。",
	" Breakdowns that include %s (%s) have a single region in each domain and are not shown.":                        "包含 %s 的分组（%s）在每个子总体中只有一个地区，不予列出。",
	"The weighted mean income of each %s group in each domain; a dash marks a group without any unit in the domain.": "各子总体中每个 %s 组的加权平均收入；短横线表示该组在此子总体中没有单位。",
	"Poverty lines and poverty indicators":             "贫困线和贫困指标",
	"Poverty lines, poverty and inequality indicators": "贫困线、贫困指标和收入不平等指标",
	"%s of the study %s":                               "研究 %[2]s 的%[1]s",
	", computed from %s":                               "，根据%s数据计算",
	", computed from %s in %s":                         "，根据%[2]s中的%[1]s数据计算",
	". Figures are weighted counts and shares of %s; a unit is poor when its income is strictly below the line. ":                                                                              "。各项数字均为%s的加权数量和比例；收入严格低于贫困线的单位视为贫困。",
	"Headcount, gap, severity, the relative median gap and income shares are percentages; Watts, Sen, Gini and the entropy measures are indices; S80/S20, Palma and group ratios are ratios. ": "贫困发生率、贫困缺口指数、贫困强度指数、相对中位数贫困缺口和收入份额为百分比；瓦茨指数、森指数、基尼系数和广义熵类指标为指数；S80/S20、帕尔玛比值和组间收入比为比值。",
	"Headcount, gap, severity and the relative median gap are percentages; Watts and Sen are indices. ":                                                                                        "贫困发生率、贫困缺口指数、贫困强度指数和相对中位数贫困缺口为百分比；瓦茨指数和森指数为指数。",
	"The whole population pools every row used.": "总体包含所有使用的样本行。",
	" Under each estimate with a standard error, in small type, its %s confidence interval; hover it for the standard error, the relative standard error (RSE) and the method.": "有标准误的估计值下方以小号字显示其%s置信区间；鼠标悬停可查看标准误、相对标准误（RSE）和估计方法。",
	" † marks an unreliable estimate, with an RSE above %s.": "† 表示相对标准误超过%s的不可靠估计值。",
	"units":                               "单位",
	"persons":                             "人",
	"households":                          "户",
	"person":                              "人",
	"household":                           "户",
	"unit":                                "单位",
	"none":                                "无",
	"per-capita":                          "人均",
	"oecd":                                "OECD修正等值规模",
	"sqrt":                                "家庭规模平方根",
	"exclude":                             "剔除",
	"error":                               "报错",
	"linearized":                          "泰勒线性化",
	"bootstrap":                           "自助法（bootstrap）",
	"replicates":                          "重复权数",
	"excluded":                            "已剔除",
	"kept":                                "保留",
	"fixed: no sampling error":            "固定值：无抽样误差",
	"row":                                 "行",
	"input file":                          "个输入文件",
	"group":                               "个组",
	"domain":                              "个子总体",
	"region":                              "个地区",
	"file":                                "个文件",
	"replicate":                           "次重复抽样",
	"unreliable estimate":                 "个不可靠估计值",
	"Population (%s)":                     "人口（%s）",
	"%s of %s read":                       "%s（共读取%s行）",
	"per unit, whole population":          "每单位，总体",
	"Gini coefficient":                    "基尼系数",
	"income inequality, whole population": "收入不平等，总体",
	"Williamson coefficient":              "威廉姆森系数",
	"population-weighted CV of the mean incomes of the %s groups": "%s 各组平均收入的人口加权变异系数",
	"population-weighted CV of the mean incomes of %s":            "%s平均收入的人口加权变异系数",
	"population-weighted CV of the mean incomes of %d %s groups":  "%[1]d个 %[2]s 组平均收入的人口加权变异系数",
	"Mean income ratio":                      "平均收入比",
	"%s = %s over %s = %s, whole population": "%s = %s 与 %s = %s 之比，总体",
	"Williamson coefficient (%s)":            "威廉姆森系数（%s）",
	"Mean income ratio %s":                   "平均收入比 %s",
	"Indicator":                              "指标",
	"Whole population":                       "总体",
	"whole population":                       "总体",
	"Line":                                   "贫困线",
	"Definition":                             "定义",
	"Line value":                             "贫困线值",
	"the line; a range when it is computed in groups": "贫困线取值；分组计算时为取值范围",
	"%s where %s = %s":          "%s，其中 %s = %s",
	"Headcount by %s":           "按 %s 分的贫困发生率",
	"not computed":              "未计算",
	"no value":                  "无取值",
	"%s by %s":                  "按 %[2]s 分为%[1]s",
	"fixed at %s":               "固定为%s",
	"%s%% of the median income": "收入中位数的%s%%",
	"%s%% of the mean income":   "平均收入的%s%%",
	"%s%% of the median income of units with %s": "%[2]s 的单位收入中位数的%[1]s%%",
	"%s%% of the mean income of units with %s":   "%[2]s 的单位平均收入的%[1]s%%",
	" of units with %s":                          "，参照 %s 的单位",
	" and ":                                      " 且 ",
	", computed in each %s":                      "，在每个 %s 分组内分别计算",
	"Line values":                                "贫困线取值",
	"Reference rows":                             "参照样本行数",
	"Reference population":                       "参照人口",
	"rows the line was computed from":            "计算贫困线所用的样本行数",
	"weighted units the line was computed from":  "计算贫困线所用的加权单位数",
	"; from %s to %s":                            "；从%s到%s",
	"Line %s":                                    "贫困线 %s",
	"By %s":                                      "按 %s 分组",
	"By %s, by %s":                               "按 %s 分组，再按 %s 分",
	"No result for this breakdown.":              "该分组没有结果。",
	"no estimate":                                "无估计值",
	"%s left out":                                "剔除%s",
	" (%s weighted)":                             "（加权数%s）",
	"All":                                        "全部",
	"Mean income by %s":                          "按 %s 分的平均收入",
	"mean income of each %s group in the whole population": "总体中每个 %s 组的平均收入",
	"mean income of each %s group where %s":                "%[2]s 时每个 %[1]s 组的平均收入",
	"no unit of this %s in this domain":                    "此子总体中没有该 %s 的单位",
	"%s, population %s":                                    "%s，人口%s",
	"Population":                                           "人口",
	"population: weighted number of units":                 "population：加权单位数",
	"Rows":                                                 "样本行数",
	"n: rows of the sample":                                "n：样本行数",
	"Mean income":                                          "平均收入",
	"mean: weighted mean income":                           "mean：加权平均收入",
	"Median income":                                        "收入中位数",
	"median: weighted median income":                       "median：加权收入中位数",
	"Headcount":                                            "贫困发生率",
	"headcount, FGT(0): share of units below the line":     "headcount，FGT(0)：收入低于贫困线的单位所占比例",
	"Poverty gap":                                          "贫困缺口指数",
	"gap, FGT(1): mean relative shortfall":                 "gap，FGT(1)：平均相对贫困缺口（贫困深度）",
	"Severity":                                             "贫困强度",
	"severity, FGT(2): mean squared relative shortfall":    "severity，FGT(2)：相对贫困缺口平方的平均值",
	"Watts":              "瓦茨指数",
	"watts: Watts index": "watts：瓦茨指数",
	"Sen":                "森指数",
	"sen: Sen index":     "sen：森指数",
	"Rel. median gap":    "相对中位数贫困缺口",
	"rmpg: (line − median income of the poor) / line": "rmpg：（贫困线 − 贫困人口收入中位数）/ 贫困线",
	"Poor population": "贫困人口",
	"poor_population: weighted number of poor units": "poor_population：加权贫困单位数",
	"Total gap": "贫困缺口总额",
	"gap_total: money that lifts every poor unit to the line": "gap_total：使每个贫困单位恰好达到贫困线所需的资金",
	"Gini": "基尼系数",
	"gini: Gini coefficient (Eurostat/laeken weighted formula)": "gini：基尼系数（欧盟统计局/laeken加权公式）",
	"Theil T": "泰尔T指数",
	"theil_t: Theil T index, GE(1); incomes ≤ 0 left out": "theil_t：泰尔T指数，GE(1)；剔除收入 ≤ 0 的单位",
	"Theil L": "泰尔L指数",
	"theil_l: mean log deviation, GE(0); incomes ≤ 0 left out": "theil_l：平均对数偏差，GE(0)；剔除收入 ≤ 0 的单位",
	"S80/S20": "S80/S20",
	"qsr: income of the units above the 80th percentile over that of the units at or below the 20th": "qsr：收入高于第80百分位数的单位的收入与收入不高于第20百分位数的单位的收入之比",
	"Palma": "帕尔玛比值",
	"palma: income of the units above the 90th percentile over that of the units at or below the 40th": "palma：收入高于第90百分位数的单位的收入与收入不高于第40百分位数的单位的收入之比",
	"region_mean: weighted mean income of the region":                                                  "region_mean：该地区的加权平均收入",
	"CV": "变异系数",
	"cv: coefficient of variation of the regional mean incomes, unweighted": "cv：地区平均收入的变异系数（未加权）",
	"Williamson": "威廉姆森系数",
	"williamson: coefficient of variation of the regional mean incomes weighted by population": "williamson：按人口加权的地区平均收入变异系数",
	"Max / min": "最高/最低比",
	"max_min_ratio: highest over lowest regional mean income": "max_min_ratio：最高地区平均收入与最低地区平均收入之比",
	"Between": "组间",
	"theil_t_between: Theil T between regions, as if every unit had the mean income of its region": "theil_t_between：地区间泰尔T指数，即假定每个单位的收入等于其所在地区平均收入时的指数",
	"Within": "组内",
	"theil_t_within: income-share-weighted sum of the Theil T of each region": "theil_t_within：各地区泰尔T指数按收入份额加权之和",
	"Between share": "组间占比",
	"theil_t_between_share: between-region part of Theil T, as a share of the total":               "theil_t_between_share：泰尔T指数中地区间部分占总体的比例",
	"theil_l_between: Theil L between regions, as if every unit had the mean income of its region": "theil_l_between：地区间泰尔L指数，即假定每个单位的收入等于其所在地区平均收入时的指数",
	"theil_l_within: population-share-weighted sum of the Theil L of each region":                  "theil_l_within：各地区泰尔L指数按人口份额加权之和",
	"theil_l_between_share: between-region part of Theil L, as a share of the total":               "theil_l_between_share：泰尔L指数中地区间部分占总体的比例",
	"Theil T decomposition": "泰尔T指数分解",
	"Theil L decomposition": "泰尔L指数分解",
	"Quintile shares":       "五等分组收入份额",
	"Decile shares":         "十等分组收入份额",
	"incomes ≤ 0":           "收入 ≤ 0 的单位",
	"incomes < 0":           "收入 < 0 的单位",
	"%s: share of income of the units in decile group %d of %d":   "%s：十等分组中第%d组（共%d组）单位的收入份额",
	"%s: share of income of the units in quintile group %d of %d": "%s：五等分组中第%d组（共%d组）单位的收入份额",
	"%s: generalized entropy index of order %s; %s left out":      "%s：%s阶广义熵指数；剔除%s",
	"Atkinson(%s)": "阿特金森(%s)",
	"%s: Atkinson index with inequality aversion %s; %s left out":                               "%s：不平等厌恶参数为%s的阿特金森指数；剔除%s",
	"ratio: weighted mean income of the units with %s = %s over that of the units with %s = %s": "ratio：%s = %s 的单位加权平均收入与 %s = %s 的单位加权平均收入之比",
	"%s leaves out %s with %s": "%[1]s剔除了%[3]s，共%[2]s",
	"%s leave out %s with %s":  "%[1]s剔除了%[3]s，共%[2]s",
	"; ":                       "；",
	", over all domains together; hover a value for its domain": "，为所有子总体合计；悬停在数值上可查看各子总体的情况",
	".":                               "。",
	", ":                              "，",
	": ":                              "：",
	"Income":                          "收入",
	"Weight":                          "权数",
	"Household size":                  "家庭规模",
	"Adults":                          "成年人数",
	"Children":                        "儿童数",
	"Unit":                            "统计单位",
	"A row is":                        "每行数据为",
	"Equivalence scale":               "等值规模",
	"Breakdowns":                      "分组",
	"Indicators":                      "指标",
	"Incomes ≤ 0 in Watts":            "瓦茨指数中收入 ≤ 0 的处理",
	"Study file":                      "研究文件",
	"Study SHA-256":                   "研究文件 SHA-256",
	"Seed":                            "随机种子",
	"Inputs":                          "输入文件",
	"No input file recorded.":         "未记录输入文件。",
	"File":                            "文件",
	"Row groups":                      "行组数",
	"No row was excluded or flagged.": "没有样本行被剔除或标记。",
	"Rule":                            "规则",
	"Column":                          "列",
	"Action":                          "处理",
	"Examples":                        "示例",
	"%s rows read, %s used":           "读取%s行，使用%s行",
	"no standard error for this indicator (see Methods)": "该指标无标准误（见方法说明）",
	"no standard error (%s)":                             "无标准误（%s）",
	"confidence interval %s":                             "置信区间 %s",
	"SE %s":                                              "标准误 %s",
	", RSE %s":                                           "，相对标准误 %s",
	", design effect %s":                                 "，设计效应 %s",
	": unreliable":                                       "：不可靠",
	" to ":                                               " 至 ",
	" pp":                                                "个百分点",
	"%s CI %s":                                           "%s置信区间 %s",
	"† Relative standard error above the study's limit: unreliable, to be read with caution (as Eurostat's flag “u”, low reliability).": "† 相对标准误超过研究设定的上限：估计值不可靠，使用时须谨慎（相当于欧盟统计局的“u”标记，即可靠性低）。",
	"† Relative standard error above %s: unreliable, to be read with caution (as Eurostat's flag “u”, low reliability).":                "† 相对标准误超过%s：估计值不可靠，使用时须谨慎（相当于欧盟统计局的“u”标记，即可靠性低）。",
	"add nothing (%s)": "不计入方差（%s）",
	"add the mean contribution of the other strata (average)":                                                  "计入其他层的平均贡献（average）",
	"would stop the run (fail); there is none":                                                                 "将使运行终止（fail）；本研究中没有此类层",
	"add the squared deviation of their PSU total from the mean PSU total of the design (adjust, as R survey)": "计入其PSU总量与全部PSU总量均值之差的平方（adjust，同R survey）",
	"Strata":                          "分层变量",
	"PSU":                             "PSU",
	"Sampling fraction":               "抽样比",
	"; %s confidence intervals":       "；%s置信区间",
	"; unreliable above an RSE of %s": "；相对标准误超过%s视为不可靠",
	"Standard errors":                 "标准误",
	"%s replicates, seed %s":          "%s次重复抽样，随机种子%s",
	"Sample design: ":                 "样本设计：",
	"strata <code>%s</code>":          "分层变量 <code>%s</code>",
	"a single stratum":                "不分层",
	"primary sampling units (PSUs) <code>%s</code>, nested in the strata":                                                 "初级抽样单元（PSU）<code>%s</code>，嵌套于层内",
	"every row its own primary sampling unit (PSU)":                                                                       "每行数据各为一个初级抽样单元（PSU）",
	"sampling fractions <code>%s</code>":                                                                                  "抽样比 <code>%s</code>",
	"without finite population correction":                                                                                "不作有限总体校正",
	"; in the linearized variances, strata with a single PSU %s":                                                          "；在线性化方差中，只有一个PSU的层%s",
	". Confidence intervals are estimate ± t·SE at the %s level":                                                          "。置信区间为估计值 ± t·标准误，置信水平为%s",
	", t from Student's distribution with %s degrees of freedom (PSUs minus strata, as R survey)":                         "，t取自自由度为%s的t分布（PSU数减层数，同R survey）",
	", except Woodruff's intervals":                                                                                       "，Woodruff区间除外",
	". The relative standard error (RSE) is SE / |estimate|":                                                              "。相对标准误（RSE）= 标准误 / |估计值|",
	"; the design effect is the variance over that of simple random sampling of as many units":                            "；设计效应为估计方差与同样本量简单随机抽样方差之比",
	" An estimate with an RSE above %s is unreliable: it is shown lighter and marked †, with a footnote under its table.": "相对标准误超过%s的估计值不可靠：以浅色显示并标注 †，表下附脚注说明。",
	"Taylor linearization: each estimator is replaced by its linearized variable z<sub>i</sub> (its influence function: Deville 1999; Osier 2009; as R convey), and V = Σ<sub>h</sub> (1 − f<sub>h</sub>) n<sub>h</sub>/(n<sub>h</sub> − 1) Σ<sub>p</sub> (t<sub>hp</sub> − t̄<sub>h</sub>)<sup>2</sup>, with t<sub>hp</sub> = Σ w<sub>i</sub> z<sub>i</sub> over the units of PSU p of stratum h, n<sub>h</sub> the PSUs of stratum h and f<sub>h</sub> its sampling fraction: the one-stage with-replacement (ultimate cluster) formula of R survey (Wolter 2007). A domain's linearized variable is zero outside it: domains are never cut out of the sample.": "泰勒线性化：每个估计量以其线性化变量 z<sub>i</sub>（即影响函数：Deville 1999；Osier 2009；同R convey）代替，V = Σ<sub>h</sub> (1 − f<sub>h</sub>) n<sub>h</sub>/(n<sub>h</sub> − 1) Σ<sub>p</sub> (t<sub>hp</sub> − t̄<sub>h</sub>)<sup>2</sup>，其中 t<sub>hp</sub> = Σ w<sub>i</sub> z<sub>i</sub> 为第 h 层第 p 个PSU内各单位之和，n<sub>h</sub> 为第 h 层的PSU数，f<sub>h</sub> 为其抽样比：即R survey的单阶段放回抽样（最终群）公式（Wolter 2007）。子总体的线性化变量在子总体之外为零：子总体从不从样本中截出。",
	" The line is held fixed, as if known without error, for ": "以下指标将贫困线视为已知、无误差的固定值：",
	" The standard error includes the sampling variance of the line itself (R convey's <code>svyarpr</code>: the density of incomes at the line, Gaussian kernel, times the linearized median or mean of the line's reference units; Osier 2009) for ": "以下指标的标准误包含贫困线本身的抽样方差（R convey的 <code>svyarpr</code>：贫困线处收入的密度（高斯核）乘以贫困线参照单位的线性化中位数或均值；Osier 2009）：",
	"The median and the value of the lines %s have": "收入中位数以及贫困线 %s 的取值采用",
	"The median and the value of the line %s have":  "收入中位数以及贫困线 %s 的取值采用",
	"The median has": "收入中位数采用",
	" Woodruff's interval (1952): the interval 0.5 ± t·SE(F̂) of the income distribution function at the median, read back through the weighted quantile function, with SE = (upper − lower)/(2t), as R survey's <code>svyquantile</code>; it need not be symmetric.":                                                                                                                                                                                                                                                     "Woodruff区间（1952）：在中位数处取收入分布函数的区间 0.5 ± t·SE(F̂)，再经加权分位数函数反推得到，标准误 = （上限 − 下限）/(2t)，同R survey的 <code>svyquantile</code>；该区间不一定对称。",
	"Rao–Wu rescaled bootstrap (%s), as R survey's <code>subbootstrap</code>: in each stratum n<sub>h</sub> − 1 of its n<sub>h</sub> PSUs are drawn with replacement and the weights of a PSU drawn k times are multiplied by k n<sub>h</sub>/(n<sub>h</sub> − 1); the whole study, lines included, is estimated again with the weights of each of the R replicates, and V = Σ<sub>r</sub> (θ<sub>r</sub> − θ̄)<sup>2</sup>/(R − 1). Every indicator gets a standard error, and estimated lines add their own variation.": "Rao–Wu重标度自助法（%s），同R survey的 <code>subbootstrap</code>：在每一层中从其 n<sub>h</sub> 个PSU中有放回地抽取 n<sub>h</sub> − 1 个，被抽中 k 次的PSU的权数乘以 k n<sub>h</sub>/(n<sub>h</sub> − 1)；用 R 组重复权数中的每一组对整个研究（包括贫困线）重新估计，V = Σ<sub>r</sub> (θ<sub>r</sub> − θ̄)<sup>2</sup>/(R − 1)。每个指标都有标准误，估计得到的贫困线也计入其自身的变异。",
	"No standard error by linearization for ": "以下指标无法用线性化方法计算标准误：",
	": the bootstrap (<code>--se bootstrap</code>, study <code>variance: {method: bootstrap}</code>) gives one.": "；自助法（<code>--se bootstrap</code>，研究文件 <code>variance: {method: bootstrap}</code>）可以给出。",
	" The values of the lines %s have none (a line computed in groups has none by linearization).":               "贫困线 %s 的取值没有标准误（分组计算的贫困线无法用线性化方法计算标准误）。",
	" under every line":                 "（所有贫困线）",
	" under %s":                         "（贫困线 %s）",
	"Weighted quantiles and the median": "加权分位数与中位数",
	"Eurostat definition, as R laeken's <code>weightedQuantile</code>: with incomes sorted and cumulative weight shares c<sub>i</sub>, Q(p) is the first income with c<sub>i</sub> ≥ p, or the mean of it and the next income when c<sub>i</sub> = p exactly.": "欧盟统计局定义，同R laeken的 <code>weightedQuantile</code>：将收入排序并计算累计权数份额 c<sub>i</sub>，Q(p) 为第一个满足 c<sub>i</sub> ≥ p 的收入；当 c<sub>i</sub> 恰好等于 p 时，取该收入与下一个收入的平均值。",
	"Relative lines": "相对贫困线",
	"A line <code>median:f</code> or <code>mean:f</code> is f times the weighted median or mean income of its reference units, computed separately in each group of its <code>@</code> columns and over the <code>?</code> subpopulation only. Each unit is compared with the line of its own group.": "贫困线 <code>median:f</code> 或 <code>mean:f</code> 为其参照单位加权收入中位数或均值的 f 倍，在其 <code>@</code> 列的每个分组内分别计算，且只基于 <code>?</code> 指定的子总体。每个单位与其所在分组的贫困线比较。",
	"FGT family (Foster, Greer &amp; Thorbecke 1984)": "FGT指数族（Foster、Greer 和 Thorbecke，1984）",
	"P<sub>α</sub> = Σ w<sub>i</sub> [x<sub>i</sub> &lt; z] ((z − x<sub>i</sub>)/z)<sup>α</sup> / Σ w<sub>i</sub>: headcount (α = 0), poverty gap (α = 1), severity (α = 2). Poor population = Σ w<sub>i</sub>[x<sub>i</sub> &lt; z]; total gap = Σ w<sub>i</sub>[x<sub>i</sub> &lt; z](z − x<sub>i</sub>), the budget of perfect targeting.": "P<sub>α</sub> = Σ w<sub>i</sub> [x<sub>i</sub> &lt; z] ((z − x<sub>i</sub>)/z)<sup>α</sup> / Σ w<sub>i</sub>：贫困发生率（α = 0）、贫困缺口指数（α = 1）、贫困强度指数（α = 2）。贫困人口 = Σ w<sub>i</sub>[x<sub>i</sub> &lt; z]；贫困缺口总额 = Σ w<sub>i</sub>[x<sub>i</sub> &lt; z](z − x<sub>i</sub>)，即精准瞄准时所需的预算。",
	"Watts (1968)": "瓦茨指数（Watts，1968）",
	"W = Σ w<sub>i</sub> [x<sub>i</sub> &lt; z] ln(z/x<sub>i</sub>) / Σ w<sub>i</sub> over units with x<sub>i</sub> &gt; 0; units with income ≤ 0 are left out and counted, as in R convey.": "W = Σ w<sub>i</sub> [x<sub>i</sub> &lt; z] ln(z/x<sub>i</sub>) / Σ w<sub>i</sub>，只计收入 x<sub>i</sub> &gt; 0 的单位；收入 ≤ 0 的单位予以剔除并计数，同R convey。",
	"Sen (1976)": "森指数（Sen，1976）",
	"S = H (I + (1 − I) G<sub>p</sub>), with H the headcount, I the mean relative gap of the poor and G<sub>p</sub> the Gini coefficient (laeken's weighted formula) of the incomes of the poor relative to their line.": "S = H (I + (1 − I) G<sub>p</sub>)，其中 H 为贫困发生率，I 为贫困人口的平均相对缺口，G<sub>p</sub> 为贫困人口相对其贫困线的收入的基尼系数（laeken加权公式）。",
	"Relative median poverty gap (Eurostat)":      "相对中位数贫困缺口（欧盟统计局）",
	"rmpg = (z − median income of the poor) / z.": "rmpg = （z − 贫困人口收入中位数）/ z。",
	"Gini coefficient (Eurostat; R laeken)":       "基尼系数（欧盟统计局；R laeken）",
	"G = (2 Σ w<sub>i</sub> x<sub>i</sub> C<sub>i</sub> − Σ w<sub>i</sub><sup>2</sup> x<sub>i</sub>) / (N Σ w<sub>i</sub> x<sub>i</sub>) − 1, over incomes sorted increasingly, with C<sub>i</sub> = Σ<sub>j ≤ i</sub> w<sub>j</sub> the cumulative weight and N = Σ w<sub>i</sub>: the weighted formula of Eurostat and of laeken's <code>gini</code>. R convey's <code>svygini</code> uses 2C<sub>i</sub> − 1 in place of 2C<sub>i</sub> − w<sub>i</sub>, so its value is this one plus Σ (w<sub>i</sub> − 1) w<sub>i</sub> x<sub>i</sub> / (N Σ w<sub>i</sub> x<sub>i</sub>): the two agree with unit weights and differ slightly with survey weights. The order of tied incomes does not matter.": "G = (2 Σ w<sub>i</sub> x<sub>i</sub> C<sub>i</sub> − Σ w<sub>i</sub><sup>2</sup> x<sub>i</sub>) / (N Σ w<sub>i</sub> x<sub>i</sub>) − 1，收入按升序排列，C<sub>i</sub> = Σ<sub>j ≤ i</sub> w<sub>j</sub> 为累计权数，N = Σ w<sub>i</sub>：即欧盟统计局和laeken的 <code>gini</code> 所用的加权公式。R convey的 <code>svygini</code> 以 2C<sub>i</sub> − 1 代替 2C<sub>i</sub> − w<sub>i</sub>，其值等于本值加 Σ (w<sub>i</sub> − 1) w<sub>i</sub> x<sub>i</sub> / (N Σ w<sub>i</sub> x<sub>i</sub>)：两者在单位权数下相同，在调查权数下略有差异。收入相同的单位的排列顺序不影响结果。",
	"Generalized entropy, Theil and Atkinson indices": "广义熵指数、泰尔指数和阿特金森指数",
	"GE(α) = [Σ w<sub>i</sub> (x<sub>i</sub>/μ)<sup>α</sup> / N − 1] / (α(α − 1)) for α ≠ 0, 1; Theil T = GE(1) = Σ w<sub>i</sub> (x<sub>i</sub>/μ) ln(x<sub>i</sub>/μ) / N; Theil L = GE(0) = Σ w<sub>i</sub> ln(μ/x<sub>i</sub>) / N, the mean log deviation; GE(2) is half the squared coefficient of variation. Atkinson A(ε) = 1 − [Σ w<sub>i</sub> x<sub>i</sub><sup>1−ε</sup> / N]<sup>1/(1−ε)</sup> / μ for ε ≠ 1 and A(1) = 1 − exp(Σ w<sub>i</sub> ln x<sub>i</sub> / N) / μ. N and μ are the weight and the mean income of the units included. Exclusion rule: GE with α ≤ 1 (Theil T and L included) and Atkinson with ε ≥ 1 leave out the incomes ≤ 0, the other members the incomes &lt; 0; the rows left out are counted with each estimate (<code>excluded_n</code>, <code>excluded_population</code>) and shown under each table.": "GE(α) = [Σ w<sub>i</sub> (x<sub>i</sub>/μ)<sup>α</sup> / N − 1] / (α(α − 1))，α ≠ 0, 1；泰尔T指数 = GE(1) = Σ w<sub>i</sub> (x<sub>i</sub>/μ) ln(x<sub>i</sub>/μ) / N；泰尔L指数 = GE(0) = Σ w<sub>i</sub> ln(μ/x<sub>i</sub>) / N，即平均对数偏差；GE(2) 为变异系数平方的一半。阿特金森指数 A(ε) = 1 − [Σ w<sub>i</sub> x<sub>i</sub><sup>1−ε</sup> / N]<sup>1/(1−ε)</sup> / μ（ε ≠ 1），A(1) = 1 − exp(Σ w<sub>i</sub> ln x<sub>i</sub> / N) / μ。N 和 μ 为纳入计算的单位的权数之和与平均收入。剔除规则：α ≤ 1 的广义熵指数（包括泰尔T指数和泰尔L指数）和 ε ≥ 1 的阿特金森指数剔除收入 ≤ 0 的单位，其他指数剔除收入 &lt; 0 的单位；被剔除的行数随每个估计值记录（<code>excluded_n</code>、<code>excluded_population</code>），并在各表下方注明。",
	"Quintile share ratio, Palma ratio and income shares": "五等分收入比、帕尔玛比值和收入份额",
	"S80/S20 = Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> &gt; P<sub>80</sub>] / Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> ≤ P<sub>20</sub>], as laeken's <code>qsr</code>; Palma = Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> &gt; P<sub>90</sub>] / Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> ≤ P<sub>40</sub>]; the share of quantile group k of m (quintiles m = 5, deciles m = 10) is Σ w<sub>i</sub> x<sub>i</sub> [P<sub>(k−1)/m</sub> &lt; x<sub>i</sub> ≤ P<sub>k/m</sub>] / Σ w<sub>i</sub> x<sub>i</sub>. The P are the weighted quantiles above. Tie rule: a unit whose income equals a cut point belongs to the group below it, so the units tied at a cut fall in one group; negative incomes are kept.": "S80/S20 = Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> &gt; P<sub>80</sub>] / Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> ≤ P<sub>20</sub>]，同laeken的 <code>qsr</code>；帕尔玛比值 = Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> &gt; P<sub>90</sub>] / Σ w<sub>i</sub> x<sub>i</sub> [x<sub>i</sub> ≤ P<sub>40</sub>]；m 等分组（五等分 m = 5，十等分 m = 10）中第 k 组的收入份额为 Σ w<sub>i</sub> x<sub>i</sub> [P<sub>(k−1)/m</sub> &lt; x<sub>i</sub> ≤ P<sub>k/m</sub>] / Σ w<sub>i</sub> x<sub>i</sub>。P 为上述加权分位数。相同值规则：收入恰好等于分割点的单位归入下面一组，因此在分割点处收入相同的单位归入同一组；负收入予以保留。",
	"Regional coefficients of variation": "地区变异系数",
	"With ȳ<sub>r</sub> the weighted mean income of region r among the units of the domain (regions without a unit take no part): CV = √(Σ<sub>r</sub> (ȳ<sub>r</sub> − m)<sup>2</sup> / R) / m, the unweighted coefficient of variation of the R regional means (population standard deviation, m their plain mean); Williamson's coefficient V<sub>w</sub> = √(Σ<sub>r</sub> p<sub>r</sub> (ȳ<sub>r</sub> − ȳ)<sup>2</sup>) / ȳ, with p<sub>r</sub> the population share of region r and ȳ = Σ<sub>r</sub> p<sub>r</sub> ȳ<sub>r</sub> the mean income of the domain; max / min = max<sub>r</sub> ȳ<sub>r</sub> / min<sub>r</sub> ȳ<sub>r</sub>.": "设 ȳ<sub>r</sub> 为子总体中地区 r 各单位的加权平均收入（没有单位的地区不参与计算）：变异系数 CV = √(Σ<sub>r</sub> (ȳ<sub>r</sub> − m)<sup>2</sup> / R) / m，即 R 个地区平均收入的未加权变异系数（总体标准差，m 为其简单平均）；威廉姆森系数 V<sub>w</sub> = √(Σ<sub>r</sub> p<sub>r</sub> (ȳ<sub>r</sub> − ȳ)<sup>2</sup>) / ȳ，其中 p<sub>r</sub> 为地区 r 的人口份额，ȳ = Σ<sub>r</sub> p<sub>r</sub> ȳ<sub>r</sub> 为该子总体的平均收入；最高/最低比 = max<sub>r</sub> ȳ<sub>r</sub> / min<sub>r</sub> ȳ<sub>r</sub>。",
	"Theil decomposition by region": "泰尔指数的地区分解",
	"Theil's indices split exactly into a part between and a part within the regions: T = Σ<sub>r</sub> s<sub>r</sub> ln(ȳ<sub>r</sub>/ȳ) + Σ<sub>r</sub> s<sub>r</sub> T<sub>r</sub> and L = Σ<sub>r</sub> p<sub>r</sub> ln(ȳ/ȳ<sub>r</sub>) + Σ<sub>r</sub> p<sub>r</sub> L<sub>r</sub>, with s<sub>r</sub> and p<sub>r</sub> the income and population shares of region r and T<sub>r</sub>, L<sub>r</sub> the indices within it. The between part is the index when every unit has the mean income of its region; the between share is between / total. As for Theil's indices, the units with income ≤ 0 are left out of every term.": "泰尔指数可精确分解为地区间和地区内两部分：T = Σ<sub>r</sub> s<sub>r</sub> ln(ȳ<sub>r</sub>/ȳ) + Σ<sub>r</sub> s<sub>r</sub> T<sub>r</sub>，L = Σ<sub>r</sub> p<sub>r</sub> ln(ȳ/ȳ<sub>r</sub>) + Σ<sub>r</sub> p<sub>r</sub> L<sub>r</sub>，其中 s<sub>r</sub> 和 p<sub>r</sub> 为地区 r 的收入份额和人口份额，T<sub>r</sub>、L<sub>r</sub> 为该地区内部的指数。组间部分为假定每个单位的收入等于其所在地区平均收入时的指数；组间占比 = 组间 / 总值。与泰尔指数相同，收入 ≤ 0 的单位不计入任何一项。",
	"For a ratio <code>COL=A/B</code>, the weighted mean income of the units with COL = A over that of the units with COL = B, in each domain: (Σ<sub>A</sub> w<sub>i</sub> x<sub>i</sub> / Σ<sub>A</sub> w<sub>i</sub>) / (Σ<sub>B</sub> w<sub>i</sub> x<sub>i</sub> / Σ<sub>B</sub> w<sub>i</sub>). It does not exist where a group has no unit or a zero mean.":                                                                                                                                                                                                                                                                         "对于比值 <code>COL=A/B</code>，在每个子总体中，COL = A 的单位加权平均收入与 COL = B 的单位加权平均收入之比：(Σ<sub>A</sub> w<sub>i</sub> x<sub>i</sub> / Σ<sub>A</sub> w<sub>i</sub>) / (Σ<sub>B</sub> w<sub>i</sub> x<sub>i</sub> / Σ<sub>B</sub> w<sub>i</sub>)。若某组没有单位或平均收入为零，则该比值不存在。",
	", %s %s":                           "，%s %s",
	"%s by %s, line %s":                 "按 %[2]s 分的%[1]s（贫困线 %[3]s）",
	"%s (%% of %s)":                     "%s（占%s的%%）",
	"Mean income (income units a unit)": "平均收入（每单位，收入单位）",
	"Mean income per %s (income units)": "每%s平均收入（收入单位）",
	"National":                          "全国",
	"National mean":                     "全国平均",
	"%s%% confidence interval":          "%s%%置信区间",
	"confidence interval":               "置信区间",
	"Headcount by %s, every line":       "按 %s 分的贫困发生率（各贫困线）",
	"Gini coefficient by %s":            "按 %s 分的基尼系数",
	"Gini coefficient (index, 0 to 1)":  "基尼系数（指数，0至1）",
	"%s: %s units (weighted %s) with income <= 0 (line %s) are left out of it, as in R convey; see excluded_n in the results": "%[1]s：%[2]s个收入 ≤ 0 的单位（加权数%[3]s，贫困线 %[4]s）未纳入计算，同R convey的做法；见结果中的 excluded_n",
	"%s: %s units (weighted %s) with income <= 0 are left out of it, as in R convey; see excluded_n in the results":           "%[1]s：%[2]s个收入 ≤ 0 的单位（加权数%[3]s）未纳入计算，同R convey的做法；见结果中的 excluded_n",
	" (thousands)": "（千）",
	" CI lower":    " 置信区间下限",
	" CI upper":    " 置信区间上限",
	"%s, change":   "%s，变化",
	", %s rows used of %s read from %d input files": "，从%[3]d个输入文件读取%[2]s行，使用%[1]s行",
	", design with %s":              "，抽样设计：%s",
	"; in this table: %s":           "；本表中：%s",
	"; povstat %s.":                 "；povstat %s。",
	"Annual tables of the study %s": "研究 %s 的年度统计表",
	"Estimate":                      "估计值",
	"Files":                         "文件",
	"Line: %s = %s, %s.":            "贫困线：%s = %s，%s。",
	"No annual table: the study has no result to tabulate.": "无年度统计表：该研究没有可制表的结果。",
	"References": "参考文献",
	"SE":         "标准误",
	"SE: standard error; CI: %s confidence interval. Method: %s": "标准误：SE；置信区间：%s置信区间。估计方法：%s",
	"Sheet":            "工作表",
	"Source: study %s": "资料来源：研究 %s",
	"Table %d. %s":     "表%d　%s",
	"Table":            "表",
	"Title":            "标题",
	"Units: weighted estimates for %s; a unit is poor when its income is strictly below the line. Rates and shares in percent; populations in thousands of %s; money in the units of the income column %s; rows are sample rows. An empty cell has no estimate (results.csv gives the reason).": "说明：%s的加权估计值；收入严格低于贫困线的单位视为贫困。比率和份额以百分比表示；人口以千%s为单位；金额以收入列 %s 的单位计；行数为样本行数。空白单元格表示无估计值（原因见 results.csv）。",
	"povstat report":    "povstat 报告",
	"the study's limit": "研究设定的上限",
	"† (shaded): relative standard error above %s: unreliable, to be read with caution (Eurostat flag u).": "†（阴影）：相对标准误超过%s，估计值不可靠，使用时须谨慎（欧盟统计局标记u）。",
}
