//! 校验结果, the feedback workbook's first sheet: a title, a line of counts
//! with what to do, then every finding — errors first — with a link to its
//! cell, the village's code and name, the rule, the level (filled red or
//! yellow), the message wrapped so it prints on the page, and the value
//! found.

use crate::finding::{Finding, Level, Tally};
use crate::schema::{cell_ref, col_letters};
use crate::write::columns;
use crate::write::grid::ColFmt;
use crate::write::page::Page;
use crate::write::style;
use rust_xlsxwriter::{Format, FormatAlign, Url, Worksheet, XlsxError};
use std::collections::BTreeMap;

/// Headers of 校验结果.
pub const RESULT_HEADERS: [&str; 10] = [
    "序号",
    "工作表",
    "单元格",
    "村(社区)代码",
    "村(社区)名称",
    "规则编号",
    "级别",
    "说明",
    "原值",
    "已说明",
];
const TITLE_ROW: u32 = 0;
const SUMMARY_ROW: u32 = 1;
const HEADER_ROW: u32 = 2;
const FIRST_ROW: u32 = 3;
/// Excel's limit of hyperlinks in one worksheet.
const MAX_LINKS: usize = 65_530;

/// What 校验结果 lists.
pub(super) struct Results<'a> {
    /// The findings, errors first.
    pub(super) order: &'a [&'a Finding],
    /// Each finding's (sheet, row, column) in the workbook, if it has one.
    pub(super) located: &'a [Option<(usize, u32, u16)>],
    /// The names the return's sheets have in the workbook.
    pub(super) names: &'a [String],
    /// Village code → name.
    pub(super) villages: &'a BTreeMap<String, String>,
    /// The return's sheets follow (the file was read).
    pub(super) readable: bool,
    pub(super) title: &'a str,
}

/// A column's width: 说明 as declared, the others fitted to what they show.
fn width(header: &str) -> f64 {
    match (header, columns::look(header)) {
        (_, ColFmt::Wrap(w)) => w,
        ("序号" | "已说明" | "级别" | "规则编号" | "单元格", _) => 8.0,
        ("村(社区)代码", _) => 15.0,
        ("原值", _) => 20.0,
        _ => 14.0,
    }
}

pub(super) fn write(ws: &mut Worksheet, r: &Results) -> Result<(), XlsxError> {
    let widths: Vec<f64> = RESULT_HEADERS.iter().map(|h| width(h)).collect();
    for (c, w) in widths.iter().enumerate() {
        ws.set_column_width(c as u16, *w)?;
    }
    let last = (RESULT_HEADERS.len() - 1) as u16;
    ws.merge_range(
        TITLE_ROW,
        0,
        TITLE_ROW,
        last,
        &style::cut_to_excel_limit(r.title),
        &style::title(),
    )?;
    ws.set_row_height(TITLE_ROW, 28.0)?;

    let order = r.order;
    let Tally {
        errors,
        warnings,
        explained,
    } = Tally::of(order.iter().copied());
    let fatal = order.iter().filter(|f| f.level == Level::Fatal).count();
    let mut summary = format!("共 {} 条:错误 {errors} 条", order.len());
    if fatal > 0 {
        summary.push_str(&format!("(其中无法读取 {fatal} 条)"));
    }
    summary.push_str(&format!(",提示 {warnings} 条(其中已说明 {explained} 条)。"));
    if !r.readable {
        summary.push_str("文件无法读取,请按“说明”列修改后重新报送。");
    } else {
        summary.push_str("错误须改正后重新报送;提示请核对,确属实际情况的在“情况说明”表中说明。点击“单元格”列可跳到该单元格:红色为错误,黄色为提示,批注中有说明。本工作簿改正后可直接作为月报重新报送。");
    }
    ws.merge_range(SUMMARY_ROW, 0, SUMMARY_ROW, last, &summary, &style::wrap())?;
    let total: f64 = widths.iter().sum();
    ws.set_row_height(
        SUMMARY_ROW,
        16.0 * style::wrapped_lines(&summary, total) as f64 + 4.0,
    )?;

    let h = style::header();
    for (c, t) in RESULT_HEADERS.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, c as u16, *t, &h)?;
    }

    // Each column's look is set once on the column and its cells are
    // written without a format of their own (rust_xlsxwriter hashes every
    // format it is given with a cell); only 级别 carries its fill.
    let center = FormatAlign::VerticalCenter;
    let top = Format::new().set_align(center);
    let looks = [
        &top,
        &top,
        &top,
        &style::text().set_align(center),
        &top,
        &top,
        &top,
        &style::wrap().set_align(center),
        &style::text().set_align(center),
        &top,
    ];
    for (c, f) in looks.iter().enumerate() {
        ws.set_column_format(c as u16, f)?;
    }
    let message_width = width("说明");
    let error_level = style::with_error_fill(top.clone());
    let warning_level = style::with_warning_fill(top.clone());
    let plain = |ws: &mut Worksheet, row: u32, col: u16, s: &str| -> Result<(), XlsxError> {
        if !s.is_empty() {
            ws.write_string(row, col, style::cut_to_excel_limit(s))?;
        }
        Ok(())
    };
    let mut links = 0usize;
    // The look rust_xlsxwriter gives a link, made once rather than copied
    // from the sheet's default for every link.
    let link = Format::new().set_hyperlink();
    // A month's findings share a few hundred messages: each message's
    // wrapped height is worked out once per workbook.
    let mut lines_of: foldhash::HashMap<&str, u32> = foldhash::HashMap::default();
    for (i, (f, loc)) in order.iter().zip(r.located).enumerate() {
        let row = FIRST_ROW + i as u32;
        ws.write_number(row, 0, (i + 1) as f64)?;
        plain(ws, row, 1, f.sheet.as_deref().unwrap_or(""))?;
        let shown = f
            .cell
            .clone()
            .or_else(|| loc.map(|(_, r, c)| cell_ref(r, c as u32)))
            .unwrap_or_default();
        match loc {
            Some((si, row_at, c)) if links < MAX_LINKS => {
                let target = format!(
                    "internal:'{}'!{}{}",
                    r.names[*si].replace('\'', "''"),
                    col_letters(*c as u32),
                    row_at + 1
                );
                ws.write_url_with_format(row, 2, Url::new(target).set_text(&shown), &link)?;
                links += 1;
            }
            _ => plain(ws, row, 2, &shown)?,
        }
        let village = f.village.as_deref().unwrap_or("");
        plain(ws, row, 3, village)?;
        let name = r.villages.get(village).map(String::as_str).unwrap_or("");
        plain(ws, row, 4, name)?;
        plain(ws, row, 5, f.code.as_str())?;
        let level_fmt = if f.level.is_error() {
            &error_level
        } else {
            &warning_level
        };
        style::write_text(ws, row, 6, f.level.zh(), level_fmt)?;
        plain(ws, row, 7, &f.message)?;
        plain(ws, row, 8, f.value.as_deref().unwrap_or(""))?;
        plain(ws, row, 9, if f.explained { "是" } else { "否" })?;
        let lines = *lines_of
            .entry(&f.message)
            .or_insert_with(|| style::wrapped_lines(&f.message, message_width).min(20));
        if lines > 1 {
            ws.set_row_height(row, 16.0 * lines as f64 + 2.0)?;
        }
    }

    let last_row = FIRST_ROW + order.len().max(1) as u32 - 1;
    crate::write::grid::close_rows(ws, last_row, last + 1)?;
    ws.autofilter(HEADER_ROW, 0, last_row.max(HEADER_ROW), last)?;
    ws.set_freeze_panes(FIRST_ROW, 0)?;
    Page {
        title: r.title,
        width: total,
        repeat: Some((TITLE_ROW, HEADER_ROW)),
        one_page: false,
    }
    .set_up(ws)
}
