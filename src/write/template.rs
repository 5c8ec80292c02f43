//! The township return template (`huizong template`): every sheet of the
//! schema with validation, live self-checks and protection; optionally
//! pre-filled (cover and village rows) or fully filled (the sample generator).

use crate::policy::Policy;
use crate::read::normalise::{Date, Period};
use crate::schema::{CoverField, SheetId};
use std::collections::BTreeMap;

/// A value to put in a cell of the template.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    /// Written as a real Excel date cell.
    Date(Date),
    /// A formula with a cached result (the sample generator uses these for
    /// 合计 rows and for errors such as `#DIV/0!`).
    Formula {
        formula: String,
        result: String,
    },
}

/// What to pre-fill: cover values and, per data sheet, rows whose values are
/// in the schema's column order (missing trailing values are empty).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fill {
    pub cover: BTreeMap<CoverField, Value>,
    pub rows: BTreeMap<SheetId, Vec<Vec<Value>>>,
    /// Extra rows below the village rows (e.g. a 合计 row), same layout.
    pub footer: BTreeMap<SheetId, Vec<Vec<Value>>>,
}

/// What the template is for: the period it is pre-filled for (also the
/// document date, so output is deterministic), the policy whose catalogue
/// gives the 类别 drop-down, and the pre-filled values.
pub struct TemplateInput<'a> {
    pub policy: &'a Policy,
    pub period: Option<Period>,
    pub fill: &'a Fill,
}

/// Build the template workbook in memory.
pub fn build(
    input: &TemplateInput,
) -> Result<rust_xlsxwriter::Workbook, rust_xlsxwriter::XlsxError> {
    let _ = input;
    todo!("implemented by the template writer")
}
