//! The county's own scores (`returns.md` "county_scores.xlsx"): sheet
//! 区级评定 with 村(社区)代码, 村(社区)名称 and 区级评定得分 (0–100, at
//! most one decimal), found by header text like a return's columns.
//!
//! The file goes through the same pre-scan and reader as the returns. A file
//! that cannot be read at all, or has no 区级评定 sheet or header, stops the
//! run (it is the county's own file); a bad cell is a finding on the scores
//! file, under the village's township, and that village is rated 待评定.

use crate::finding::{Code, Finding};
use crate::policy::Policy;
use crate::read::county::CountyFile;
use crate::read::header::{self, Wanted};
use crate::read::normalise::{
    clean, code_from_number, code_from_text, decimals, number_from_f64, number_from_text,
    sheet_key, totals_marker, NumError,
};
use crate::read::workbook::{CellValue, RawSheet, RawWorkbook};
use crate::rules::Roster;
use anyhow::{anyhow, bail};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The scores file's sheet.
pub(crate) const SCORES_SHEET: &str = "区级评定";
/// Its headers.
pub(crate) const H_VILLAGE_CODE: &str = "村(社区)代码";
pub(crate) const H_VILLAGE: &str = "村(社区)名称";
pub(crate) const H_SCORE: &str = "区级评定得分";

/// Accepted header texts (compared by `header_key`).
const CODE_ALIASES: &[&str] = &[H_VILLAGE_CODE, "村代码", "村(居)代码", "村社区代码"];
const NAME_ALIASES: &[&str] = &[H_VILLAGE, "村名", "村(居)名称", "村社区名称"];
const SCORE_ALIASES: &[&str] = &[
    H_SCORE,
    "区级评定",
    "区级得分",
    "区级评分",
    "县级评定得分",
    "县级评定",
    "县级得分",
];

/// The county scores as read.
#[derive(Clone, Debug, Default)]
pub struct CountyScores {
    /// The file name as shown to users.
    pub file: String,
    /// SHA-256 of the file's bytes, lower-case hex.
    pub sha256: String,
    /// Village code → score, for every row with a valid code and score.
    pub scores: BTreeMap<String, Decimal>,
    /// V/X findings on the file (T01 is added by the rating, which knows
    /// which villages need a score).
    pub findings: Vec<Finding>,
    /// The sheet's name as the file has it.
    pub sheet: String,
    /// Villages with a row but a blank score: village code → (row, col),
    /// 0-based, of the blank cell (the T01 anchor).
    pub blanks: BTreeMap<String, (u32, u32)>,
    /// Villages whose score cell could not be read (a V finding says so).
    pub bad: BTreeSet<String>,
}

impl CountyScores {
    /// T01 for a village of a used return that has no score: anchored at
    /// its blank cell, or at the sheet (blank cell) when it has no row.
    pub(crate) fn missing(&self, village: &str, name: &str, township: &str) -> Finding {
        let who = if name.is_empty() {
            village.to_string()
        } else {
            format!("{village}({name})")
        };
        let f = match self.blanks.get(village) {
            Some((row, col)) => Finding::new(
                Code::T01,
                format!(
                    "村(社区){who} 的区级评定得分为空,暂列“待评定”,不定星级、不拨经费。请在 {} 的工作表“{}”中填上得分后重新运行",
                    self.file, self.sheet
                ),
            )
            .at(&self.sheet, 0, *row, *col),
            None => Finding::new(
                Code::T01,
                format!(
                    "{} 的工作表“{}”中没有村(社区){who} 的得分,暂列“待评定”,不定星级、不拨经费。请补上该村一行后重新运行",
                    self.file, self.sheet
                ),
            )
            .on_sheet(&self.sheet, 0),
        };
        let mut f = f.village(village);
        f.file = self.file.as_str().into();
        f.township = Some(township.into());
        f
    }
}

/// The scores file read but not yet matched against the roster (so it can
/// be read while the roster is).
pub(crate) struct ScoresFile {
    path: std::path::PathBuf,
    read: CountyFile,
}

impl ScoresFile {
    /// The scores, checked against the roster.
    pub(crate) fn parse(&self, roster: Option<&Roster>) -> anyhow::Result<CountyScores> {
        let r = &self.read;
        parse(&r.file, &r.sha256, &r.raw, roster)
            .map_err(|e| anyhow!("区级评定文件 {} 有误:{e}", self.path.display()))
    }
}

/// Read the county scores file (pre-scan, calamine), without checking it.
pub(crate) fn read(path: &Path, policy: &Policy) -> anyhow::Result<ScoresFile> {
    let missing = format!(
        "找不到区级评定文件 {}。请放入 county_scores.xlsx(工作表“{SCORES_SHEET}”,列为 {H_VILLAGE_CODE}、{H_VILLAGE}、{H_SCORE}),或用 --county-scores 指定",
        path.display()
    );
    let read = crate::read::county::read(path, policy, "区级评定文件", &missing)?;
    Ok(ScoresFile {
        path: path.to_path_buf(),
        read,
    })
}

/// The scores of a workbook already read. Errors (no sheet, no header) say
/// what is wrong without the path; [`load`] adds it.
pub(crate) fn parse(
    file: &str,
    sha256: &str,
    raw: &RawWorkbook,
    roster: Option<&Roster>,
) -> anyhow::Result<CountyScores> {
    let sheet = raw
        .sheets
        .iter()
        .find(|s| sheet_key(&s.name) == SCORES_SHEET)
        .ok_or_else(|| {
            let names: Vec<String> = raw.sheets.iter().map(|s| format!("“{}”", s.name)).collect();
            anyhow!(
                "没有工作表“{SCORES_SHEET}”(找到的工作表:{})",
                if names.is_empty() {
                    "无".to_string()
                } else {
                    names.join("、")
                }
            )
        })?;
    let (header_row, code_col, name_col, score_col) = header(sheet)?;
    let mut out = CountyScores {
        file: file.to_string(),
        sha256: sha256.to_string(),
        sheet: sheet.name.clone(),
        ..CountyScores::default()
    };
    // Village code → the cell of its first row, for V07.
    let mut first: BTreeMap<String, String> = BTreeMap::new();
    for row in sheet.rows.iter().filter(|r| r.row > header_row) {
        let get = |c: Option<u32>| c.and_then(|c| row.get(c)).filter(|v| !v.is_blank());
        let (code_cell, name_cell, score_cell) =
            (get(Some(code_col)), get(name_col), get(Some(score_col)));
        if code_cell.is_none() && name_cell.is_none() && score_cell.is_none() {
            continue;
        }
        let is_total = [code_cell, name_cell]
            .into_iter()
            .flatten()
            .any(|v| matches!(v, CellValue::Text(t) if totals_marker(t).is_some()));
        if is_total {
            continue;
        }
        let finding = |code: Code, col: u32, message: String| {
            let mut f = Finding::new(code, message).at(&sheet.name, 0, row.row, col);
            f.file = file.into();
            f
        };
        // The code.
        let Some(code_value) = code_cell else {
            if score_cell.is_some() {
                let name = name_cell.map(|v| clean(&v.show())).unwrap_or_default();
                out.findings.push(finding(
                    Code::V01,
                    code_col,
                    format!("“{H_VILLAGE_CODE}”为空:这一行有得分(村名“{name}”)但没有村(社区)代码,得分无法对应到村。请填上12位代码"),
                ));
            }
            continue;
        };
        let code = match code_value {
            CellValue::Text(s) => code_from_text(s, 12),
            CellValue::Number(n) => code_from_number(*n, 12),
            _ => None,
        };
        let Some(code) = code else {
            let f = finding(
                Code::V06,
                code_col,
                format!(
                    "村(社区)代码应为12位数字,现为“{}”,这一行的得分无法使用。请核对统计用区划代码",
                    code_value.show()
                ),
            )
            .value(code_value.show());
            out.findings.push(f);
            continue;
        };
        let township = roster
            .and_then(|r| r.get(&code))
            .map(|v| v.township_code.clone())
            .unwrap_or_else(|| code[..9].to_string());
        let stamp = |f: Finding| -> Finding {
            let mut f = f.village(code.clone());
            f.township = Some(township.as_str().into());
            f
        };
        let here = crate::schema::cell_ref(row.row, code_col);
        if let Some(at) = first.get(&code) {
            out.findings.push(stamp(
                finding(
                    Code::V07,
                    code_col,
                    format!("村(社区)代码 {code} 重复(第一次出现在 {at}),只用第一行的得分。请删除多余的行"),
                )
                .value(code.clone()),
            ));
            continue;
        }
        first.insert(code.clone(), here);
        if let Some(r) = roster {
            if !r.contains(&code) {
                out.findings.push(stamp(
                    finding(
                        Code::X05,
                        code_col,
                        format!("村(社区)代码 {code} 不在名册中。请核对代码,或先把该村补进名册"),
                    )
                    .value(code.clone()),
                ));
            }
        }
        // The score.
        let Some(v) = score_cell else {
            out.blanks.insert(code, (row.row, score_col));
            continue;
        };
        match score(v) {
            Ok(d) => {
                out.scores.insert(code, d);
            }
            Err((rule, message)) => {
                out.findings
                    .push(stamp(finding(rule, score_col, message).value(v.show())));
                out.bad.insert(code);
            }
        }
    }
    crate::finding::sort(&mut out.findings);
    Ok(out)
}

/// The header row and the columns of code, name (optional) and score.
fn header(sheet: &RawSheet) -> anyhow::Result<(u32, u32, Option<u32>, u32)> {
    let wanted =
        Wanted::new([CODE_ALIASES, NAME_ALIASES, SCORE_ALIASES].map(|a| a.iter().copied()));
    let required = [true, false, true];
    match header::find(sheet, &wanted, &required, |hit| hit[0] && hit[2]) {
        Ok(row) => {
            let cols = wanted.first_columns(row);
            Ok((row.row, cols[0].unwrap_or(0), cols[1], cols[2].unwrap_or(0)))
        }
        Err(best) => {
            let missing: Vec<&str> = [(best[0], H_VILLAGE_CODE), (best[2], H_SCORE)]
                .into_iter()
                .filter(|(hit, _)| !hit)
                .map(|(_, h)| h)
                .collect();
            bail!(
                "工作表“{}”前10行中找不到表头:缺少列 {}。表头应为 {H_VILLAGE_CODE}、{H_VILLAGE}、{H_SCORE}",
                sheet.name,
                missing.join("、")
            )
        }
    }
}

/// A score cell: 0–100, at most one decimal (as a return's score columns).
fn score(v: &CellValue) -> Result<Decimal, (Code, String)> {
    let shown = v.show();
    let n = match v {
        CellValue::Error(e) => {
            return Err((
                Code::V10,
                format!("“{H_SCORE}”是 Excel 错误值 {e},请修正公式或直接填写得分"),
            ))
        }
        CellValue::NoCachedValue(_) => {
            return Err((
                Code::V10,
                format!("“{H_SCORE}”的公式没有保存计算结果,请在 Excel 或 WPS 中打开、保存后再运行"),
            ))
        }
        CellValue::Number(n) => number_from_f64(*n),
        CellValue::Text(s) => number_from_text(s),
        CellValue::Bool(_) | CellValue::Date(_) => Err(NumError::NotANumber),
    };
    let n = match n {
        Ok(n) => n,
        Err(NumError::NotANumber) => {
            return Err((
                Code::V02,
                format!("“{H_SCORE}”应填数字,现为“{shown}”。请只填 0 到 100 的得分(如 86.5),不要带单位或文字"),
            ))
        }
        Err(NumError::TooLarge) => {
            return Err((Code::V04, format!("“{H_SCORE}”的数值“{shown}”过大,应在 0 到 100 之间")))
        }
    };
    if n < Decimal::ZERO {
        return Err((
            Code::V03,
            format!("“{H_SCORE}”不能为负数,现为 {shown}。请填 0 到 100 的得分"),
        ));
    }
    if decimals(n) > 1 {
        return Err((
            Code::V04,
            format!("“{H_SCORE}”最多保留1位小数,现为 {shown}"),
        ));
    }
    if n > Decimal::from(100) {
        return Err((
            Code::V04,
            format!("“{H_SCORE}”应在 0 到 100 之间,现为 {shown}"),
        ));
    }
    Ok(n.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Level;
    use crate::rules::RosterEntry;
    use rust_xlsxwriter::Workbook;
    use std::str::FromStr;

    /// Read and check the scores file, as a consolidation does.
    fn load(path: &Path, policy: &Policy, roster: Option<&Roster>) -> anyhow::Result<CountyScores> {
        read(path, policy)?.parse(roster)
    }

    enum C<'a> {
        T(&'a str),
        N(f64),
        E,
    }

    /// A scores workbook: header row, then rows of (code, name, score).
    fn write(dir: &Path, sheet: &str, headers: [&str; 3], rows: &[[C; 3]]) -> std::path::PathBuf {
        let p = dir.join("county_scores.xlsx");
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet().set_name(sheet).unwrap();
        for (c, h) in headers.iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match v {
                    C::T(s) => {
                        ws.write_string(r, c, *s).unwrap();
                    }
                    C::N(n) => {
                        ws.write_number(r, c, *n).unwrap();
                    }
                    C::E => {}
                }
            }
        }
        wb.save(&p).unwrap();
        p
    }

    fn roster() -> Roster {
        Roster::new(
            [
                "990101103201",
                "990101103202",
                "990101103203",
                "990101103204",
            ]
            .map(|v| RosterEntry {
                township_code: "990101103".into(),
                township_name: "白砂镇".into(),
                village_code: v.into(),
                village_name: "某村".into(),
            }),
        )
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn reads_scores_by_header_and_reports_bad_cells() {
        let dir = tempfile::tempdir().unwrap();
        use C::*;
        let p = write(
            dir.path(),
            " 区级评定 ",
            ["村(社区)名称", "村（社区）代码", "区级评定 得分"],
            &[
                [T("樟黄村"), T("990101103201"), N(86.5)],
                [T("溪口村"), N(990101103202.0), T("９１")],
                [T("石门村"), T("990101103203"), E],
                [T("桃源村"), T("990101103204"), T("12分")],
                [T("外村"), T("990101199201"), N(70.0)],
                [T("坏码村"), T("99010110320"), N(70.0)],
                [T("重复村"), T("990101103201"), N(10.0)],
                [T("多位"), T("990101103299"), N(85.25)],
                [T("过高"), T("990101103298"), N(100.5)],
                [T("负数"), T("990101103297"), N(-1.0)],
                [T("无码村"), E, N(80.0)],
                [T("合计"), E, N(500.0)],
                [E, E, E],
            ],
        );
        let policy = Policy::default_rules();
        let s = load(&p, &policy, Some(&roster())).unwrap();
        assert_eq!(s.file, "county_scores.xlsx");
        assert_eq!(s.sha256.len(), 64);
        assert_eq!(s.sheet, " 区级评定 ");
        assert_eq!(s.scores.get("990101103201"), Some(&d("86.5")));
        assert_eq!(s.scores.get("990101103202"), Some(&d("91")));
        assert_eq!(
            s.scores.get("990101199201"),
            Some(&d("70")),
            "kept despite X05"
        );
        assert_eq!(s.blanks.get("990101103203"), Some(&(3, 2)));
        assert!(s.bad.contains("990101103204"));
        let got: Vec<(String, &str, Option<&str>, Option<&str>)> = s
            .findings
            .iter()
            .map(|f| {
                (
                    f.location(),
                    f.code.as_str(),
                    f.township.as_deref(),
                    f.village.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    " 区级评定 !C5".to_string(),
                    "V02",
                    Some("990101103"),
                    Some("990101103204")
                ),
                (
                    " 区级评定 !B8".into(),
                    "V07",
                    Some("990101103"),
                    Some("990101103201")
                ),
                (
                    " 区级评定 !B9".into(),
                    "X05",
                    Some("990101103"),
                    Some("990101103299")
                ),
                (
                    " 区级评定 !C9".into(),
                    "V04",
                    Some("990101103"),
                    Some("990101103299")
                ),
                (
                    " 区级评定 !B10".into(),
                    "X05",
                    Some("990101103"),
                    Some("990101103298")
                ),
                (
                    " 区级评定 !C10".into(),
                    "V04",
                    Some("990101103"),
                    Some("990101103298")
                ),
                (
                    " 区级评定 !B11".into(),
                    "X05",
                    Some("990101103"),
                    Some("990101103297")
                ),
                (
                    " 区级评定 !C11".into(),
                    "V03",
                    Some("990101103"),
                    Some("990101103297")
                ),
                (
                    " 区级评定 !B6".into(),
                    "X05",
                    Some("990101199"),
                    Some("990101199201")
                ),
                (" 区级评定 !B7".into(), "V06", None, None),
                (" 区级评定 !B12".into(), "V01", None, None),
            ]
        );
        assert!(s.findings.iter().all(|f| &*f.file == "county_scores.xlsx"));
        assert!(s.findings.iter().all(|f| f.level == Level::Error));
        let v02 = &s.findings[0];
        assert_eq!(v02.value.as_deref(), Some("12分"));
        assert!(v02.message.contains("应填数字"), "{}", v02.message);

        // T01 anchors: the blank cell, or the sheet.
        let t = s.missing("990101103203", "石门村", "990101103");
        assert_eq!(t.location(), " 区级评定 !C4");
        assert_eq!(t.code, Code::T01);
        assert_eq!(t.level, Level::Warning);
        assert_eq!(t.township.as_deref(), Some("990101103"));
        let t = s.missing("990101103209", "", "990101103");
        assert_eq!(t.location(), " 区级评定 ");
        assert_eq!(t.cell, None);
        assert!(t.message.contains("990101103209"), "{}", t.message);
    }

    #[test]
    fn without_a_roster_no_x05_and_the_township_is_the_code_prefix() {
        let dir = tempfile::tempdir().unwrap();
        use C::*;
        let p = write(
            dir.path(),
            "区级评定",
            ["村代码", "村名", "区级评定得分"],
            &[
                [T("990101199201"), T("外村"), N(70.0)],
                [T("990101199202"), T("x"), N(0.05)],
            ],
        );
        let s = load(&p, &Policy::default_rules(), None).unwrap();
        assert_eq!(s.scores.len(), 1);
        assert_eq!(s.findings.len(), 1);
        assert_eq!(s.findings[0].code, Code::V04);
        assert_eq!(s.findings[0].township.as_deref(), Some("990101199"));
    }

    #[test]
    fn unreadable_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::default_rules();
        let p = dir.path().join("county_scores.xlsx");
        std::fs::write(&p, b"%PDF-1.4 not a workbook").unwrap();
        let e = load(&p, &policy, None).unwrap_err().to_string();
        assert!(
            e.contains("county_scores.xlsx") && e.contains("区级评定"),
            "{e}"
        );

        let e = load(&dir.path().join("nothing.xlsx"), &policy, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("nothing.xlsx") && e.contains("找不到"), "{e}");

        use C::*;
        let p = write(
            dir.path(),
            "Sheet1",
            ["村(社区)代码", "村(社区)名称", "区级评定得分"],
            &[],
        );
        let e = load(&p, &policy, None).unwrap_err().to_string();
        assert!(
            e.contains("county_scores.xlsx")
                && e.contains("没有工作表“区级评定”")
                && e.contains("Sheet1"),
            "{e}"
        );

        let p = write(
            dir.path(),
            "区级评定",
            ["村(社区)代码", "村(社区)名称", "得分"],
            &[[T("990101103201"), E, N(1.0)]],
        );
        let e = load(&p, &policy, None).unwrap_err().to_string();
        assert!(
            e.contains("county_scores.xlsx") && e.contains("缺少列 区级评定得分"),
            "{e}"
        );
    }
}
