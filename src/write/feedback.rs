//! The feedback workbook: the township's own return with every finding cell
//! filled and noted, and a first sheet 校验结果 linking to each cell.
//!
//! Values are written as read — text as text (never a formula), numbers as
//! numbers, dates as dates, error values and formulas without a saved value
//! as their text — so the township sees exactly what the tool saw.

use crate::finding::{Finding, Level};
use crate::read::normalise::{sheet_key, Period};
use crate::read::workbook::{CellValue, RawSheet, RawWorkbook};
use crate::schema::{cell_ref, col_letters};
use crate::write::set::OutputSet;
use crate::write::{style, template};
use rust_xlsxwriter::{Format, Note, Url, Workbook, Worksheet, XlsxError};
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// Name of the first sheet, listing every finding.
pub(crate) const RESULTS_SHEET: &str = "校验结果";

/// Headers of 校验结果.
pub const RESULT_HEADERS: [&str; 9] = [
    "序号",
    "工作表",
    "单元格",
    "村(社区)代码",
    "规则编号",
    "级别",
    "说明",
    "原值",
    "已说明",
];
const RESULT_WIDTHS: [f64; 9] = [6.0, 12.0, 9.0, 15.0, 9.0, 9.0, 64.0, 20.0, 8.0];
const RESULT_TITLE_ROW: u32 = 0;
const RESULT_SUMMARY_ROW: u32 = 1;
const RESULT_HEADER_ROW: u32 = 2;
const RESULT_FIRST_ROW: u32 = 3;
const MESSAGE_COL: usize = 6;
/// Excel's limit of hyperlinks in one worksheet.
const MAX_LINKS: usize = 65_530;
/// Excel's last row and column (0-based).
const MAX_ROW: u32 = 1_048_575;
const MAX_COL: u32 = 16_383;

/// Build the feedback workbook. `title` heads 校验结果 (e.g. "白砂镇
/// 2024-06 月报校验结果"); `period` fixes the document date. A file that
/// could not be read (`raw` without sheets) gets only 校验结果.
pub fn build(
    raw: &RawWorkbook,
    findings: &[Finding],
    title: &str,
    period: Option<Period>,
) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&template::properties(period, title, None)?);

    let names = written_sheet_names(raw);
    let mut order: Vec<&Finding> = findings.iter().collect();
    // Errors (fatal first) before warnings; stable within a level.
    order.sort_by_key(|f| f.level);
    let located: Vec<Option<(usize, u32, u16)>> = order.iter().map(|f| locate(raw, f)).collect();

    let ws = wb.add_worksheet();
    ws.set_name(RESULTS_SHEET)?;
    write_results(ws, raw, &order, &located, &names, title)?;

    for (si, sheet) in raw.sheets.iter().enumerate() {
        let mut marks: BTreeMap<(u32, u16), Mark> = BTreeMap::new();
        for (f, loc) in order.iter().zip(&located) {
            if let Some((s, row, col)) = loc {
                if *s == si {
                    marks.entry((*row, *col)).or_default().add(f);
                }
            }
        }
        let ws = wb.add_worksheet();
        ws.set_name(&names[si])?;
        write_sheet(ws, sheet, &marks)?;
    }
    Ok(wb)
}

/// The folder of the output folder that holds the feedback workbooks.
pub(crate) const FOLDER: &str = "反馈";

/// Whose feedback a workbook is, which decides its file name.
#[derive(Clone, Copy, Debug)]
pub(crate) enum FeedbackOf<'a> {
    /// A township's judged return: `<乡镇代码>_<乡镇名>_<period>.xlsx`.
    Township {
        code: &'a str,
        name: &'a str,
        period: Period,
    },
    /// One file on its own (`check`, a Y03 file, an unreadable file of no
    /// known township): `<file name without extension>_校验结果.xlsx`.
    File(&'a str),
}

/// The feedback workbook's file name, safe as a file name.
pub(crate) fn file_name(of: FeedbackOf<'_>) -> String {
    let name = match of {
        FeedbackOf::Township { code, name, period } => format!("{code}_{name}_{period}.xlsx"),
        FeedbackOf::File(file) => {
            let stem = Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("{stem}_校验结果.xlsx")
        }
    };
    crate::write::safe_file_name(&name)
}

/// Write the feedback workbook of `of` into folder `dir` (made if need
/// be) as part of `set`; its path.
pub(crate) fn write_into(
    set: &OutputSet,
    dir: &Path,
    of: FeedbackOf<'_>,
    raw: &RawWorkbook,
    findings: &[Finding],
    title: &str,
    period: Option<Period>,
) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建文件夹 {}", dir.display()))?;
    let path = dir.join(file_name(of));
    let mut wb = build(raw, findings, title, period)
        .map_err(|e| anyhow::anyhow!("无法生成反馈工作簿 {}:{e}", path.display()))?;
    set.save(&mut wb, &path)?;
    Ok(path)
}

/// The findings on one cell.
#[derive(Default)]
struct Mark {
    error: bool,
    warning: bool,
    lines: Vec<String>,
}

impl Mark {
    fn add(&mut self, f: &Finding) {
        if f.level.is_error() {
            self.error = true;
        } else {
            self.warning = true;
        }
        let explained = if f.explained { "(已说明)" } else { "" };
        self.lines.push(format!(
            "{} {}{explained}:{}",
            f.code,
            f.level.zh(),
            f.message
        ));
    }
}

/// Names the raw sheets get in the feedback workbook: as in the file where
/// Excel allows it; otherwise made valid and unique (and never 校验结果).
fn written_sheet_names(raw: &RawWorkbook) -> Vec<String> {
    let mut used: HashSet<String> = HashSet::from([RESULTS_SHEET.to_lowercase()]);
    let mut out = Vec::with_capacity(raw.sheets.len());
    for (i, s) in raw.sheets.iter().enumerate() {
        let mut base: String = s
            .name
            .chars()
            .map(|c| match c {
                '*' | '?' | ':' | '[' | ']' | '\\' | '/' => '_',
                c if c.is_control() => '_',
                c => c,
            })
            .collect();
        if base.starts_with('\'') {
            base.replace_range(0..1, "_");
        }
        if base.ends_with('\'') {
            base.pop();
            base.push('_');
        }
        if base.trim().is_empty() {
            base = format!("Sheet{}", i + 1);
        }
        if base.eq_ignore_ascii_case("history") {
            base.push('_');
        }
        let base = style::cut_utf16(&base, 31).into_owned();
        let mut name = base.clone();
        let mut n = 2;
        while used.contains(&name.to_lowercase()) {
            let suffix = format!("({n})");
            let keep = 31 - suffix.len();
            name = format!("{}{suffix}", style::cut_utf16(&base, keep));
            n += 1;
        }
        used.insert(name.to_lowercase());
        out.push(name);
    }
    out
}

/// The raw sheet, row and column a finding points at, if any.
fn locate(raw: &RawWorkbook, f: &Finding) -> Option<(usize, u32, u16)> {
    let name = f.sheet.as_deref()?;
    let si = raw.sheets.iter().position(|s| s.name == name).or_else(|| {
        let k = sheet_key(name);
        raw.sheets.iter().position(|s| sheet_key(&s.name) == k)
    })?;
    let (row, col) = match f.pos {
        Some(p) if p.row != u32::MAX => (p.row, p.col),
        Some(_) => return None,
        None => parse_cell(f.cell.as_deref()?)?,
    };
    (row <= MAX_ROW && col <= MAX_COL).then_some((si, row, col as u16))
}

/// `F7` → (6, 5); also accepts `$F$7`.
fn parse_cell(s: &str) -> Option<(u32, u32)> {
    let s: String = s.trim().chars().filter(|c| *c != '$').collect();
    let split = s.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = s.split_at(split);
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let mut col: u32 = 0;
    for b in letters.bytes() {
        col = col * 26 + (b.to_ascii_uppercase() - b'A' + 1) as u32;
    }
    let row: u32 = digits.parse().ok()?;
    (row >= 1).then_some((row - 1, col - 1))
}

fn write_results(
    ws: &mut Worksheet,
    raw: &RawWorkbook,
    order: &[&Finding],
    located: &[Option<(usize, u32, u16)>],
    names: &[String],
    title: &str,
) -> Result<(), XlsxError> {
    for (c, w) in RESULT_WIDTHS.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let last = (RESULT_HEADERS.len() - 1) as u16;
    ws.merge_range(
        RESULT_TITLE_ROW,
        0,
        RESULT_TITLE_ROW,
        last,
        &style::cut_to_excel_limit(title),
        &style::title(),
    )?;
    ws.set_row_height(RESULT_TITLE_ROW, 28.0)?;

    let errors = order.iter().filter(|f| f.level.is_error()).count();
    let fatal = order.iter().filter(|f| f.level == Level::Fatal).count();
    let warnings = order.len() - errors;
    let explained = order
        .iter()
        .filter(|f| !f.level.is_error() && f.explained)
        .count();
    let mut summary = format!("共 {} 条:错误 {errors} 条", order.len());
    if fatal > 0 {
        summary.push_str(&format!("(其中无法读取 {fatal} 条)"));
    }
    summary.push_str(&format!(",提示 {warnings} 条(其中已说明 {explained} 条)。"));
    if raw.sheets.is_empty() {
        summary.push_str("文件无法读取,请按“说明”列修改后重新报送。");
    } else {
        summary.push_str("错误须改正后重新报送;提示请核对,确属实际情况的在“情况说明”表中说明。点击“单元格”列可跳到该单元格:红色为错误,黄色为提示,批注中有说明。");
    }
    ws.merge_range(
        RESULT_SUMMARY_ROW,
        0,
        RESULT_SUMMARY_ROW,
        last,
        &summary,
        &style::wrap(),
    )?;
    let total_width: f64 = RESULT_WIDTHS.iter().sum();
    ws.set_row_height(
        RESULT_SUMMARY_ROW,
        16.0 * style::wrapped_lines(&summary, total_width) as f64 + 4.0,
    )?;

    let h = style::header();
    for (c, t) in RESULT_HEADERS.iter().enumerate() {
        ws.write_string_with_format(RESULT_HEADER_ROW, c as u16, *t, &h)?;
    }

    let wrap = style::wrap();
    let text = style::text().set_align(rust_xlsxwriter::FormatAlign::Top);
    let top = Format::new().set_align(rust_xlsxwriter::FormatAlign::Top);
    let error_level = style::with_error_fill(top.clone());
    let warning_level = style::with_warning_fill(top.clone());
    let mut links = 0usize;
    for (i, (f, loc)) in order.iter().zip(located).enumerate() {
        let row = RESULT_FIRST_ROW + i as u32;
        ws.write_number_with_format(row, 0, (i + 1) as f64, &top)?;
        style::write_text(ws, row, 1, f.sheet.as_deref().unwrap_or(""), &top)?;
        let shown = f
            .cell
            .clone()
            .or_else(|| loc.map(|(_, r, c)| cell_ref(r, c as u32)))
            .unwrap_or_default();
        match loc {
            Some((si, r, c)) if links < MAX_LINKS => {
                let target = format!(
                    "internal:'{}'!{}{}",
                    names[*si].replace('\'', "''"),
                    col_letters(*c as u32),
                    r + 1
                );
                ws.write_url_with_text(row, 2, Url::new(target), &shown)?;
                links += 1;
            }
            _ => style::write_text(ws, row, 2, &shown, &top)?,
        }
        style::write_text(ws, row, 3, f.village.as_deref().unwrap_or(""), &text)?;
        style::write_text(ws, row, 4, f.code.as_str(), &top)?;
        let level_fmt = if f.level.is_error() {
            &error_level
        } else {
            &warning_level
        };
        style::write_text(ws, row, 5, f.level.zh(), level_fmt)?;
        style::write_text(ws, row, MESSAGE_COL as u16, &f.message, &wrap)?;
        style::write_text(ws, row, 7, f.value.as_deref().unwrap_or(""), &text)?;
        style::write_text(ws, row, 8, if f.explained { "是" } else { "否" }, &top)?;
        let lines = style::wrapped_lines(&f.message, RESULT_WIDTHS[MESSAGE_COL]).min(20);
        if lines > 1 {
            ws.set_row_height(row, 16.0 * lines as f64 + 2.0)?;
        }
    }

    let last_row = RESULT_FIRST_ROW + order.len().max(1) as u32 - 1;
    ws.autofilter(RESULT_HEADER_ROW, 0, last_row.max(RESULT_HEADER_ROW), last)?;
    ws.set_freeze_panes(RESULT_FIRST_ROW, 0)?;
    Ok(())
}

/// The formats of one fill (none, error or warning) for each value type.
struct Formats {
    general: Format,
    date: Format,
    datetime: Format,
}

impl Formats {
    fn new(fill: fn(Format) -> Format) -> Formats {
        Formats {
            general: fill(Format::new()),
            date: fill(style::date()),
            datetime: fill(style::datetime()),
        }
    }
}

fn write_sheet(
    ws: &mut Worksheet,
    sheet: &RawSheet,
    marks: &BTreeMap<(u32, u16), Mark>,
) -> Result<(), XlsxError> {
    ws.set_default_note_author("huizong");
    let plain = Formats::new(|f| f);
    let red = Formats::new(style::with_error_fill);
    let yellow = Formats::new(style::with_warning_fill);

    let mut widths: BTreeMap<u16, f64> = BTreeMap::new();
    for r in &sheet.rows {
        if r.row > MAX_ROW {
            continue;
        }
        for cell in &r.cells {
            if cell.col > MAX_COL {
                continue;
            }
            let col = cell.col as u16;
            let formats = match marks.get(&(r.row, col)) {
                Some(m) if m.error => &red,
                Some(_) => &yellow,
                None => &plain,
            };
            write_cell(ws, r.row, col, &cell.value, formats)?;
            let w = style::text_width(&cell.value.show()).min(60.0);
            let e = widths.entry(col).or_insert(0.0);
            *e = e.max(w);
        }
    }
    for (col, w) in widths {
        ws.set_column_width(col, (w + 2.0).clamp(8.43, 40.0))?;
    }

    for ((row, col), mark) in marks {
        if sheet.get(*row, *col as u32).is_none() {
            let f = if mark.error {
                &red.general
            } else {
                &yellow.general
            };
            ws.write_blank(*row, *col, f)?;
        }
        let text = mark.lines.join("\n");
        let text = style::cut_utf16(&text, style::EXCEL_MAX_TEXT - 54);
        let lines = style::wrapped_lines(&text, 40.0).min(25);
        let note = Note::new(text)
            .add_author_prefix(false)
            .set_author("huizong")
            .set_width(320)
            .set_height(20 + 15 * lines);
        ws.insert_note(*row, *col, &note)?;
    }
    Ok(())
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &CellValue,
    formats: &Formats,
) -> Result<(), XlsxError> {
    match v {
        CellValue::Text(s) => {
            ws.write_string_with_format(row, col, style::cut_to_excel_limit(s), &formats.general)?;
        }
        CellValue::Number(n) if n.is_finite() => {
            ws.write_number_with_format(row, col, *n, &formats.general)?;
        }
        CellValue::Bool(b) => {
            ws.write_boolean_with_format(row, col, *b, &formats.general)?;
        }
        CellValue::Date(d) if d.is_finite() => {
            let f = if d.fract() == 0.0 {
                &formats.date
            } else {
                &formats.datetime
            };
            ws.write_number_with_format(row, col, *d, f)?;
        }
        // Error values, formulas without a saved value, non-finite numbers:
        // their text, as a string.
        other => {
            ws.write_string_with_format(
                row,
                col,
                style::cut_to_excel_limit(&other.show()),
                &formats.general,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Pos};
    use crate::read::workbook::{RawCell, RawRow};

    fn finding(code: Code, sheet: &str, row: u32, col: u32, msg: &str) -> Finding {
        Finding {
            file: "a.xlsx".into(),
            township: Some("990101103".into()),
            sheet: Some(sheet.into()),
            cell: Some(cell_ref(row, col)),
            village: Some("990101103207".into()),
            code,
            level: code.level(),
            explained: false,
            value: Some("x".into()),
            message: msg.into(),
            pos: Some(Pos {
                sheet_order: 2,
                row,
                col,
            }),
        }
    }

    #[test]
    fn cells_parse() {
        assert_eq!(parse_cell("F7"), Some((6, 5)));
        assert_eq!(parse_cell("$AA$10"), Some((9, 26)));
        assert_eq!(parse_cell("7F"), None);
        assert_eq!(parse_cell(""), None);
    }

    #[test]
    fn sheet_names_are_made_valid_and_unique() {
        let raw = RawWorkbook {
            sheets: ["校验结果", "a/b", "'x'", "A/B", ""]
                .iter()
                .map(|n| RawSheet {
                    name: n.to_string(),
                    rows: vec![],
                })
                .collect(),
        };
        assert_eq!(
            written_sheet_names(&raw),
            ["校验结果(2)", "a_b", "_x_", "A_B(2)", "Sheet5"]
        );
    }

    #[test]
    fn deterministic_and_formula_text_stays_text() {
        let raw = RawWorkbook {
            sheets: vec![RawSheet {
                name: "标牌清理".into(),
                rows: vec![RawRow {
                    row: 6,
                    cells: vec![
                        RawCell {
                            col: 0,
                            value: CellValue::Text("=1+1".into()),
                        },
                        RawCell {
                            col: 5,
                            value: CellValue::NoCachedValue("SUM(A1:A2)".into()),
                        },
                    ],
                }],
            }],
        };
        let fs = vec![
            finding(Code::P05, "标牌清理", 6, 5, "提示"),
            finding(Code::V10, "标牌清理", 6, 5, "错误"),
        ];
        let a = build(&raw, &fs, "t", None)
            .unwrap()
            .save_to_buffer()
            .unwrap();
        let b = build(&raw, &fs, "t", None)
            .unwrap()
            .save_to_buffer()
            .unwrap();
        assert_eq!(a, b);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
        let mut sheet = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(),
            &mut sheet,
        )
        .unwrap();
        assert!(!sheet.contains("<f>"), "{sheet}");
    }
}
