//! The campaign month by month (`outputs.md` 进度): each run leaves its 汇总
//! beside its workbook as `汇总_<period>.json` (the township rows and the
//! 合计 row, with the tool and rules versions), and the county workbook's
//! 进度 sheet has one row per month folder up to its period, figures from
//! that month's summary or 未汇总, with a line chart of 摘牌率 and 现有标牌数.

use crate::aggregate;
use crate::read::normalise::Period;
use crate::write::grid::{write_table, Cell, Looks, Table};
use crate::write::page::Page;
use rust_xlsxwriter::{
    Chart, ChartDataLabel, ChartDataLabelPosition, ChartMarker, ChartMarkerType, ChartType,
    Worksheet, XlsxError,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The sheet.
pub(crate) const PROGRESS_SHEET: &str = "进度";

/// 进度's headers: the month, then figures of that month's 合计 row
/// (已汇总 as `x/y`).
pub(crate) const PROGRESS_HEADERS: [&str; 11] = [
    "月份",
    "已汇总",
    "清理前标牌数",
    "累计摘除数",
    "现有标牌数",
    "摘牌率",
    "负面清单标牌数",
    "集中办公村数",
    "七个有达标村数",
    "错误数",
    "提示数",
];

/// `汇总_<period>.json`.
pub fn summary_file_name(period: Period) -> String {
    format!("汇总_{period}.json")
}

/// A month's summary as a run writes it.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
pub struct SummaryFile {
    pub tool: String,
    pub rules_version: String,
    pub rules_sha256: String,
    pub county: String,
    pub county_code: String,
    pub period: String,
    /// 汇总's headers.
    pub columns: Vec<String>,
    /// The township (and subtotal) rows: text, number or null.
    pub rows: Vec<Vec<Value>>,
    /// The 合计 row.
    pub total: Vec<Value>,
}

fn value(c: &Cell) -> Value {
    match c {
        Cell::Blank => Value::Null,
        Cell::Text(s) => Value::String(s.clone()),
        Cell::Num(n) | Cell::As(n, _) => {
            serde_json::Number::from_f64(crate::write::grid::stored(*n))
                .map(Value::Number)
                .unwrap_or(Value::Null)
        }
        Cell::Date(d) => Value::String(d.to_string()),
    }
}

impl SummaryFile {
    /// The summary of a 汇总 table (its last row is 合计).
    pub(crate) fn of(table: &Table, meta: Meta<'_>) -> SummaryFile {
        let mut rows: Vec<Vec<Value>> = table
            .rows
            .iter()
            .map(|r| r.iter().map(value).collect())
            .collect();
        let total = rows.pop().unwrap_or_default();
        SummaryFile {
            tool: format!("huizong {}", meta.tool_version),
            rules_version: meta.rules_version.to_string(),
            rules_sha256: meta.rules_sha256.to_string(),
            county: meta.county.to_string(),
            county_code: meta.county_code.to_string(),
            period: meta.period.to_string(),
            columns: table.headers.clone(),
            rows,
            total,
        }
    }

    /// The file's bytes: pretty-printed UTF-8, the same for the same run.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut b = serde_json::to_vec_pretty(self).unwrap_or_default();
        b.push(b'\n');
        b
    }

    /// The 进度 cells of this month (after 月份), from its 合计 row.
    pub(crate) fn progress_cells(&self) -> Vec<Cell> {
        let at = |h: &str| {
            self.columns
                .iter()
                .position(|c| c == h)
                .and_then(|i| self.total.get(i))
        };
        let mut cells = vec![match at(aggregate::STATUS) {
            Some(Value::String(s)) => Cell::text(s.trim_start_matches("已汇总").trim()),
            _ => Cell::Blank,
        }];
        for h in &PROGRESS_HEADERS[2..] {
            cells.push(match at(h) {
                Some(Value::Number(n)) => n.as_f64().map(Cell::Num).unwrap_or(Cell::Blank),
                _ => Cell::Blank,
            });
        }
        cells
    }
}

/// Who made a summary file.
#[derive(Clone, Copy)]
pub(crate) struct Meta<'a> {
    pub(crate) tool_version: &'a str,
    pub(crate) rules_version: &'a str,
    pub(crate) rules_sha256: &'a str,
    pub(crate) county: &'a str,
    pub(crate) county_code: &'a str,
    pub(crate) period: Period,
}

/// One row of 进度.
#[derive(Clone, Debug)]
pub struct Month {
    pub period: Period,
    /// The figures after 月份 ([`SummaryFile::progress_cells`]); `None`:
    /// the month has no summary (未汇总).
    pub(crate) cells: Option<Vec<Cell>>,
    /// The summary file used (its path in the workspace) and its SHA-256;
    /// `None` for this run's own month.
    pub source: Option<(String, String)>,
}

/// Write 进度 with its line chart.
pub(crate) fn write_progress(
    ws: &mut Worksheet,
    months: &[Month],
    looks: &Looks,
    title: &str,
) -> Result<(), XlsxError> {
    let mut table = Table::new(&PROGRESS_HEADERS);
    for m in months {
        let mut row = vec![Cell::text(m.period.to_string())];
        match &m.cells {
            Some(cells) => row.extend(cells.iter().cloned()),
            None => {
                row.push(Cell::text("未汇总"));
                row.resize(PROGRESS_HEADERS.len(), Cell::Blank);
            }
        }
        table.push(row, false);
    }
    table.freeze_cols = 1;
    let n = table.rows.len();
    let width = write_table(ws, 0, &table, 0..n, looks)?;
    Page {
        title,
        width,
        repeat: Some((0, 0)),
        one_page: false,
    }
    .set_up(ws)?;
    if n > 0 {
        let col = |h: &str| PROGRESS_HEADERS.iter().position(|x| *x == h).unwrap_or(0) as u16;
        let (last, months) = (n as u32, (PROGRESS_SHEET, 1, 0, n as u32, 0));
        let mut chart = Chart::new(ChartType::Line);
        chart.title().set_name("摘牌率与现有标牌数");
        // Each month a marked point with its value: one month with
        // figures is a point, not an empty line; a month 未汇总 is a gap
        // (the table above says so).
        let point = |shape| ChartMarker::new().set_type(shape).set_size(7).clone();
        let label = |format: &str, at| {
            ChartDataLabel::new()
                .show_value()
                .set_num_format(format)
                .set_position(at)
                .clone()
        };
        let rate = col(aggregate::REMOVAL_RATE);
        chart
            .add_series()
            .set_name(aggregate::REMOVAL_RATE)
            .set_categories(months)
            .set_values((PROGRESS_SHEET, 1, rate, last, rate))
            .set_marker(&point(ChartMarkerType::Circle))
            .set_data_label(&label("0.0%", ChartDataLabelPosition::Above));
        let now = col("现有标牌数");
        chart
            .add_series()
            .set_name("现有标牌数")
            .set_categories(months)
            .set_values((PROGRESS_SHEET, 1, now, last, now))
            .set_marker(&point(ChartMarkerType::Square))
            .set_data_label(&label("#,##0", ChartDataLabelPosition::Below))
            .set_secondary_axis(true);
        chart
            .y_axis()
            .set_name(aggregate::REMOVAL_RATE)
            .set_min(0.0)
            .set_max(1.0)
            .set_num_format("0%");
        chart
            .y2_axis()
            .set_name("现有标牌数")
            .set_min(0.0)
            .set_num_format("0");
        chart.set_width(640).set_height(320);
        ws.insert_chart(n as u32 + 2, 0, &chart)?;
    }
    Ok(())
}
