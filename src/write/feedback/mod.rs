//! The feedback workbook (`outputs.md` "Feedback workbook"): first
//! 校验结果, every finding with a link to its cell, the village's code and
//! name, printable with the 说明 column wrapped; then the township's own
//! return, every sheet and value where it was read, laid out as the
//! template lays it out (header style, widths, formats, drop-downs), each
//! finding's cell filled (red error, yellow warning) with a note. It is a
//! return in its own right: corrected and sent back, it is read like any
//! return (its 校验结果 sheet is not one the reader reads). A file with a
//! fatal finding gets 校验结果 only.
//!
//! Values are written as read — text as text (never a formula), numbers as
//! numbers, dates as dates, error values as their text, a formula without a
//! saved value as that formula still without one — so the township sees
//! exactly what the tool saw, and the workbook sent back unchanged is read
//! with the same findings.

mod results;
mod sheets;

pub use results::RESULT_HEADERS;

use crate::finding::{Finding, Level};
use crate::model::Return;
use crate::policy::Policy;
use crate::read::normalise::{sheet_key, Period};
use crate::read::workbook::RawWorkbook;
use crate::write::set::OutputSet;
use crate::write::{style, template};
use rust_xlsxwriter::{Workbook, XlsxError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// Name of the first sheet, listing every finding.
pub(crate) const RESULTS_SHEET: &str = "校验结果";
/// Excel's last row and column (0-based).
const MAX_ROW: u32 = 1_048_575;
const MAX_COL: u32 = 16_383;

/// What a feedback workbook is made of.
pub struct FeedbackInput<'a> {
    /// The file's cells as read.
    pub raw: &'a RawWorkbook,
    /// The return as read (its sheets' layout, its villages' names), when
    /// there is one. With a fatal finding the workbook has 校验结果 only.
    pub ret: Option<&'a Return>,
    pub findings: &'a [Finding],
    /// Heads 校验结果 and the printed pages (e.g. "白砂镇_2024-06.xlsx").
    pub title: &'a str,
    /// Fixes the document date.
    pub period: Option<Period>,
    /// The policy (the 类别 drop-down).
    pub policy: &'a Policy,
}

/// Build the feedback workbook.
pub fn build(input: &FeedbackInput) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(super::ZIP_LEVEL);
    super::scratch::use_memory_if_roomy(&mut wb);
    let title = format!("{} 校验结果", input.title);
    wb.set_properties(&template::properties(input.period, &title, None)?);

    let fatal = input.findings.iter().any(|f| f.level == Level::Fatal);
    let empty = RawWorkbook::default();
    let raw = if fatal { &empty } else { input.raw };
    let names = written_sheet_names(raw);
    let mut order: Vec<&Finding> = input.findings.iter().collect();
    // Errors (fatal first) before warnings; stable within a level.
    order.sort_by_key(|f| f.level);
    let located: Vec<Option<(usize, u32, u16)>> = order.iter().map(|f| locate(raw, f)).collect();
    let villages = input.ret.map(Return::village_names).unwrap_or_default();

    // Every sheet in constant-memory mode: rust_xlsxwriter otherwise starts
    // a thread per sheet to lay it out when it saves — nine for every
    // feedback workbook, which, with hundreds written at once, kept a
    // quarter of the processors waiting on the threads' memory maps.
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(RESULTS_SHEET)?;
    results::write(
        ws,
        &results::Results {
            order: &order,
            located: &located,
            names: &names,
            villages: &villages,
            readable: !raw.sheets.is_empty(),
            title: &title,
        },
    )?;

    let lists = template::ListSource::new(input.policy);
    let looks = sheets::Looks::new();
    for (si, sheet) in raw.sheets.iter().enumerate() {
        let mut marks: BTreeMap<(u32, u16), Mark> = BTreeMap::new();
        for (f, loc) in order.iter().zip(&located) {
            if let Some((s, row, col)) = loc {
                if *s == si {
                    marks.entry((*row, *col)).or_default().add(f);
                }
            }
        }
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(&names[si])?;
        // 填报说明 is the tool's own text, never read as the return: it is
        // written as the template writes it, so it prints as it does there.
        let guide = sheet_key(&sheet.name) == sheet_key(crate::schema::GUIDE_SHEET);
        if guide && marks.is_empty() {
            let width = template::write_guide_sheet(ws, input.policy)?;
            crate::write::page::Page {
                title: &title,
                width,
                repeat: None,
                one_page: false,
            }
            .set_up(ws)?;
            continue;
        }
        let layout = input.ret.and_then(|r| sheets::Layout::of(sheet, r));
        sheets::write(
            ws,
            sheet,
            layout.as_ref(),
            &marks,
            input.policy,
            &lists,
            &looks,
            &title,
        )?;
    }
    template::add_lists_sheet(&mut wb, &lists)?;
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

/// The file names of feedback workbooks that go into one folder, in the
/// order given, each different from the others (also where the file system
/// ignores case). A file's feedback is named by its name without the
/// extension; files that share it (石门镇_2024-06.xlsx and
/// 石门镇_2024-06.ods) are each named by their whole name instead
/// (`石门镇_2024-06.ods_校验结果.xlsx`), so neither takes the other's place.
/// A name that still repeats gets `(2)`, `(3)`, ….
pub(crate) fn unique_names(ofs: &[FeedbackOf<'_>]) -> Vec<String> {
    let key = |name: &str| name.to_lowercase();
    let mut stems: HashMap<String, usize> = HashMap::new();
    for of in ofs {
        *stems.entry(key(&file_name(*of))).or_default() += 1;
    }
    let mut taken: HashSet<String> = HashSet::new();
    ofs.iter()
        .map(|of| {
            let mut name = file_name(*of);
            if let FeedbackOf::File(file) = of {
                if stems[&key(&name)] > 1 {
                    name = crate::write::safe_file_name(&format!("{file}_校验结果.xlsx"));
                }
            }
            let stem = name.strip_suffix(".xlsx").unwrap_or(&name).to_string();
            let mut k = 2;
            while !taken.insert(key(&name)) {
                name = format!("{stem}({k}).xlsx");
                k += 1;
            }
            name
        })
        .collect()
}

/// Write the feedback workbook named `name` into folder `dir` (made if
/// need be) as part of `set`; its path.
pub(crate) fn write_into(
    set: &OutputSet,
    dir: &Path,
    name: &str,
    input: &FeedbackInput,
) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context as _;
    std::fs::create_dir_all(dir).with_context(|| format!("无法创建文件夹 {}", dir.display()))?;
    let path = dir.join(name);
    let mut wb =
        build(input).map_err(|e| anyhow::anyhow!("无法生成反馈工作簿 {}:{e}", path.display()))?;
    set.save(&mut wb, &path)?;
    Ok(path)
}

/// The findings on one cell.
#[derive(Default)]
pub(super) struct Mark {
    pub(super) error: bool,
    pub(super) warning: bool,
    pub(super) lines: Vec<String>,
}

impl Mark {
    pub(super) fn add(&mut self, f: &Finding) {
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
pub(super) fn written_sheet_names(raw: &RawWorkbook) -> Vec<String> {
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
pub(super) fn locate(raw: &RawWorkbook, f: &Finding) -> Option<(usize, u32, u16)> {
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
pub(super) fn parse_cell(s: &str) -> Option<(u32, u32)> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Code, Pos};
    use crate::read::workbook::{CellValue, RawCell, RawRow, RawSheet};
    use crate::schema::cell_ref;

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
    fn files_sharing_a_name_without_extension_are_named_whole() {
        let june = Period {
            year: 2024,
            month: 6,
        };
        let names = unique_names(&[
            FeedbackOf::Township {
                code: "990101105",
                name: "石门镇",
                period: june,
            },
            FeedbackOf::File("石门镇_2024-06.ods"),
            FeedbackOf::File("石门镇_2024-06.xlsx"),
            FeedbackOf::File("枫岭乡.xlsx"),
            // Names that differ only in case are one name on Windows.
            FeedbackOf::File("A.xlsx"),
            FeedbackOf::File("a.xlsx"),
        ]);
        assert_eq!(
            names,
            [
                "990101105_石门镇_2024-06.xlsx",
                "石门镇_2024-06.ods_校验结果.xlsx",
                "石门镇_2024-06.xlsx_校验结果.xlsx",
                "枫岭乡_校验结果.xlsx",
                "A.xlsx_校验结果.xlsx",
                "a.xlsx_校验结果(2).xlsx",
            ]
        );
    }

    /// The feedback workbook of `raw` with `findings`, as saved bytes.
    fn saved(raw: &RawWorkbook, findings: &[Finding]) -> Vec<u8> {
        let policy = Policy::default_rules();
        let input = FeedbackInput {
            raw,
            ret: None,
            findings,
            title: "t",
            period: None,
            policy: &policy,
        };
        build(&input).unwrap().save_to_buffer().unwrap()
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
    fn deterministic_text_stays_text_and_an_uncalculated_formula_stays_one() {
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
        let a = saved(&raw, &fs);
        let b = saved(&raw, &fs);
        assert_eq!(a, b);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(a)).unwrap();
        let mut sheet = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet2.xml").unwrap(),
            &mut sheet,
        )
        .unwrap();
        // The text is text; the formula with no result is that formula,
        // still with none (read back, it is V10 again).
        assert!(sheet.contains(r#"<is><t>=1+1</t></is>"#), "{sheet}");
        assert_eq!(sheet.matches("<f>").count(), 1, "{sheet}");
        assert!(sheet.contains("<f>SUM(A1:A2)</f><v></v>"), "{sheet}");
    }

    /// Findings at cells that hold nothing — before the first row, between
    /// rows, beside a value and past the last row — each get a filled cell
    /// in its place and a note, though the sheet's rows go out in order.
    #[test]
    fn findings_at_empty_cells_are_filled_in_row_order() {
        let cell = |col, v: f64| RawCell {
            col,
            value: CellValue::Number(v),
        };
        let raw = RawWorkbook {
            sheets: vec![RawSheet {
                name: "标牌清理".into(),
                rows: vec![
                    RawRow {
                        row: 3,
                        cells: vec![cell(0, 1.0), cell(1, 2.0)],
                    },
                    RawRow {
                        row: 6,
                        cells: vec![cell(0, 3.0)],
                    },
                ],
            }],
        };
        let fs = vec![
            finding(Code::P01, "标牌清理", 1, 2, "错误"),
            finding(Code::P05, "标牌清理", 3, 4, "提示"),
            finding(Code::P05, "标牌清理", 4, 0, "提示"),
            finding(Code::P01, "标牌清理", 6, 0, "错误"),
            finding(Code::P05, "标牌清理", 9, 1, "提示"),
        ];
        let bytes = saved(&raw, &fs);
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut read = |name: &str| {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
            s
        };
        let sheet = read("xl/worksheets/sheet2.xml");
        let styles = read("xl/styles.xml");
        let comments = read("xl/comments1.xml");
        // Rows in order, each cell where it belongs.
        let rows: Vec<&str> = sheet
            .split("<row r=\"")
            .skip(1)
            .map(|r| r.split('"').next().unwrap())
            .collect();
        // Then an empty row that closes the sheet (`grid::close_rows`).
        assert_eq!(rows, ["2", "4", "5", "7", "10", "11"], "{sheet}");
        assert!(
            sheet.contains(r#"<row r="11"></row></sheetData>"#),
            "{sheet}"
        );
        // The fills: red for the errors, yellow for the warnings.
        let fill_of = |r: &str| -> String {
            let at = sheet
                .find(&format!("<c r=\"{r}\" s=\""))
                .unwrap_or_else(|| panic!("{r}: {sheet}"));
            let s: usize = sheet[at..].split('"').nth(3).unwrap().parse().unwrap();
            let xfs = styles.split("<cellXfs").nth(1).unwrap();
            let xf = xfs.split("<xf ").nth(s + 1).unwrap();
            let fill: usize = xf
                .split("fillId=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            let fills = styles.split("<fills").nth(1).unwrap();
            fills.split("<fill>").nth(fill + 1).unwrap().to_string()
        };
        for (r, colour) in [
            ("C2", "FFFFC7CE"),
            ("E4", "FFFFEB9C"),
            ("A5", "FFFFEB9C"),
            ("A7", "FFFFC7CE"),
            ("B10", "FFFFEB9C"),
        ] {
            assert!(fill_of(r).contains(colour), "{r}: {}", fill_of(r));
        }
        // The values beside them are kept, and every finding has its note.
        assert!(sheet.contains("<c r=\"B4\"><v>2</v></c>"), "{sheet}");
        for r in ["C2", "E4", "A5", "A7", "B10"] {
            assert!(
                comments.contains(&format!("ref=\"{r}\"")),
                "{r}: {comments}"
            );
        }
    }
}
