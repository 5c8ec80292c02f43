//! A return as typed rows: each data sheet's village (or sign) rows with
//! values parsed by the schema and the cell each value came from.

use crate::finding::Finding;
use crate::read::normalise::{Date, Period};
use crate::read::workbook::RawWorkbook;
use crate::schema::{Col, CoverField, SheetId, SheetSpec};
use compact_str::CompactString;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::fmt;

/// A parsed cell value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Val {
    Num(Decimal),
    Bool(bool),
    /// Short text (codes, categories, places: most cells) is held inline,
    /// without a heap allocation of its own.
    Text(CompactString),
}

impl fmt::Display for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Num(d) => write!(f, "{}", d.normalize()),
            Val::Bool(b) => f.write_str(if *b { "是" } else { "否" }),
            Val::Text(s) => f.write_str(s),
        }
    }
}

/// One column's cell in a row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// The sheet has no such column.
    Absent,
    /// The cell is empty.
    Blank,
    /// The cell holds something that could not be read; a V finding says so.
    Bad,
    Ok(Val),
}

/// A village (or sign, or explanation) row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// 0-based row in the sheet.
    pub row: u32,
    /// By schema column index.
    pub fields: Vec<Field>,
}

/// A data sheet as read.
#[derive(Clone, Debug)]
pub struct Table {
    pub spec: &'static SheetSpec,
    /// The sheet's name as the file has it.
    pub name: String,
    pub header_row: u32,
    /// Schema column index → 0-based column in the sheet.
    pub cols: Vec<Option<u32>>,
    pub rows: Vec<Row>,
    /// 合计/总计 rows.
    pub totals: Vec<Row>,
}

impl Table {
    pub fn id(&self) -> SheetId {
        self.spec.id
    }

    /// Sheet position in template order, for sorting findings.
    pub fn order(&self) -> u8 {
        sheet_order(self.spec.id)
    }

    fn field<'a>(&self, row: &'a Row, col: Col) -> Option<&'a Field> {
        self.spec.column(col).and_then(|(i, _)| row.fields.get(i))
    }

    /// The value, when the cell was read without a finding.
    pub fn val<'a>(&self, row: &'a Row, col: Col) -> Option<&'a Val> {
        match self.field(row, col) {
            Some(Field::Ok(v)) => Some(v),
            _ => None,
        }
    }

    pub fn num(&self, row: &Row, col: Col) -> Option<Decimal> {
        match self.val(row, col) {
            Some(Val::Num(d)) => Some(*d),
            _ => None,
        }
    }

    pub fn flag(&self, row: &Row, col: Col) -> Option<bool> {
        match self.val(row, col) {
            Some(Val::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    pub fn text<'a>(&self, row: &'a Row, col: Col) -> Option<&'a str> {
        match self.val(row, col) {
            Some(Val::Text(s)) => Some(s.as_str()),
            _ => None,
        }
    }

    /// The village code of a row, when valid.
    pub fn code<'a>(&self, row: &'a Row) -> Option<&'a str> {
        self.text(row, Col::VillageCode)
    }

    /// Does a row hold a village code that could not be read (V06)? Then
    /// which villages the sheet lists is not known for sure.
    pub fn has_unreadable_codes(&self) -> bool {
        self.spec
            .column(Col::VillageCode)
            .is_some_and(|(i, _)| self.rows.iter().any(|r| r.fields[i] == Field::Bad))
    }

    /// Was the cell blank (or the column absent)?
    pub fn is_blank(&self, row: &Row, col: Col) -> bool {
        matches!(
            self.field(row, col),
            None | Some(Field::Absent) | Some(Field::Blank)
        )
    }

    /// 0-based sheet column of a schema column, when present.
    pub fn col_of(&self, col: Col) -> Option<u32> {
        self.spec.column(col).and_then(|(i, _)| self.cols[i])
    }

    /// A finding anchored at `row`'s cell in `col` (the sheet only when the
    /// column is absent), with the village code when the row has one.
    pub fn finding(&self, f: Finding, row: &Row, col: Col) -> Finding {
        let f = match self.col_of(col) {
            Some(c) => f.at(&self.name, self.order(), row.row, c),
            None => f.on_sheet(&self.name, self.order()),
        };
        let f = match self.code(row) {
            Some(code) if self.spec.column(Col::VillageCode).is_some() => f.village(code),
            _ => f,
        };
        match self.val(row, col) {
            Some(v) => f.value(v.to_string()),
            None => f,
        }
    }
}

/// Sheet position in template order.
pub fn sheet_order(id: SheetId) -> u8 {
    crate::schema::ALL_SHEETS
        .iter()
        .position(|s| *s == id)
        .unwrap_or(0) as u8
}

/// The cover sheet 基本信息 as read.
#[derive(Clone, Debug, Default)]
pub struct Cover {
    /// The sheet's name as the file has it.
    pub sheet: String,
    /// Label → 0-based row of its value cell (column B).
    pub rows: BTreeMap<CoverField, u32>,
    pub county: Option<String>,
    pub township: Option<String>,
    pub township_code: Option<String>,
    pub period: Option<Period>,
    pub filler: Option<String>,
    pub phone: Option<String>,
    pub reviewer: Option<String>,
    pub fill_date: Option<Date>,
    pub template_version: Option<String>,
}

/// An explanation of a warning (情况说明).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    pub code: String,
    pub village: String,
    pub text: String,
}

/// A return that passed the structural checks: cover, tables and the raw
/// sheets (for the feedback workbook).
#[derive(Clone, Debug)]
pub struct Return {
    pub cover: Cover,
    pub tables: Vec<Table>,
    pub explanations: Vec<Explanation>,
}

impl Return {
    pub fn table(&self, id: SheetId) -> Option<&Table> {
        self.tables.iter().find(|t| t.id() == id)
    }

    /// What a previous period's return still needs once this period's
    /// rules have compared against it: its village sheets whole (环比, the
    /// villages expected without a roster), but of 标牌明细, the longest
    /// sheet, only the first row of each village: that sheet has no village
    /// name, so which villages it lists is all it adds. Frees most of a
    /// previous period's memory.
    pub fn keep_after_comparison(&mut self) {
        for t in self
            .tables
            .iter_mut()
            .filter(|t| t.id() == SheetId::SignDetail)
        {
            let mut seen = std::collections::HashSet::new();
            let rows: Vec<Row> = std::mem::take(&mut t.rows)
                .into_iter()
                .filter(|r| t.code(r).is_some_and(|c| seen.insert(c.to_string())))
                .collect();
            t.rows = rows;
            t.totals = Vec::new();
        }
    }
}

/// Everything known about one input file after reading it.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// The file name as shown to users.
    pub file: String,
    pub path: std::path::PathBuf,
    pub sha256: String,
    /// The cover, when its sheet could be read (also for fatal files).
    pub cover: Option<Cover>,
    /// `None` when a fatal finding stopped the reading.
    pub ret: Option<Return>,
    pub raw: RawWorkbook,
    pub findings: Vec<Finding>,
}

impl Loaded {
    pub fn is_fatal(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.level == crate::finding::Level::Fatal)
    }
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.level.is_error())
    }
    pub fn township_code(&self) -> Option<&str> {
        self.cover.as_ref().and_then(|c| c.township_code.as_deref())
    }
}
