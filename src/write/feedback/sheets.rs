//! The township's return in its feedback workbook: every cell where it was
//! read, and — for the sheets the template defines — laid out as the
//! template lays them out: the header row styled, each known column as wide
//! and formatted as in the template (codes as text), its drop-down or
//! range check on the input rows, the header frozen and filtered. A cell
//! with a finding is filled red (error) or yellow (warning) with a note.

use super::{Mark, MAX_COL, MAX_ROW};
use crate::model::Return;
use crate::policy::Policy;
use crate::read::normalise::sheet_key;
use crate::read::workbook::{CellValue, RawSheet};
use crate::schema::{self, Kind, SheetSpec};
use crate::write::page::Page;
use crate::write::style;
use crate::write::template::{self, ListSource};
use rust_xlsxwriter::{Format, Formula, Note, Worksheet, XlsxError};
use std::collections::BTreeMap;

/// Where a data sheet's table is in the raw sheet, as the reader found it.
pub(super) struct Layout {
    spec: &'static SheetSpec,
    header_row: u32,
    /// Schema column → column in the sheet.
    cols: Vec<Option<u32>>,
    /// The last row that holds a village or sign.
    last_row: u32,
}

impl Layout {
    /// The layout of a raw sheet that is one of the return's data sheets.
    pub(super) fn of(sheet: &RawSheet, ret: &Return) -> Option<Layout> {
        let t = ret
            .tables
            .iter()
            .find(|t| t.name == sheet.name || sheet_key(&t.name) == sheet_key(&sheet.name))?;
        let last_row = t.rows.iter().chain(&t.totals).map(|r| r.row).max();
        Some(Layout {
            spec: t.spec,
            header_row: t.header_row,
            cols: t.cols.clone(),
            last_row: last_row.unwrap_or(t.header_row),
        })
    }

    /// The schema column written in sheet column `col`, if any.
    fn column(&self, col: u32) -> Option<&'static schema::Column> {
        let i = self.cols.iter().position(|c| *c == Some(col))?;
        Some(&self.spec.columns[i])
    }
}

/// How a cell shows: its role, under one of three fills.
#[derive(Clone, Copy)]
enum Role {
    General,
    Code,
    Date,
    DateTime,
    Header,
    /// A title row above the header.
    Title,
    /// 基本信息 below its header: the item, what was filled in (a date, or
    /// anything else), the help — framed as in the template.
    CoverLabel,
    CoverValue,
    CoverDate,
    CoverHelp,
}

const ROLES: [Role; 10] = [
    Role::General,
    Role::Code,
    Role::Date,
    Role::DateTime,
    Role::Header,
    Role::Title,
    Role::CoverLabel,
    Role::CoverValue,
    Role::CoverDate,
    Role::CoverHelp,
];

/// Every format a cell of a return's sheet takes, made once per workbook:
/// each role plain, filled red and filled yellow.
pub(super) struct Looks {
    formats: Vec<Format>,
}

impl Looks {
    pub(super) fn new() -> Looks {
        let framed = |f: Format| f.set_border(rust_xlsxwriter::FormatBorder::Thin);
        let base = |role: Role| match role {
            Role::General => Format::new(),
            Role::Code => style::text(),
            Role::Date => style::date(),
            Role::DateTime => style::datetime(),
            Role::Header => style::header(),
            Role::Title => style::title(),
            Role::CoverLabel => framed(style::bold()),
            Role::CoverValue => framed(style::text()),
            Role::CoverDate => framed(style::date()),
            Role::CoverHelp => {
                framed(style::wrap()).set_font_color(rust_xlsxwriter::Color::RGB(0x595959))
            }
        };
        let fills: [fn(Format) -> Format; 3] =
            [|f| f, style::with_error_fill, style::with_warning_fill];
        let formats = fills
            .iter()
            .flat_map(|fill| ROLES.iter().map(move |r| fill(base(*r))))
            .collect();
        Looks { formats }
    }

    fn get(&self, role: Role, mark: Option<&Mark>) -> &Format {
        let fill = match mark {
            None => 0,
            Some(m) if m.error => 1,
            Some(_) => 2,
        };
        &self.formats[fill * ROLES.len() + role as usize]
    }
}

/// Write one sheet of the return.
#[allow(clippy::too_many_arguments)]
pub(super) fn write(
    ws: &mut Worksheet,
    sheet: &RawSheet,
    layout: Option<&Layout>,
    marks: &BTreeMap<(u32, u16), Mark>,
    policy: &Policy,
    lists: &ListSource,
    looks: &Looks,
    title: &str,
) -> Result<(), XlsxError> {
    ws.set_default_note_author("huizong");
    // The only formulas written are ones the file kept no result of: they
    // keep none here either (`write_cell`).
    ws.set_formula_result_default("");
    // Each column's fitted width, by column; `None` for a column no cell
    // of which is measured.
    let mut widths: Vec<Option<f64>> = Vec::new();
    let is_cover = sheet_key(&sheet.name) == sheet_key(schema::COVER_SHEET);
    // The cover's header row is the one that starts 项目, as the template's.
    let header_row = match layout {
        Some(l) => Some(l.header_row),
        None if is_cover => sheet
            .rows
            .iter()
            .find(|r| matches!(r.get(0), Some(CellValue::Text(t)) if t.trim() == "项目"))
            .map(|r| r.row),
        None => None,
    };
    // Code columns are text on the column, as in the template: a code
    // typed into an empty row stays a code, and the column's cells need no
    // format of their own (rust_xlsxwriter hashes the whole format of
    // every formatted cell it stores).
    let mut code_cols: Vec<bool> = Vec::new();
    if let Some(l) = layout {
        for (column, at) in l.spec.columns.iter().zip(&l.cols) {
            if let (Kind::Code12, Some(c)) = (column.kind, at) {
                ws.set_column_format(*c as u16, looks.get(Role::Code, None))?;
                *slot(&mut code_cols, *c as usize, false) = true;
            }
        }
    }
    // The template's rows: the title merged across the table and 28 pt
    // high, the header as tall as its wrapped headers, 基本信息's rows 20 pt.
    let last_table_col = match (layout, is_cover) {
        (Some(l), _) => l.cols.iter().flatten().max().map(|c| *c as u16),
        (None, true) => Some(template::COVER_WIDTHS.len() as u16 - 1),
        (None, false) => None,
    };
    if let (Some(l), Some(h)) = (layout, header_row) {
        let lines = l
            .spec
            .columns
            .iter()
            .map(|c| style::wrapped_lines(c.header, template::column_width(c)))
            .max()
            .unwrap_or(1);
        ws.set_row_height(h, 16.0 * lines as f64 + 6.0)?;
    }
    // Rows go out in order (the sheet is written in constant-memory mode,
    // which keeps no row it has passed): each finding at a cell that holds
    // nothing gets its filled blank cell in its row's turn.
    let mut blanks = marks
        .iter()
        .filter(|((row, col), _)| sheet.get(*row, *col as u32).is_none())
        .peekable();
    for r in sheet.rows.iter().filter(|r| r.row <= MAX_ROW) {
        while let Some(((row, col), mark)) = blanks.next_if(|((row, _), _)| *row <= r.row) {
            ws.write_blank(*row, *col, looks.get(Role::General, Some(mark)))?;
        }
        let header = header_row == Some(r.row);
        let title = header_row.is_some_and(|h| r.row < h);
        // Most rows have no finding: their cells are not looked up.
        let marked = marks.range((r.row, 0)..=(r.row, u16::MAX)).next().is_some();
        if let (true, false, Some(last), [only]) = (title, marked, last_table_col, &r.cells[..]) {
            if let (0, CellValue::Text(text)) = (only.col, &only.value) {
                if last > 0 {
                    let text = style::cut_to_excel_limit(text);
                    ws.merge_range(r.row, 0, r.row, last, &text, looks.get(Role::Title, None))?;
                    ws.set_row_height(r.row, 28.0)?;
                    continue;
                }
            }
        }
        let cover_row = is_cover && header_row.is_some_and(|h| r.row > h);
        if cover_row {
            ws.set_row_height(r.row, 20.0)?;
        }
        for cell in r.cells.iter().filter(|c| c.col <= MAX_COL) {
            let col = cell.col as u16;
            let mark = if marked {
                marks.get(&(r.row, col))
            } else {
                None
            };
            let code = code_cols.get(cell.col as usize).copied().unwrap_or(false);
            let role = match (&cell.value, header) {
                (_, true) => Role::Header,
                _ if title => Role::Title,
                (v, _) if cover_row => match (cell.col, v) {
                    (0, _) => Role::CoverLabel,
                    (1, CellValue::Date(_)) => Role::CoverDate,
                    (1, _) => Role::CoverValue,
                    _ => Role::CoverHelp,
                },
                (CellValue::Date(d), _) if d.fract() == 0.0 => Role::Date,
                (CellValue::Date(_), _) => Role::DateTime,
                (_, false) if code => Role::Code,
                _ => Role::General,
            };
            // A plain cell, or a code in its text column, is written
            // without a format.
            let look = match (role, mark) {
                (Role::General | Role::Code, None) => None,
                _ => Some(looks.get(role, mark)),
            };
            write_cell(ws, r.row, col, &cell.value, look)?;
            if !header && !title {
                widen(
                    slot(&mut widths, col as usize, None).get_or_insert(0.0),
                    &cell.value,
                );
            }
        }
    }

    for ((row, col), mark) in blanks {
        ws.write_blank(*row, *col, looks.get(Role::General, Some(mark)))?;
    }
    // Rows here have heights of their own (titles, headers, 基本信息).
    let last_row = sheet
        .rows
        .iter()
        .map(|r| r.row)
        .chain(marks.keys().map(|(r, _)| *r))
        .filter(|r| *r < MAX_ROW)
        .max();
    if let Some(last) = last_row {
        let past = sheet
            .rows
            .iter()
            .flat_map(|r| r.cells.iter().map(|c| c.col))
            .chain(marks.keys().map(|(_, c)| u32::from(*c)))
            .filter(|c| *c < MAX_COL)
            .max()
            .unwrap_or(0);
        crate::write::grid::close_rows(ws, last, past as u16 + 1)?;
    }

    // Widths: the template's for its columns, else what the cells show.
    let mut total = 0.0;
    let last_col = widths.len().saturating_sub(1) as u16;
    for col in 0..=last_col {
        let fitted = widths
            .get(col as usize)
            .copied()
            .flatten()
            .map(|w| (w + 2.0).clamp(8.43, 40.0));
        let known = layout.and_then(|l| l.column(col as u32));
        let w = match (known, is_cover) {
            (Some(c), _) => template::column_width(c).max(fitted.unwrap_or(0.0)),
            // 序号, as narrow as in the template.
            (None, false) if col == 0 && layout.is_some() => template::ROW_NO_WIDTH,
            (None, true) if (col as usize) < template::COVER_WIDTHS.len() => {
                template::COVER_WIDTHS[col as usize]
            }
            (None, _) => match fitted {
                Some(w) => w,
                None => continue,
            },
        };
        ws.set_column_width(col, w)?;
        total += w;
    }

    if let Some(l) = layout {
        // The template's checks on the input rows, so a correction is
        // checked as it is typed.
        let last = l
            .last_row
            .max(l.header_row + template::input_rows(l.spec))
            .min(MAX_ROW);
        for (column, at) in l.spec.columns.iter().zip(&l.cols) {
            let Some(c) = at else { continue };
            if let Some(dv) = template::validation(l.spec, column, policy, lists)? {
                ws.add_data_validation(l.header_row + 1, *c as u16, last, *c as u16, &dv)?;
            }
        }
        let last_col = l.cols.iter().flatten().max().copied().unwrap_or(0) as u16;
        ws.autofilter(l.header_row, 0, l.header_row, last_col)?;
        ws.set_freeze_panes(l.header_row + 1, 0)?;
    }

    // Notes, also on findings anchored at an empty cell. Many say the same
    // (one sign misfiled the same way in village after village): each text
    // is measured once.
    let mut lines_of: foldhash::HashMap<String, u32> = foldhash::HashMap::default();
    for ((row, col), mark) in marks {
        let text = mark.lines.join("\n");
        let text = style::cut_utf16(&text, style::EXCEL_MAX_TEXT - 54);
        let lines = match lines_of.get(text.as_ref()) {
            Some(n) => *n,
            None => {
                let n = style::wrapped_lines(&text, 40.0).min(25);
                lines_of.insert(text.to_string(), n);
                n
            }
        };
        let note = Note::new(text)
            .add_author_prefix(false)
            .set_author("huizong")
            .set_width(320)
            .set_height(20 + 15 * lines);
        ws.insert_note(*row, *col, &note)?;
    }

    Page {
        title,
        width: total,
        repeat: header_row.map(|h| (0, h)),
        one_page: false,
    }
    .set_up(ws)
}

/// `v[i]`, growing `v` with `fill` up to it: per-column state kept by
/// column number.
fn slot<T: Clone>(v: &mut Vec<T>, i: usize, fill: T) -> &mut T {
    if v.len() <= i {
        v.resize(i + 1, fill);
    }
    &mut v[i]
}

/// The widest a fitted column gets, in Excel's units.
const MAX_FIT: f64 = 60.0;

/// Widen `w` to what `v` shows (at most [`MAX_FIT`]). Most cells cannot
/// widen their column, and are told so without measuring or formatting
/// their text: a text is never wider than its [`style::width_bound`], a
/// whole number is as wide as its digits.
fn widen(w: &mut f64, v: &CellValue) {
    if *w >= MAX_FIT {
        return;
    }
    let shown = match v {
        CellValue::Text(s) if style::width_bound(s) <= *w => return,
        CellValue::Text(s) => style::text_width(s),
        CellValue::Number(n) if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 => {
            let i = *n as i64;
            (i.unsigned_abs().checked_ilog10().unwrap_or(0) + 1 + u32::from(i < 0)) as f64
        }
        v => style::text_width(&v.show()),
    };
    *w = w.max(shown.min(MAX_FIT));
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &CellValue,
    f: Option<&Format>,
) -> Result<(), XlsxError> {
    let shown;
    let text = match v {
        CellValue::Number(n) | CellValue::Date(n) if n.is_finite() => {
            match f {
                Some(f) => ws.write_number_with_format(row, col, *n, f)?,
                None => ws.write_number(row, col, *n)?,
            };
            return Ok(());
        }
        CellValue::Bool(b) => {
            match f {
                Some(f) => ws.write_boolean_with_format(row, col, *b, f)?,
                None => ws.write_boolean(row, col, *b)?,
            };
            return Ok(());
        }
        // A formula the file kept no result of stays that formula, still
        // without a result: Excel and WPS work it out when the township
        // opens the workbook, and sent back unopened it is read as it was
        // (V10 again), not as text.
        CellValue::NoCachedValue(formula) => {
            let written = match f {
                Some(f) => ws.write_formula_with_format(row, col, Formula::new(formula), f),
                None => ws.write_formula(row, col, Formula::new(formula)),
            };
            if written.is_ok() {
                return Ok(());
            }
            shown = v.show();
            style::cut_to_excel_limit(&shown)
        }
        CellValue::Text(s) => style::cut_to_excel_limit(s),
        // Error values, formulas without a saved value, non-finite numbers:
        // their text, as a string.
        other => {
            shown = other.show();
            style::cut_to_excel_limit(&shown)
        }
    };
    match f {
        Some(f) => ws.write_string_with_format(row, col, text, f)?,
        None => ws.write_string(row, col, text)?,
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `widen` gives what measuring every cell's shown text gives.
    #[test]
    fn widening_skips_only_cells_that_cannot_widen() {
        let values = [
            CellValue::Text("330102001001".into()),
            CellValue::Text("党群服务中心".into()),
            CellValue::Text("两行\n第二行更长一些的文字".into()),
            CellValue::Text("Ａ全角".into()),
            CellValue::Text("很长的文字".repeat(20).into()),
            CellValue::Number(0.0),
            CellValue::Number(-0.0),
            CellValue::Number(7.0),
            CellValue::Number(-1200.0),
            CellValue::Number(1e15),
            CellValue::Number(12.5),
            CellValue::Number(1e300),
            CellValue::Date(45444.0),
            CellValue::Bool(true),
            CellValue::Error("#DIV/0!".into()),
        ];
        for start in [0.0, 2.0, 4.0, 12.0, 59.0, 60.0] {
            for v in &values {
                let mut w = start;
                widen(&mut w, v);
                let measured = style::text_width(&v.show()).min(MAX_FIT);
                let expected = if start >= MAX_FIT {
                    start
                } else {
                    f64::max(start, measured)
                };
                assert_eq!(w, expected, "{v:?} from {start}");
            }
        }
        let mut w = 0.0;
        widen(&mut w, &CellValue::Number(-1200.0));
        assert_eq!(w, 5.0);
    }
}
