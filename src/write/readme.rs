//! The 说明 sheet's shared top, in every county and tier workbook
//! (`outputs.md` "Determinism and audit"): the county, the period, the tool
//! and rules versions with the rules file's SHA-256, the notes, and the
//! table of every input file with its SHA-256, township and status.

use crate::batch::{Batch, FileEntry};
use crate::model::Cover;
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::workspace::CountyConfig;
use crate::write::grid::{write_table, Cell, Looks, Table};
use crate::write::page::Page;
use crate::write::style;
use rust_xlsxwriter::{Format, FormatAlign, Worksheet, XlsxError};
use std::collections::BTreeMap;

/// Headers of the input-file table of 说明.
pub(crate) const FILE_HEADERS: [&str; 5] =
    ["文件", "SHA-256", "乡镇(街道)代码", "乡镇(街道)", "状态"];

/// The audit lines every 说明 sheet opens with: the county, the period,
/// the document date, the tool and the rules file with its SHA-256.
pub(crate) fn audit_lines(
    c: &CountyConfig,
    period_label: &'static str,
    p: Period,
    tool_version: &str,
    policy: &Policy,
) -> Vec<(&'static str, String)> {
    vec![
        ("县(市、区)", c.name.clone()),
        ("县(市、区)代码", c.code.clone()),
        (period_label, p.to_string()),
        ("文档日期", format!("{:04}-{:02}-01", p.year, p.month)),
        ("工具版本", format!("huizong {tool_version}")),
        ("规则文件", policy.source.clone()),
        ("规则版本", policy.version.clone()),
        ("规则文件 SHA-256", policy.sha256.clone()),
    ]
}

/// The top of a 说明 sheet: the title, then label/value rows (the notes
/// appended under 备注). Returns the row after a blank line.
pub(crate) fn write_audit_block(
    ws: &mut Worksheet,
    title: &str,
    lines: &mut Vec<(&'static str, String)>,
    notes: &[String],
) -> Result<u32, XlsxError> {
    ws.merge_range(0, 0, 0, 4, title, &style::title())?;
    ws.set_row_height(0, 28.0)?;
    for (i, n) in notes.iter().enumerate() {
        lines.push((if i == 0 { "备注" } else { "" }, n.clone()));
    }
    let label = style::bold();
    let plain = Format::new().set_align(FormatAlign::Left);
    let mut row = 2;
    for (l, v) in lines.iter() {
        style::write_text(ws, row, 0, l, &label)?;
        style::write_text(ws, row, 1, v, &plain)?;
        row += 1;
    }
    Ok(row + 1)
}

/// A whole 说明 sheet: the heading, the label/value lines (with the notes
/// under 备注), the input-file table, widths that fit both, and the page
/// setup. Lines labelled in `long` wrap in their cell instead of widening
/// column B (a sentence such as 评定办法).
#[allow(clippy::too_many_arguments)]
pub(crate) fn write_sheet(
    ws: &mut Worksheet,
    heading: &str,
    mut lines: Vec<(&'static str, String)>,
    notes: &[String],
    files: &Table,
    long: &[&str],
    looks: &Looks,
    title: &str,
) -> Result<(), XlsxError> {
    let row = write_audit_block(ws, heading, &mut lines, notes)?;
    let n = files.rows.len();
    write_table(ws, row, files, 0..n, looks)?;
    // Column A holds the labels and the file names; B the values and the
    // hashes.
    let text = |c: usize| {
        files.rows.iter().filter_map(move |r| match &r[c] {
            Cell::Text(s) => Some(s.as_str()),
            _ => None,
        })
    };
    let labels = lines.iter().map(|(l, _)| *l);
    let a = style::fit_width(labels.chain(text(0)), 12.0, 50.0);
    ws.set_column_width(0, a)?;
    let values = lines
        .iter()
        .filter(|(l, _)| !long.contains(l))
        .map(|(_, v)| v.as_str());
    let b = style::fit_width(values.chain(text(1)), 20.0, 80.0);
    ws.set_column_width(1, b)?;
    let wrap = style::wrap().set_align(FormatAlign::Top);
    for (i, (l, v)) in lines.iter().enumerate() {
        if long.contains(l) {
            style::write_text(ws, 2 + i as u32, 1, v, &wrap)?;
            ws.set_row_height(2 + i as u32, 16.0 * style::wrapped_lines(v, b) as f64 + 4.0)?;
        }
    }
    let rest: f64 = (2..files.headers.len())
        .map(|c| crate::write::grid::width_bounds(files.cols[c]).0.max(10.0))
        .sum();
    Page {
        title,
        width: a + b + rest,
        repeat: Some((row, row)),
        one_page: false,
    }
    .set_up(ws)
}

/// The input-file table of a 说明 sheet: every file of the batch.
pub(crate) fn files_table(batch: &Batch) -> Table {
    let mut table = Table::new(&FILE_HEADERS);
    for r in input_files(batch) {
        table.push(r.iter().map(|v| Cell::opt(*v)).collect(), false);
    }
    table
}

/// The rows of the input-file table of a 说明 sheet ([`FILE_HEADERS`]):
/// file, SHA-256, township code and name (the roster's or the period's name,
/// else the file's cover), status.
pub(crate) fn input_files(batch: &Batch) -> Vec<[Option<&str>; 5]> {
    let names: BTreeMap<&str, &str> = batch
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t.name.as_str()))
        .collect();
    batch
        .files
        .iter()
        .map(|f| {
            let code = f.loaded.township_code();
            let name = code
                .and_then(|c| names.get(c).copied())
                .or_else(|| cover(f).and_then(|c| c.township.as_deref()));
            [
                Some(f.loaded.file.as_str()),
                Some(f.loaded.sha256.as_str()),
                code,
                name,
                Some(f.status.zh()),
            ]
        })
        .collect()
}

pub(crate) fn cover(f: &FileEntry) -> Option<&Cover> {
    f.loaded.cover.as_ref()
}
