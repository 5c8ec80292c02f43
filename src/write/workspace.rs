//! The county's own input workbooks as `huizong init` lays them out, empty
//! and ready to fill: `roster.xlsx` (名册) and `county_scores.xlsx`
//! (区级评定) — the headers the tool reads, an input message and a check
//! on every column, codes as text, printable like every workbook.

use crate::scores::{H_SCORE, SCORES_SHEET};
use crate::workspace::{
    H_COUNTY, H_COUNTY_CODE, H_TOWNSHIP, H_TOWNSHIP_CODE, H_VILLAGE, H_VILLAGE_CODE, ROSTER_SHEET,
};
use crate::write::page::Page;
use crate::write::{atomic, style};
use rust_xlsxwriter::{DataValidation, DataValidationRule, Workbook, Worksheet, XlsxError};
use std::path::Path;

/// Rows open for input (validated, codes as text).
const INPUT_ROWS: u32 = 2000;

/// One column: header, width, whether it holds a code of so many digits
/// (text), a 0–100 score, or plain text; and its input help.
struct Column {
    header: &'static str,
    width: f64,
    kind: ColumnKind,
    help: &'static str,
}

#[derive(Clone, Copy, PartialEq)]
enum ColumnKind {
    Code(usize),
    Score,
    Text,
}

const ROSTER_COLUMNS: [Column; 6] = [
    Column {
        header: H_TOWNSHIP_CODE,
        width: 16.0,
        kind: ColumnKind::Code(9),
        help: "9位乡镇(街道)代码,如 990101103",
    },
    Column {
        header: H_TOWNSHIP,
        width: 14.0,
        kind: ColumnKind::Text,
        help: "乡镇(街道)全称",
    },
    Column {
        header: H_VILLAGE_CODE,
        width: 16.0,
        kind: ColumnKind::Code(12),
        help: "12位村(社区)代码,须以所属乡镇(街道)代码开头",
    },
    Column {
        header: H_VILLAGE,
        width: 14.0,
        kind: ColumnKind::Text,
        help: "村(社区)全称",
    },
    Column {
        header: H_COUNTY_CODE,
        width: 16.0,
        kind: ColumnKind::Code(6),
        help: "6位县(市、区)代码;市或省汇总时必填,县可不填",
    },
    Column {
        header: H_COUNTY,
        width: 14.0,
        kind: ColumnKind::Text,
        help: "县(市、区)名称;市或省汇总时必填,县可不填",
    },
];

const SCORE_COLUMNS: [Column; 3] = [
    Column {
        header: H_VILLAGE_CODE,
        width: 16.0,
        kind: ColumnKind::Code(12),
        help: "12位村(社区)代码,与名册一致",
    },
    Column {
        header: H_VILLAGE,
        width: 14.0,
        kind: ColumnKind::Text,
        help: "村(社区)名称",
    },
    Column {
        header: H_SCORE,
        width: 14.0,
        kind: ColumnKind::Score,
        help: "县里的区级评定得分,0 到 100,最多一位小数;没有得分的村空着(待评定)",
    },
];

fn write_sheet(
    ws: &mut Worksheet,
    name: &str,
    columns: &[Column],
    title: &str,
) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    let header = style::header();
    let mut width = 0.0;
    for (c, col) in columns.iter().enumerate() {
        let c = c as u16;
        ws.set_column_width(c, col.width)?;
        width += col.width;
        if let ColumnKind::Code(_) = col.kind {
            ws.set_column_format(c, &style::text())?;
        }
        ws.write_string_with_format(0, c, col.header, &header)?;
        let dv = match col.kind {
            ColumnKind::Code(n) => {
                DataValidation::new().allow_text_length(DataValidationRule::EqualTo(n as u32))
            }
            ColumnKind::Score => {
                DataValidation::new().allow_decimal_number(DataValidationRule::Between(0.0, 100.0))
            }
            ColumnKind::Text => DataValidation::new().allow_any_value(),
        };
        let dv = dv
            .set_input_title(style::cut_utf16(col.header, 32))?
            .set_input_message(col.help)?;
        let dv = if col.kind == ColumnKind::Text {
            dv
        } else {
            dv.set_error_title("输入有误")?
                .set_error_message(col.help)?
        };
        ws.add_data_validation(1, c, INPUT_ROWS, c, &dv)?;
    }
    ws.set_row_height(0, 22.0)?;
    ws.autofilter(0, 0, 0, columns.len() as u16 - 1)?;
    ws.set_freeze_panes(1, 0)?;
    Page {
        title,
        width,
        repeat: Some((0, 0)),
        one_page: false,
    }
    .set_up(ws)
}

fn save(path: &Path, sheet: &str, columns: &[Column], title: &str) -> anyhow::Result<()> {
    let mut wb = Workbook::new();
    wb.set_properties(&crate::write::template::properties(None, title, None)?);
    write_sheet(wb.add_worksheet(), sheet, columns, title)?;
    atomic::save(&mut wb, path).map_err(|e| anyhow::anyhow!(atomic::explain(&e, path)))
}

/// An empty 名册, headed as the tool reads it.
pub(crate) fn write_roster(path: &Path, county: &str) -> anyhow::Result<()> {
    save(
        path,
        ROSTER_SHEET,
        &ROSTER_COLUMNS,
        &format!("{county}名册"),
    )
}

/// An empty 区级评定, headed as the tool reads it.
pub(crate) fn write_scores(path: &Path, county: &str) -> anyhow::Result<()> {
    save(
        path,
        SCORES_SHEET,
        &SCORE_COLUMNS,
        &format!("{county}区级评定"),
    )
}
