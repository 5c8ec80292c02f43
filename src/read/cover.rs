//! The cover sheet 基本信息: labels in column A, values in column B, any
//! order; rules C01, C02, C03, C06 and S05 are decided here.

use super::normalise::{
    clean, code_from_number, code_from_text, is_phone, label_key, Date, Period,
};
use super::workbook::{CellValue, RawSheet};
use crate::finding::{Code, Finding};
use crate::model::{sheet_order, Cover};
use crate::schema::{self, CoverField, SheetId};

/// Read the cover; push its findings.
pub(crate) fn read(sheet: &RawSheet, expected: Option<Period>, out: &mut Vec<Finding>) -> Cover {
    let mut cover = Cover {
        sheet: sheet.name.clone(),
        ..Cover::default()
    };
    for row in &sheet.rows {
        let Some(CellValue::Text(label)) = row.get(0) else {
            continue;
        };
        let key = label_key(label);
        if let Some(spec) = schema::COVER.iter().find(|c| label_key(c.label) == key) {
            cover.rows.entry(spec.id).or_insert(row.row);
        }
    }
    let order = sheet_order(SheetId::Cover);
    let value = |id: CoverField| -> Option<&CellValue> {
        let row = *cover.rows.get(&id)?;
        sheet.get(row, 1).filter(|v| !v.is_blank())
    };
    // A finding at the value cell B<row>, or on the sheet when the label is absent.
    let at = |id: CoverField, f: Finding| -> Finding {
        let f = match cover.rows.get(&id) {
            Some(row) => f.at(&sheet.name, order, *row, 1),
            None => f.on_sheet(&sheet.name, order),
        };
        match value(id) {
            Some(v) => f.value(v.show()),
            None => f,
        }
    };
    let absent = |id: CoverField| -> String {
        let label = schema::cover_spec(id).label;
        match cover.rows.get(&id) {
            Some(row) => format!("基本信息缺少“{label}”,请在 B{} 填写", row + 1),
            None => format!("基本信息中找不到“{label}”一栏,请在 A 列加上“{label}”并在 B 列填写"),
        }
    };

    // C01: township code.
    match value(CoverField::TownshipCode) {
        None => out.push(at(
            CoverField::TownshipCode,
            Finding::new(Code::C01, absent(CoverField::TownshipCode)),
        )),
        Some(v) => {
            let code = match v {
                CellValue::Text(s) => code_from_text(s, 9),
                CellValue::Number(n) => code_from_number(*n, 9),
                _ => None,
            };
            match code {
                Some(c) => cover.township_code = Some(c),
                None => out.push(at(
                    CoverField::TownshipCode,
                    Finding::new(
                        Code::C01,
                        format!(
                            "乡镇(街道)代码应为9位数字,现为“{}”,请填写统计用区划代码的前9位",
                            v.show()
                        ),
                    ),
                )),
            }
        }
    }

    // C02/C03: period.
    match value(CoverField::Period) {
        None => out.push(at(
            CoverField::Period,
            Finding::new(Code::C02, absent(CoverField::Period)),
        )),
        Some(v) => {
            let period = match v {
                CellValue::Text(s) => Period::parse(s),
                CellValue::Number(n) => Period::parse(&super::normalise::show_number(*n)),
                CellValue::Date(d) => Date::from_serial(*d).map(Date::period),
                _ => None,
            };
            match period {
                None => out.push(at(
                    CoverField::Period,
                    Finding::new(
                        Code::C02,
                        format!(
                            "填报期间“{}”无法识别,请写成 2024-06 或 2024年6月 的形式",
                            v.show()
                        ),
                    ),
                )),
                Some(p) => {
                    if let Some(e) = expected.filter(|e| *e != p) {
                        out.push(at(
                            CoverField::Period,
                            Finding::new(
                                Code::C03,
                                format!(
                                    "填报期间为 {p},而本次汇总的是 {e}。请核对是否报错了月份的报表"
                                ),
                            ),
                        ));
                    }
                    cover.period = Some(p);
                }
            }
        }
    }

    // C06: the other required facts.
    let text = |id: CoverField| {
        value(id)
            .map(|v| clean(&v.show()))
            .filter(|s| !s.is_empty())
    };
    for id in [CoverField::County, CoverField::Township, CoverField::Filler] {
        match text(id) {
            Some(t) => match id {
                CoverField::County => cover.county = Some(t),
                CoverField::Township => cover.township = Some(t),
                _ => cover.filler = Some(t),
            },
            None => out.push(at(id, Finding::new(Code::C06, absent(id)))),
        }
    }
    cover.reviewer = text(CoverField::Reviewer);
    match text(CoverField::Phone) {
        None => out.push(at(
            CoverField::Phone,
            Finding::new(Code::C06, absent(CoverField::Phone)),
        )),
        Some(p) if is_phone(&p) => cover.phone = Some(p),
        Some(p) => out.push(at(
            CoverField::Phone,
            Finding::new(
                Code::C06,
                format!(
                    "联系电话“{p}”不是有效号码,请填写11位手机号或带区号的固定电话(如 0597-1234567)"
                ),
            ),
        )),
    }
    match value(CoverField::FillDate) {
        None => out.push(at(
            CoverField::FillDate,
            Finding::new(Code::C06, absent(CoverField::FillDate)),
        )),
        Some(v) => {
            let date = match v {
                CellValue::Date(d) => Date::from_serial(*d),
                CellValue::Text(s) => Date::parse(s),
                _ => None,
            };
            match date {
                Some(d) => cover.fill_date = Some(d),
                None => out.push(at(
                    CoverField::FillDate,
                    Finding::new(
                        Code::C06,
                        format!("填报日期“{}”不是日期,请写成 2024-06-28 的形式", v.show()),
                    ),
                )),
            }
        }
    }

    // S05: template version.
    match text(CoverField::TemplateVersion) {
        None => out.push(at(
            CoverField::TemplateVersion,
            Finding::new(
                Code::S05,
                format!(
                    "没有模板版本,可能不是用最新模板填报的。请用 huizong template 生成的 {} 版模板填报",
                    schema::TEMPLATE_VERSION
                ),
            ),
        )),
        Some(v) => {
            if version_older(&v, schema::TEMPLATE_VERSION) {
                let message = if dotted(&v).is_some() {
                    format!(
                        "模板版本 {v} 早于当前的 {},请改用新模板填报,以免漏填新增栏目",
                        schema::TEMPLATE_VERSION
                    )
                } else {
                    format!(
                        "模板版本“{v}”不是版本号(应为 {} 这样的数字),可能不是用本工具生成的模板填报的。请改用新模板填报,以免漏填新增栏目",
                        schema::TEMPLATE_VERSION
                    )
                };
                out.push(at(
                    CoverField::TemplateVersion,
                    Finding::new(Code::S05, message),
                ));
            }
            cover.template_version = Some(v);
        }
    }
    cover
}

/// Dotted-number comparison (`2024.3` < `2025.1` < `2025.1.2`); a version
/// that is not dotted numbers counts as older.
pub(crate) fn version_older(v: &str, current: &str) -> bool {
    match (dotted(v), dotted(current)) {
        (Some(a), Some(b)) => a < b,
        _ => true,
    }
}

/// A version as its dotted numbers (`2025.1` → [2025, 1]), if it is one.
fn dotted(s: &str) -> Option<Vec<u64>> {
    s.trim().split('.').map(|p| p.trim().parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::version_older;

    #[test]
    fn versions_compare_as_dotted_numbers() {
        assert!(version_older("2024.12", "2025.1"));
        assert!(!version_older("2025.1", "2025.1"));
        assert!(!version_older("2025.10", "2025.1"));
        assert!(!version_older("2025.1.1", "2025.1"));
        assert!(version_older("新版", "2025.1"));
    }
}
