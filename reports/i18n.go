package reports

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

// zhCatalogue maps the English texts of the report to Chinese.
var zhCatalogue = map[string]string{}
