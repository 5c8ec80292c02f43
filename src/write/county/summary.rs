//! 汇总: one row per township, the 合计 row and the chart of 摘牌率.

use super::*;
use crate::aggregate;
use crate::write::grid::*;
use anyhow::Context as _;
use rust_xlsxwriter::{Chart, ChartType, Worksheet};

pub(crate) fn write_summary(
    ws: &mut Worksheet,
    input: &CountyInput,
    looks: &Looks,
) -> anyhow::Result<()> {
    let by_county = input.county.code.len() < 6;
    let df = if by_county {
        aggregate::summary_by_county(input.batch)
    } else {
        aggregate::summary(input.batch)
    }
    .context("无法计算汇总")?;
    let total = aggregate::total_row(&df, input.batch).context("无法计算合计")?;

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
    let rows = table.rows.len();
    write_table(ws, 0, &table, 0..rows, looks)?;

    // Chart of 摘牌率 over the township rows (and subtotals), below 合计.
    let rate_col = table
        .headers
        .iter()
        .position(|h| h == aggregate::REMOVAL_RATE)
        .unwrap_or(0);
    if n > 0 {
        let (first, last) = (1u32, n as u32);
        let mut chart = Chart::new(ChartType::Column);
        chart.title().set_name("各乡镇(街道)摘牌率");
        chart
            .add_series()
            .set_name(aggregate::REMOVAL_RATE)
            .set_categories((SUMMARY_SHEET, first, name_col as u16, last, name_col as u16))
            .set_values((SUMMARY_SHEET, first, rate_col as u16, last, rate_col as u16));
        chart.y_axis().set_num_format("0%");
        chart.legend().set_hidden();
        chart
            .set_width((n as u32 * 48).clamp(480, 1600))
            .set_height(320);
        ws.insert_chart(rows as u32 + 2, 0, &chart)?;
    }
    Ok(())
}
