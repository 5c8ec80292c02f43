//! 汇总: one row per township, the 合计 row and the chart of 摘牌率.

use super::*;
use crate::aggregate;
use crate::batch::Batch;
use crate::write::grid::*;
use crate::write::page::Page;
use anyhow::Context as _;
use rust_xlsxwriter::{Chart, ChartDataLabel, ChartEmptyCells, ChartType, Worksheet};

/// 汇总 as a table: one row per township (and, for a city or province,
/// each county's subtotal, bold), then the 合计 row, bold and outside the
/// autofilter. Made once, for the sheet and for `汇总_<period>.json`.
pub(crate) fn summary_table(batch: &Batch, by_county: bool) -> anyhow::Result<Table> {
    let df = if by_county {
        aggregate::summary_by_county(batch)
    } else {
        aggregate::summary(batch)
    }
    .context("无法计算汇总")?;
    let total = aggregate::total_row(&df, batch).context("无法计算合计")?;
    let mut table = frame_table(&df)?;
    let code_col = table
        .headers
        .iter()
        .position(|h| h == aggregate::TOWNSHIP_CODE)
        .unwrap_or(0);
    // Subtotal rows have no township code.
    for (i, row) in table.rows.iter().enumerate() {
        table.bold[i] = row[code_col] == Cell::Blank;
    }
    let n = table.rows.len();
    let total = frame_table(&total)?;
    for r in total.rows {
        table.push(r, true);
    }
    table.filter_rows = n;
    let name_col = table
        .headers
        .iter()
        .position(|h| h == aggregate::TOWNSHIP)
        .unwrap_or(1);
    table.freeze_cols = name_col as u16 + 1;
    Ok(table)
}

/// Write 汇总 (the sheet a reader opens first): the table, a chart of
/// 摘牌率 below it, printed on one landscape page.
pub(crate) fn write_summary(
    ws: &mut Worksheet,
    table: &Table,
    looks: &Looks,
    title: &str,
) -> anyhow::Result<()> {
    let n = table.filter_rows;
    let name_col = table.freeze_cols as usize - 1;
    let rows = table.rows.len();
    let width = write_table(ws, 0, table, 0..rows, looks)?;
    Page {
        title,
        width,
        repeat: Some((0, 0)),
        one_page: true,
    }
    .set_up(ws)?;
    ws.set_active(true);

    // Chart of 摘牌率 over the township rows (and subtotals), below 合计:
    // the axis from 0 % to 100 %, each bar with its value, a township
    // without a figure labelled with its status at the foot of its place.
    let at = |h: &str| table.headers.iter().position(|x| x == h).unwrap_or(0);
    let (rate_col, status_col) = (at(aggregate::REMOVAL_RATE), at(aggregate::STATUS));
    if n > 0 {
        let (first, last) = (1u32, n as u32);
        let labels: Vec<ChartDataLabel> = table.rows[..n]
            .iter()
            .map(|r| match (&r[rate_col], &r[status_col]) {
                (Cell::Num(_), _) => ChartDataLabel::default(),
                (_, Cell::Text(status)) if status != crate::batch::Status::Used.zh() => {
                    ChartDataLabel::new().set_value(status.as_str()).to_custom()
                }
                _ => ChartDataLabel::new().set_value("无数据").to_custom(),
            })
            .collect();
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name("各乡镇(街道)摘牌率");
        chart
            .add_series()
            .set_name(aggregate::REMOVAL_RATE)
            .set_categories((SUMMARY_SHEET, first, name_col as u16, last, name_col as u16))
            .set_values((SUMMARY_SHEET, first, rate_col as u16, last, rate_col as u16))
            .set_data_label(ChartDataLabel::new().show_value().set_num_format("0.0%"))
            .set_custom_data_labels(&labels);
        chart.show_empty_cells_as(ChartEmptyCells::Zero);
        chart
            .y_axis()
            .set_min(0.0)
            .set_max(1.0)
            .set_num_format("0%");
        chart.legend().set_hidden();
        chart
            .set_width((n as u32 * 48).clamp(480, 1600))
            .set_height(320);
        ws.insert_chart(rows as u32 + 2, 0, &chart)?;
    }
    Ok(())
}
