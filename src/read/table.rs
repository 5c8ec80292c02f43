//! A data sheet → typed rows: header detection, columns by header text and
//! aliases, blank/totals rows, and each cell parsed by its column's kind
//! (rules S03, S04, V01–V06 format, V10).

use super::header::{self, Wanted};
use super::normalise::{
    clean, code_from_number, code_from_text, decimals, fold_cow, header_key, is_error_literal,
    number_from_f64, number_from_text, totals_marker, yes_no_from_text, Date, NumError, Totals,
};
use super::workbook::{CellValue, RawRow, RawSheet};
use crate::finding::{Code, Finding};
use crate::model::{sheet_order, Field, Row, Table, Texts, Val};
use crate::schema::{self, Col, Column, Kind, SheetId, SheetSpec};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// Read one data sheet; `None` (with S03) when its header or a required
/// column cannot be found.
pub(crate) fn read(
    sheet: &RawSheet,
    spec: &'static SheetSpec,
    out: &mut Vec<Finding>,
) -> Option<Table> {
    assert!(
        spec.columns.len() <= schema::MAX_COLUMNS,
        "{} is a data sheet of the schema",
        spec.name
    );
    let order = sheet_order(spec.id);
    let wanted = Wanted::new(
        spec.columns
            .iter()
            .map(|c| std::iter::once(c.header).chain(c.aliases.iter().copied())),
    );
    let all = vec![true; spec.columns.len()];
    let header = header::find(sheet, &wanted, &all, |hit| {
        hit.iter().filter(|h| **h).count() * 2 >= spec.columns.len()
    })
    .ok();
    let Some(header) = header else {
        let names: Vec<&str> = spec.columns.iter().map(|c| c.header).collect();
        out.push(
            Finding::new(
                Code::S03,
                format!(
                    "在“{}”的前10行中找不到表头(应含有 {} 等列)。请使用模板的表头,不要删除或改写表头行",
                    sheet.name,
                    names.join("、")
                ),
            )
            .on_sheet(&sheet.name, order),
        );
        return None;
    };

    let mut cols: Vec<Option<u32>> = vec![None; spec.columns.len()];
    let row_no_key = header_key(schema::ROW_NO_HEADER);
    let mut row_no_col = None;
    for c in &header.cells {
        let text = match &c.value {
            CellValue::Text(t) if !t.trim().is_empty() => t.to_string(),
            CellValue::Text(_) => continue,
            other => other.show(),
        };
        if header_key(&text) == row_no_key {
            row_no_col.get_or_insert(c.col);
            continue;
        }
        match wanted.column_of(&text) {
            Some(i) if cols[i].is_none() => cols[i] = Some(c.col),
            Some(i) => out.push(
                Finding::new(
                    Code::S04,
                    format!(
                        "“{}”列重复出现,只读取第一列,本列将被忽略。请删除多余的列",
                        spec.columns[i].header
                    ),
                )
                .at(&sheet.name, order, header.row, c.col)
                .value(text),
            ),
            None => out.push(
                Finding::new(
                    Code::S04,
                    format!(
                        "无法识别的列“{}”,该列将被忽略。如需填报请使用模板中的列名",
                        clean(&text)
                    ),
                )
                .at(&sheet.name, order, header.row, c.col)
                .value(text),
            ),
        }
    }
    let missing: Vec<&str> = spec
        .columns
        .iter()
        .zip(&cols)
        .filter(|(c, at)| c.required && at.is_none())
        .map(|(c, _)| c.header)
        .collect();
    if !missing.is_empty() {
        let first = header.cells.first().map(|c| c.col).unwrap_or(0);
        out.push(
            Finding::new(
                Code::S03,
                format!(
                    "“{}”缺少必需的列:{}。请按模板补上这些列(列名须一致,列的顺序不限)",
                    sheet.name,
                    missing.join("、")
                ),
            )
            .at(&sheet.name, order, header.row, first),
        );
        return None;
    }

    let mut table = Table::new(spec, sheet.name.clone(), header.row, cols);
    let mut texts = Texts::default();
    for raw in sheet.rows.iter().filter(|r| r.row > header.row) {
        read_row(&mut table, &mut texts, raw, row_no_col, out);
    }
    table.finish();
    Some(table)
}

/// The non-blank cell of schema column `i` in a raw row.
fn cell_at<'r>(cols: &[Option<u32>], raw: &'r RawRow, i: usize) -> Option<&'r CellValue> {
    cols[i].and_then(|c| raw.get(c)).filter(|v| !v.is_blank())
}

fn read_row(
    table: &mut Table,
    texts: &mut Texts,
    raw: &RawRow,
    row_no_col: Option<u32>,
    out: &mut Vec<Finding>,
) {
    let spec = table.spec;
    // Each schema column's non-blank cell, looked up once.
    let mut vals: [Option<&CellValue>; schema::MAX_COLUMNS] = [None; schema::MAX_COLUMNS];
    for (i, v) in vals.iter_mut().enumerate().take(spec.columns.len()) {
        *v = cell_at(&table.cols, raw, i);
    }
    // Blank rows (also a row whose only value is its 序号) are skipped.
    if vals.iter().all(Option::is_none) {
        return;
    }
    let marker_cols = [
        row_no_col,
        table.col_of(Col::VillageCode),
        table.col_of(Col::VillageName),
    ];
    let marker = marker_cols
        .iter()
        .flatten()
        .find_map(|c| match raw.get(*c) {
            Some(CellValue::Text(t)) => totals_marker(t),
            _ => None,
        });
    if marker == Some(Totals::Subtotal) {
        return;
    }
    let is_totals = marker == Some(Totals::Total);
    let is_explanations = spec.id == SheetId::Explanations;

    let row = table.begin(raw.row);
    let mut found = Vec::new();
    for (i, column) in spec.columns.iter().enumerate() {
        let field = match table.cols[i] {
            None => Field::Absent,
            Some(c) => match vals[i] {
                None => Field::Blank,
                Some(v) => match parse(v, column) {
                    Ok(val) => {
                        table.push(Field::Ok(val.as_val()), texts);
                        continue;
                    }
                    Err((code, message)) => {
                        // A totals row may leave its code and yes/no cells
                        // as it likes; 情况说明 is free text.
                        let free = is_totals && matches!(column.kind, Kind::Code12 | Kind::YesNo);
                        if !(is_explanations || free) {
                            found.push((code, message, c, v.show()));
                        }
                        Field::Bad
                    }
                },
            },
        };
        table.push(field, texts);
    }

    let code_blank = table.is_blank(&row, Col::VillageCode);
    let name_col = if spec.id == SheetId::SignDetail {
        Col::SignName
    } else {
        Col::VillageName
    };
    let name_blank = spec.column(name_col).is_none() || table.is_blank(&row, name_col);
    if !is_totals && !is_explanations {
        if code_blank && name_blank {
            let anchor = table.col_of(Col::VillageCode).unwrap_or(0);
            let what = if spec.id == SheetId::SignDetail {
                "标牌名称"
            } else {
                "村(社区)名称"
            };
            out.push(
                Finding::new(
                    Code::V01,
                    format!(
                        "第 {} 行有数据,但村(社区)代码和{what}都没填。请补上代码和名称,或删除这一行",
                        raw.row + 1
                    ),
                )
                .at(&table.name, table.order(), raw.row, anchor),
            );
            table.discard(row);
            return;
        }
        for (i, column) in spec.columns.iter().enumerate() {
            if column.required && table.field_at(&row, i) == Some(Field::Blank) {
                let c = table.cols[i].expect("a blank field has a column");
                let f = Finding::new(
                    Code::V01,
                    format!("“{}”不能为空。{}", column.header, column.help),
                );
                out.push(with_village(
                    table,
                    &row,
                    f.at(&table.name, table.order(), raw.row, c),
                ));
            }
        }
    }
    for (code, message, col, value) in found {
        let f = Finding::new(code, message)
            .at(&table.name, table.order(), raw.row, col)
            .value(value);
        out.push(with_village(table, &row, f));
    }
    table.keep(row, is_totals);
}

fn with_village(table: &Table, row: &Row, f: Finding) -> Finding {
    match table.code(row) {
        Some(c) => f.village(c),
        None => f,
    }
}

/// A cell's text, folded and trimmed: borrowed unless folding changed it.
fn clean_value(v: &CellValue) -> Cow<'_, str> {
    match v {
        CellValue::Text(s) => match fold_cow(s) {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
            Cow::Owned(o) if o.trim().len() == o.len() => Cow::Owned(o),
            Cow::Owned(o) => Cow::Owned(o.trim().to_string()),
        },
        other => Cow::Owned(clean(&other.show())),
    }
}

/// A cell parsed by its column's kind, its text borrowed from the cell
/// where it can be; the table stores it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Parsed<'a> {
    Num(Decimal),
    Bool(bool),
    Text(Cow<'a, str>),
}

impl Parsed<'_> {
    pub(crate) fn as_val(&self) -> Val<'_> {
        match self {
            Parsed::Num(d) => Val::Num(*d),
            Parsed::Bool(b) => Val::Bool(*b),
            Parsed::Text(s) => Val::Text(s),
        }
    }
}

/// A numeric cell's value as a message shows it: a date as a date.
struct Shown<'v>(&'v CellValue);

impl std::fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            CellValue::Date(d) => match Date::from_serial(*d) {
                Some(d) => write!(f, "{d}"),
                None => f.write_str(&self.0.show()),
            },
            other => f.write_str(&other.show()),
        }
    }
}

/// Parse a non-blank cell by its column's kind: the value, or the V code
/// and message.
pub(crate) fn parse<'v>(v: &'v CellValue, column: &Column) -> Result<Parsed<'v>, (Code, String)> {
    let h = column.header;
    // An error value, or its text as a feedback workbook keeps it (the
    // same finding when the township sends the feedback workbook back).
    let error = match v {
        CellValue::Error(e) => Some(e.as_str()),
        CellValue::Text(t) if is_error_literal(t) => Some(t.trim()),
        _ => None,
    };
    if let Some(e) = error {
        return Err((
            Code::V10,
            format!("“{h}”是 Excel 错误值 {e},请修正公式或直接填写数值"),
        ));
    }
    if let CellValue::NoCachedValue(_) = v {
        return Err((
            Code::V10,
            format!("“{h}”的公式没有保存计算结果,请在 Excel 或 WPS 中打开、保存后再报送"),
        ));
    }
    match column.kind {
        Kind::Code12 => {
            let code = match v {
                CellValue::Text(s) => code_from_text(s, 12),
                CellValue::Number(n) => code_from_number(*n, 12),
                _ => None,
            };
            code.map(|c| Parsed::Text(c.into())).ok_or_else(|| {
                (
                    Code::V06,
                    format!(
                        "村(社区)代码应为12位数字,现为“{}”,请核对统计用区划代码",
                        v.show()
                    ),
                )
            })
        }
        Kind::Text | Kind::Category => Ok(Parsed::Text(clean_value(v))),
        Kind::Place => {
            let t = clean_value(v);
            if schema::PLACES.contains(&t.as_ref()) {
                Ok(Parsed::Text(t))
            } else {
                Err((
                    Code::V04,
                    format!("“{h}”只能填 {},现为“{t}”", schema::PLACES.join(" 或 ")),
                ))
            }
        }
        Kind::YesNo => {
            let b = match v {
                CellValue::Bool(b) => Some(*b),
                CellValue::Text(s) => yes_no_from_text(s),
                CellValue::Number(n) if *n == 1.0 => Some(true),
                CellValue::Number(n) if *n == 0.0 => Some(false),
                _ => None,
            };
            b.map(Parsed::Bool)
                .ok_or_else(|| (Code::V05, format!("“{h}”应填 是 或 否,现为“{}”", v.show())))
        }
        Kind::Count | Kind::Star | Kind::Area | Kind::Score | Kind::Money => {
            let spec = column.kind.numeric().expect("numeric kind");
            let n = match v {
                CellValue::Number(n) => number_from_f64(*n),
                CellValue::Text(s) => number_from_text(s),
                CellValue::Bool(_) | CellValue::Date(_) => Err(NumError::NotANumber),
                CellValue::Error(_) | CellValue::NoCachedValue(_) => unreachable!("handled above"),
            };
            // The value as a message shows it (made only for a message).
            let shown = Shown(v);
            let n = match n {
                Ok(n) => n,
                Err(NumError::NotANumber) => {
                    return Err((
                        Code::V02,
                        format!(
                            "“{h}”应填数字,现为“{shown}”。请只填阿拉伯数字(如 12),不要带单位或文字"
                        ),
                    ))
                }
                Err(NumError::TooLarge) => {
                    return Err((Code::V04, format!("“{h}”的数值“{shown}”过大,请核对")));
                }
            };
            if n < Decimal::ZERO {
                return Err((
                    Code::V03,
                    format!("“{h}”不能为负数,现为 {shown}。请填 0 或正数"),
                ));
            }
            let places = decimals(n);
            if places > spec.decimals {
                let msg = if spec.decimals == 0 {
                    format!("“{h}”应为整数,现为 {shown}")
                } else {
                    format!("“{h}”最多保留{}位小数,现为 {shown}", spec.decimals)
                };
                return Err((Code::V04, msg));
            }
            let min = Decimal::from(spec.min);
            let out_of_range = n < min || spec.max.is_some_and(|m| n > Decimal::from(m));
            if out_of_range {
                let range = match spec.max {
                    Some(m) => format!("{} 到 {m} 之间", spec.min),
                    None => format!("不小于 {}", spec.min),
                };
                return Err((Code::V04, format!("“{h}”应在{range},现为 {shown}")));
            }
            Ok(Parsed::Num(n.normalize()))
        }
    }
}
