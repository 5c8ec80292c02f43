//! The county's figures as polars frames: every used village row
//! (`village_frame`), the 汇总 table per township (`summary`) with its 合计
//! row (`total_row`) and, for a city or province, per-county subtotals
//! (`summary_by_county`), and the 环比 comparison with last period
//! (`month_over_month`).
//!
//! Rows come out of the decided [`Batch`]: only the used return of each
//! township (`Batch::used_return`) contributes figures. Everything that sums,
//! counts or joins is a polars lazy query; the Rust side only turns typed
//! rows into columns. Numbers are `f64` (from the exact decimals read), a
//! yes/no cell is `是`/`否`, text is text; a blank, unreadable or absent cell
//! is null. Ratios stay unrounded: the writer shows them as `0.0%`.

use crate::batch::{Batch, TownshipEntry};
use crate::finding::Code;
use crate::model::{Field as CellField, Loaded, Row, Table, Val};
use crate::read::normalise::decimal_to_f64;
use crate::schema::{self, Col, Kind, SheetId, SheetSpec};
use polars::prelude::*;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// 乡镇(街道)代码.
pub const TOWNSHIP_CODE: &str = "乡镇(街道)代码";
/// 乡镇(街道).
pub const TOWNSHIP: &str = "乡镇(街道)";
/// 县(市、区)代码 (city or province runs).
pub const COUNTY_CODE: &str = "县(市、区)代码";
/// 县(市、区) (city or province runs).
pub const COUNTY: &str = "县(市、区)";
/// 报送状态.
pub const STATUS: &str = "报送状态";
/// 村(社区)数.
pub const VILLAGES: &str = "村(社区)数";
/// 摘牌率 = 累计摘除数 / 清理前标牌数.
pub const REMOVAL_RATE: &str = "摘牌率";
/// 负面清单标牌数 (P03 findings).
pub const NEGATIVE_SIGNS: &str = "负面清单标牌数";
/// 目录外未备案标牌数 (P04 findings).
pub const UNFILED_SIGNS: &str = "目录外未备案标牌数";
/// 服务面积占比 = 服务 / (服务 + 办公).
pub const SERVICE_SHARE: &str = "服务面积占比";
/// 集中办公村数.
pub const SHARED_OFFICE_VILLAGES: &str = "集中办公村数";
/// 七个有达标村数.
pub const SEVEN_VILLAGES: &str = "七个有达标村数";
/// 错误数.
pub const ERRORS: &str = "错误数";
/// 提示数.
pub const WARNINGS: &str = "提示数";
/// 村(社区)代码 (from the schema).
pub const VILLAGE_CODE: &str = "村(社区)代码";
/// 村(社区)名称 (from the schema).
pub const VILLAGE_NAME: &str = "村(社区)名称";
/// 环比提示: the H codes of a village.
pub const MOM_FLAGS: &str = "环比提示";
/// Suffixes of the 环比 columns.
pub const THIS_PERIOD: &str = "本期";
pub const LAST_PERIOD: &str = "上期";
pub const CHANGE: &str = "变动";
/// Label of the 合计 row and suffix of a county's subtotal row.
pub const TOTAL_LABEL: &str = "合计";
pub const SUBTOTAL_SUFFIX: &str = "小计";

/// The H codes shown in 环比提示, in this order.
pub const MOM_CODES: [Code; 5] = [Code::H01, Code::H02, Code::H03, Code::H04, Code::H05];

/// One column of 汇总.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SummaryCol {
    TownshipCode,
    Township,
    Status,
    Villages,
    /// The sum of a schema column over the used villages.
    Sum(SheetId, Col),
    RemovalRate,
    NegativeSigns,
    UnfiledSigns,
    ServiceShare,
    SharedOffice,
    Seven,
    Errors,
    Warnings,
}

impl SummaryCol {
    /// The exact header of `outputs.md`.
    pub fn header(self) -> &'static str {
        match self {
            SummaryCol::TownshipCode => TOWNSHIP_CODE,
            SummaryCol::Township => TOWNSHIP,
            SummaryCol::Status => STATUS,
            SummaryCol::Villages => VILLAGES,
            SummaryCol::Sum(sheet, col) => header_of(sheet, col),
            SummaryCol::RemovalRate => REMOVAL_RATE,
            SummaryCol::NegativeSigns => NEGATIVE_SIGNS,
            SummaryCol::UnfiledSigns => UNFILED_SIGNS,
            SummaryCol::ServiceShare => SERVICE_SHARE,
            SummaryCol::SharedOffice => SHARED_OFFICE_VILLAGES,
            SummaryCol::Seven => SEVEN_VILLAGES,
            SummaryCol::Errors => ERRORS,
            SummaryCol::Warnings => WARNINGS,
        }
    }

    /// A figure that is summed (into 合计 and subtotals) over used townships.
    pub fn is_figure(self) -> bool {
        matches!(
            self,
            SummaryCol::Villages
                | SummaryCol::Sum(..)
                | SummaryCol::NegativeSigns
                | SummaryCol::UnfiledSigns
                | SummaryCol::SharedOffice
                | SummaryCol::Seven
        )
    }

    /// A share, recomputed from sums (never summed).
    pub fn is_ratio(self) -> bool {
        matches!(self, SummaryCol::RemovalRate | SummaryCol::ServiceShare)
    }
}

/// The 汇总 columns, in the order of `outputs.md`.
pub const SUMMARY_COLUMNS: [SummaryCol; 26] = [
    SummaryCol::TownshipCode,
    SummaryCol::Township,
    SummaryCol::Status,
    SummaryCol::Villages,
    SummaryCol::Sum(SheetId::Signs, Col::SignsBefore),
    SummaryCol::Sum(SheetId::Signs, Col::SignsRemoved),
    SummaryCol::Sum(SheetId::Signs, Col::SignsNow),
    SummaryCol::Sum(SheetId::Signs, Col::WallRules),
    SummaryCol::RemovalRate,
    SummaryCol::NegativeSigns,
    SummaryCol::UnfiledSigns,
    SummaryCol::Sum(SheetId::Rooms, Col::RoomsTotal),
    SummaryCol::Sum(SheetId::Rooms, Col::RoomsMerged),
    SummaryCol::Sum(SheetId::Rooms, Col::RoomsNew),
    SummaryCol::Sum(SheetId::Rooms, Col::AreaService),
    SummaryCol::Sum(SheetId::Rooms, Col::AreaOffice),
    SummaryCol::ServiceShare,
    SummaryCol::SharedOffice,
    SummaryCol::Seven,
    SummaryCol::Sum(SheetId::Duty, Col::Cadres),
    SummaryCol::Sum(SheetId::Duty, Col::OnDuty),
    SummaryCol::Sum(SheetId::Duty, Col::Managers),
    SummaryCol::Sum(SheetId::Duty, Col::Activities),
    SummaryCol::Sum(SheetId::Duty, Col::Participants),
    SummaryCol::Errors,
    SummaryCol::Warnings,
];

/// The 汇总 headers, in order.
pub fn summary_headers() -> Vec<&'static str> {
    SUMMARY_COLUMNS.iter().map(|c| c.header()).collect()
}

/// The stock and cumulative figures compared in 环比, in order.
pub const MOM_FIGURES: [(SheetId, Col); 10] = [
    (SheetId::Signs, Col::SignsBefore),
    (SheetId::Signs, Col::SignsRemoved),
    (SheetId::Signs, Col::SignsFiled),
    (SheetId::Signs, Col::SignsNow),
    (SheetId::Signs, Col::WallRules),
    (SheetId::Rooms, Col::RoomsTotal),
    (SheetId::Rooms, Col::RoomsMerged),
    (SheetId::Rooms, Col::RoomsNew),
    (SheetId::Rooms, Col::AreaService),
    (SheetId::Duty, Col::Cadres),
];

/// The schema header of a column of a data sheet.
pub fn header_of(sheet: SheetId, col: Col) -> &'static str {
    spec_of(sheet).columns[spec_of(sheet).index_of(col)].header
}

fn spec_of(sheet: SheetId) -> &'static SheetSpec {
    schema::data_sheet(sheet).unwrap_or_else(|| panic!("{sheet:?} is not a data sheet"))
}

/// Is a schema kind written as a number?
fn is_number(kind: Kind) -> bool {
    kind.numeric().is_some()
}

fn null_f64() -> Expr {
    lit(NULL).cast(DataType::Float64)
}

fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

/// `num / den`, null when `den` is not positive (or null).
fn ratio(num: Expr, den: Expr) -> Expr {
    when(den.clone().gt(lit(0.0)))
        .then(num / den)
        .otherwise(null_f64())
}

/// 摘牌率 and 服务面积占比 from the summed columns of the same frame.
fn ratio_exprs() -> [Expr; 2] {
    let before = col(header_of(SheetId::Signs, Col::SignsBefore));
    let removed = col(header_of(SheetId::Signs, Col::SignsRemoved));
    let service = col(header_of(SheetId::Rooms, Col::AreaService));
    let office = col(header_of(SheetId::Rooms, Col::AreaOffice));
    [
        ratio(removed, before).alias(REMOVAL_RATE),
        ratio(service.clone(), service + office).alias(SERVICE_SHARE),
    ]
}

// ---------------------------------------------------------------------------
// Village rows

/// A number cell as polars holds it: the nearest double.
fn num_of(field: Option<CellField<'_>>) -> Option<f64> {
    match field {
        Some(CellField::Ok(Val::Num(d))) => Some(decimal_to_f64(d)),
        _ => None,
    }
}

/// A text cell as polars holds it, borrowed where it can be.
fn text_of(field: Option<CellField<'_>>) -> Option<Cow<'_, str>> {
    match field {
        Some(CellField::Ok(Val::Bool(b))) => Some(Cow::Borrowed(if b { "是" } else { "否" })),
        Some(CellField::Ok(Val::Text(s))) => Some(Cow::Borrowed(s)),
        // A number in a text column: as read.
        Some(CellField::Ok(v @ Val::Num(_))) => Some(Cow::Owned(v.to_string())),
        _ => None,
    }
}

/// Every row of `sheet` of every used return, with its township and table,
/// sorted by township code, then village code; rows of one village keep
/// their order in the return (标牌明细), a row without a village code goes
/// last in its township. Each row is two indices (8 bytes): a province's
/// million sign rows are not copied.
pub struct VillageRows<'a> {
    pub spec: &'static SheetSpec,
    /// Each used return's table of the sheet, with its township.
    sources: Vec<(&'a TownshipEntry, &'a Table)>,
    /// (source, row in its table), in county order.
    order: Vec<(u32, u32)>,
}

impl<'a> VillageRows<'a> {
    pub fn of(batch: &'a Batch, sheet: SheetId) -> Option<VillageRows<'a>> {
        let spec = schema::data_sheet(sheet)?;
        let mut sources: Vec<(&TownshipEntry, &Table)> = batch
            .townships
            .iter()
            .filter_map(|t| Some((t, batch.used_return(t)?.table(sheet)?)))
            .collect();
        // A township has one used return: sorted by township, the sources
        // need only each sort its own rows.
        sources.sort_by(|a, b| a.0.code.cmp(&b.0.code));
        let village = spec.column(Col::VillageCode).map(|(i, _)| i);
        let mut order: Vec<(u32, u32)> =
            Vec::with_capacity(sources.iter().map(|(_, t)| t.rows.len()).sum());
        for (s, (_, table)) in sources.iter().enumerate() {
            let start = order.len();
            order.extend((0..table.rows.len() as u32).map(|k| (s as u32, k)));
            let key = |&(_, k): &(u32, u32)| {
                let code =
                    village.and_then(|i| text_of(table.field_at(&table.rows[k as usize], i)));
                (code.is_none(), code)
            };
            // Stable, so a village's rows keep their order.
            order[start..].sort_by(|a, b| key(a).cmp(&key(b)));
        }
        Some(VillageRows {
            spec,
            sources,
            order,
        })
    }

    /// How many rows.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Row `k`'s township, table and row.
    pub fn get(&self, k: usize) -> (&'a TownshipEntry, &'a Table, &'a Row) {
        let (s, r) = self.order[k];
        let (t, table) = self.sources[s as usize];
        (t, table, &table.rows[r as usize])
    }

    /// Column headers: 乡镇(街道)代码, 乡镇(街道), then the sheet's.
    pub fn headers(&self) -> impl Iterator<Item = &'static str> {
        [TOWNSHIP_CODE, TOWNSHIP]
            .into_iter()
            .chain(self.spec.columns.iter().map(|c| c.header))
    }

    /// Schema column `i` of row `k` as a number, when it holds one (read
    /// without a finding).
    pub fn number(&self, k: usize, i: usize) -> Option<f64> {
        let (_, t, r) = self.get(k);
        num_of(t.field_at(r, i))
    }
    /// Schema column `i` of row `k` as the county workbook shows text: 是/否
    /// for a flag, a number as read (owned: the only text not borrowed).
    pub fn text(&self, k: usize, i: usize) -> Option<Cow<'a, str>> {
        let (_, t, r) = self.get(k);
        text_of(t.field_at(r, i))
    }
    /// Is schema column `i` numeric (then shown by [`Self::number`])?
    pub fn is_number(&self, i: usize) -> bool {
        is_number(self.spec.columns[i].kind)
    }
}

/// [`VillageRows`] as a frame: 乡镇(街道)代码, 乡镇(街道), then the sheet's
/// schema columns. Each column is filled straight from the sorted rows (no
/// copy of a row's text).
pub fn village_frame(batch: &Batch, sheet: SheetId) -> PolarsResult<DataFrame> {
    village_frame_of(batch, sheet, |_| true)
}

/// [`village_frame`] with only the schema columns `keep` names (the two
/// township columns always): the 汇总 and 环比 queries use a few columns of
/// wide sheets, and a province's frames are built for each of them.
fn village_frame_of(
    batch: &Batch,
    sheet: SheetId,
    keep: impl Fn(Col) -> bool,
) -> PolarsResult<DataFrame> {
    let rows = VillageRows::of(batch, sheet).ok_or_else(|| {
        PolarsError::ComputeError(format!("{sheet:?} is not a data sheet").into())
    })?;
    let spec = rows.spec;
    let n = rows.len();
    let mut codes: StringChunked = (0..n).map(|k| Some(rows.get(k).0.code.as_str())).collect();
    // The rows were sorted by it: polars may group by sorted runs.
    codes.set_sorted_flag(polars::series::IsSorted::Ascending);
    let mut columns = vec![
        codes.with_name(TOWNSHIP_CODE.into()).into_column(),
        text_column(TOWNSHIP, (0..n).map(|k| Some(rows.get(k).0.name.as_str()))),
    ];
    for (i, c) in spec.columns.iter().enumerate().filter(|(_, c)| keep(c.id)) {
        let cells = (0..n).map(|k| {
            let (_, t, r) = rows.get(k);
            t.field_at(r, i)
        });
        columns.push(if is_number(c.kind) {
            let ca: Float64Chunked = cells.map(num_of).collect();
            ca.with_name(c.header.into()).into_column()
        } else {
            let ca: StringChunked = cells.map(text_of).collect();
            ca.with_name(c.header.into()).into_column()
        });
    }
    DataFrame::new(n, columns)
}

/// A text column from borrowed cells.
fn text_column<'a>(name: &str, cells: impl Iterator<Item = Option<&'a str>>) -> Column {
    let ca: StringChunked = cells.collect();
    ca.with_name(name.into()).into_column()
}

/// The used file of each used township.
fn used_files(batch: &Batch) -> impl Iterator<Item = (&TownshipEntry, &Loaded)> {
    batch.townships.iter().filter_map(|t| {
        if !t.status.is_used() {
            return None;
        }
        t.judged.map(|i| (t, &batch.files[i].loaded))
    })
}

/// Every finding of the used files: 乡镇(街道)代码, 村(社区)代码, 规则编号.
fn findings_frame(batch: &Batch) -> PolarsResult<DataFrame> {
    let mut towns: Vec<Option<String>> = Vec::new();
    let mut villages: Vec<Option<String>> = Vec::new();
    let mut codes: Vec<Option<String>> = Vec::new();
    for (t, loaded) in used_files(batch) {
        for f in &loaded.findings {
            towns.push(Some(t.code.clone()));
            villages.push(f.village.clone());
            codes.push(Some(f.code.as_str().to_string()));
        }
    }
    let height = towns.len();
    DataFrame::new(
        height,
        vec![
            Column::new(TOWNSHIP_CODE.into(), towns),
            Column::new(VILLAGE_CODE.into(), villages),
            Column::new("规则编号".into(), codes),
        ],
    )
}

/// One row per township of `batch.townships`, in order: `_idx`, code, name,
/// status, `_used`, 错误数, 提示数.
fn township_frame(batch: &Batch) -> PolarsResult<DataFrame> {
    let ts = &batch.townships;
    let n = ts.len();
    DataFrame::new(
        n,
        vec![
            Column::new("_idx".into(), (0..n as u32).collect::<Vec<u32>>()),
            Column::new(
                TOWNSHIP_CODE.into(),
                ts.iter().map(|t| t.code.clone()).collect::<Vec<String>>(),
            ),
            Column::new(
                TOWNSHIP.into(),
                ts.iter().map(|t| t.name.clone()).collect::<Vec<String>>(),
            ),
            Column::new(
                STATUS.into(),
                ts.iter()
                    .map(|t| t.status.zh().to_string())
                    .collect::<Vec<String>>(),
            ),
            Column::new(
                "_used".into(),
                ts.iter().map(|t| t.status.is_used()).collect::<Vec<bool>>(),
            ),
            Column::new(
                ERRORS.into(),
                ts.iter().map(|t| t.errors as f64).collect::<Vec<f64>>(),
            ),
            Column::new(
                WARNINGS.into(),
                ts.iter().map(|t| t.warnings as f64).collect::<Vec<f64>>(),
            ),
        ],
    )
}

fn sum_of(sheet: SheetId, c: Col) -> Expr {
    let h = header_of(sheet, c);
    col(h).sum().cast(DataType::Float64).alias(h)
}

fn yes(h: &str) -> Expr {
    col(h).eq(lit("是")).fill_null(lit(false))
}

fn count_true(e: Expr, name: &str) -> Expr {
    e.cast(DataType::Float64).sum().alias(name)
}

fn left_join(a: LazyFrame, b: LazyFrame, on: &str) -> LazyFrame {
    a.join(b, [col(on)], [col(on)], JoinArgs::new(JoinType::Left))
}

/// The 汇总 table: one row per township of `batch.townships`, in that
/// order, with the columns of [`SUMMARY_COLUMNS`]. Figures only for used
/// townships (null otherwise); 报送状态, 错误数 and 提示数 for all.
pub fn summary(batch: &Batch) -> PolarsResult<DataFrame> {
    let sums = |sheet: SheetId| -> Vec<Expr> {
        SUMMARY_COLUMNS
            .iter()
            .filter_map(|c| match c {
                SummaryCol::Sum(s, col) if *s == sheet => Some(sum_of(*s, *col)),
                _ => None,
            })
            .collect()
    };

    let mut sign_aggs = vec![col(TOWNSHIP_CODE)
        .len()
        .cast(DataType::Float64)
        .alias(VILLAGES)];
    sign_aggs.extend(sums(SheetId::Signs));
    let summed = |sheet: SheetId, c: Col| {
        SUMMARY_COLUMNS
            .iter()
            .any(|s| matches!(s, SummaryCol::Sum(s, col) if *s == sheet && *col == c))
    };
    let signs = village_frame_of(batch, SheetId::Signs, |c| summed(SheetId::Signs, c))?
        .lazy()
        .group_by([col(TOWNSHIP_CODE)])
        .agg(sign_aggs);

    let seven = schema::SEVEN_SERVICES
        .iter()
        .map(|c| yes(header_of(SheetId::Rooms, *c)))
        .reduce(|a, b| a.and(b))
        .expect("seven services");
    let mut room_aggs = sums(SheetId::Rooms);
    room_aggs.push(count_true(
        yes(header_of(SheetId::Rooms, Col::SharedOffice)),
        SHARED_OFFICE_VILLAGES,
    ));
    room_aggs.push(count_true(seven, SEVEN_VILLAGES));
    let room_cols = |c: Col| {
        summed(SheetId::Rooms, c) || c == Col::SharedOffice || schema::SEVEN_SERVICES.contains(&c)
    };
    let rooms = village_frame_of(batch, SheetId::Rooms, room_cols)?
        .lazy()
        .group_by([col(TOWNSHIP_CODE)])
        .agg(room_aggs);

    let duty = village_frame_of(batch, SheetId::Duty, |c| summed(SheetId::Duty, c))?
        .lazy()
        .group_by([col(TOWNSHIP_CODE)])
        .agg(sums(SheetId::Duty));

    let is_code = |c: Code| col("规则编号").eq(lit(c.as_str()));
    let policy = findings_frame(batch)?
        .lazy()
        .group_by([col(TOWNSHIP_CODE)])
        .agg([
            count_true(is_code(Code::P03), NEGATIVE_SIGNS),
            count_true(is_code(Code::P04), UNFILED_SIGNS),
        ]);

    let mut lf = township_frame(batch)?.lazy();
    for part in [signs, rooms, duty, policy] {
        lf = left_join(lf, part, TOWNSHIP_CODE);
    }
    // Used townships: a missing figure is 0 (e.g. no village rows); others
    // have no figures at all.
    let figures: Vec<Expr> = SUMMARY_COLUMNS
        .iter()
        .filter(|c| c.is_figure())
        .map(|c| {
            let h = c.header();
            when(col("_used"))
                .then(col(h).fill_null(lit(0.0)))
                .otherwise(null_f64())
                .alias(h)
        })
        .collect();
    lf.with_columns(figures)
        .with_columns(ratio_exprs())
        .sort(["_idx"], SortMultipleOptions::default())
        .select(
            SUMMARY_COLUMNS
                .iter()
                .map(|c| col(c.header()))
                .collect::<Vec<_>>(),
        )
        .collect()
}

/// `已汇总 U/E`: used townships (已汇总 or 退回(已计入)) of expected ones.
pub fn total_status(batch: &Batch) -> String {
    let used = batch
        .townships
        .iter()
        .filter(|t| t.status.is_used())
        .count();
    let expected = batch.townships.iter().filter(|t| t.expected).count();
    format!("已汇总 {used}/{expected}")
}

/// Aggregations of a summary frame: figures summed (nulls, i.e. townships
/// not used, left out), ratios recomputed from the sums, 错误数 and 提示数
/// summed over every row. Other columns are not produced.
fn summary_aggs() -> Vec<Expr> {
    SUMMARY_COLUMNS
        .iter()
        .filter(|c| c.is_figure() || matches!(c, SummaryCol::Errors | SummaryCol::Warnings))
        .map(|c| {
            col(c.header())
                .sum()
                .cast(DataType::Float64)
                .alias(c.header())
        })
        .collect()
}

/// The 合计 row of a summary (of [`summary`] or [`summary_by_county`]; the
/// subtotal rows, which have no 乡镇(街道)代码, are not counted): one row
/// with the same columns, 乡镇(街道)代码 blank, 乡镇(街道) = 合计,
/// 报送状态 = `已汇总 U/E`.
pub fn total_row(summary: &DataFrame, batch: &Batch) -> PolarsResult<DataFrame> {
    let names: Vec<String> = summary
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let totals = summary
        .clone()
        .lazy()
        .filter(col(TOWNSHIP_CODE).is_not_null())
        .select(summary_aggs())
        .with_columns(ratio_exprs());
    let status = total_status(batch);
    let exprs: Vec<Expr> = names
        .iter()
        .map(|n| match n.as_str() {
            TOWNSHIP => lit(TOTAL_LABEL).alias(n.as_str()),
            STATUS => lit(status.as_str()).alias(n.as_str()),
            h if SUMMARY_COLUMNS
                .iter()
                .any(|c| c.header() == h && !matches!(c, SummaryCol::TownshipCode)) =>
            {
                col(h)
            }
            h => null_str().alias(h),
        })
        .collect();
    totals.select(exprs).collect()
}

/// A township's county: from the roster, else the first six digits of its
/// code (named after any other township of that county).
fn county_of(t: &TownshipEntry, names: &BTreeMap<String, String>) -> (String, String) {
    let code = t
        .county_code
        .clone()
        .unwrap_or_else(|| t.code.chars().take(6).collect());
    let name = t
        .county_name
        .clone()
        .or_else(|| names.get(&code).cloned())
        .unwrap_or_default();
    (code, name)
}

/// 汇总 of a city or province: the columns 县(市、区)代码 and 县(市、区) in
/// front, the townships grouped by county (by county code; within a county
/// in `batch.townships` order), each county followed by a `<县名>小计` row
/// (乡镇(街道)代码 blank, 报送状态 `已汇总 U/E` of that county).
pub fn summary_by_county(batch: &Batch) -> PolarsResult<DataFrame> {
    let base = summary(batch)?;
    let mut known: BTreeMap<String, String> = BTreeMap::new();
    for t in &batch.townships {
        if let (Some(c), Some(n)) = (&t.county_code, &t.county_name) {
            known.entry(c.clone()).or_insert_with(|| n.clone());
        }
    }
    // (used, expected, name) per county, for the subtotal labels.
    let mut per_county: BTreeMap<String, (usize, usize, String)> = BTreeMap::new();
    let mut t_county: Vec<String> = Vec::new();
    let mut t_county_name: Vec<String> = Vec::new();
    for t in &batch.townships {
        let (code, name) = county_of(t, &known);
        let e = per_county
            .entry(code.clone())
            .or_insert((0, 0, name.clone()));
        e.0 += usize::from(t.status.is_used());
        e.1 += usize::from(t.expected);
        t_county.push(code);
        t_county_name.push(name);
    }
    let n = batch.townships.len();
    let towns = DataFrame::new(
        n,
        vec![
            Column::new(
                TOWNSHIP_CODE.into(),
                batch
                    .townships
                    .iter()
                    .map(|t| t.code.clone())
                    .collect::<Vec<String>>(),
            ),
            Column::new(COUNTY_CODE.into(), t_county),
            Column::new(COUNTY.into(), t_county_name),
            Column::new("_idx".into(), (0..n as u32).collect::<Vec<u32>>()),
        ],
    )?;
    let c = per_county.len();
    let labels = DataFrame::new(
        c,
        vec![
            Column::new(
                COUNTY_CODE.into(),
                per_county.keys().cloned().collect::<Vec<String>>(),
            ),
            Column::new(
                "_label".into(),
                per_county
                    .iter()
                    .map(|(code, (_, _, name))| {
                        let shown = if name.is_empty() { code } else { name };
                        format!("{shown}{SUBTOTAL_SUFFIX}")
                    })
                    .collect::<Vec<String>>(),
            ),
            Column::new(
                "_status".into(),
                per_county
                    .values()
                    .map(|(u, e, _)| format!("已汇总 {u}/{e}"))
                    .collect::<Vec<String>>(),
            ),
        ],
    )?;

    let rows =
        left_join(base.lazy(), towns.lazy(), TOWNSHIP_CODE).with_column(lit(0u32).alias("_kind"));
    let mut sub_aggs = vec![col(COUNTY).first().alias(COUNTY)];
    sub_aggs.extend(summary_aggs());
    let subtotals = left_join(
        rows.clone().group_by([col(COUNTY_CODE)]).agg(sub_aggs),
        labels.lazy(),
        COUNTY_CODE,
    )
    .with_columns(ratio_exprs())
    .with_columns([
        null_str().alias(TOWNSHIP_CODE),
        col("_label").alias(TOWNSHIP),
        col("_status").alias(STATUS),
        lit(1u32).alias("_kind"),
        lit(0u32).alias("_idx"),
    ]);

    let mut order: Vec<Expr> = vec![col(COUNTY_CODE), col(COUNTY)];
    for c in SUMMARY_COLUMNS {
        let h = c.header();
        order.push(match c {
            SummaryCol::TownshipCode | SummaryCol::Township | SummaryCol::Status => {
                col(h).cast(DataType::String)
            }
            _ => col(h).cast(DataType::Float64),
        });
    }
    let keys = [
        col("_kind").cast(DataType::UInt32),
        col("_idx").cast(DataType::UInt32),
    ];
    let mut with_keys = order.clone();
    with_keys.extend(keys);
    let all = concat(
        [rows.select(with_keys.clone()), subtotals.select(with_keys)],
        UnionArgs::default(),
    )?;
    all.sort(
        [COUNTY_CODE, "_kind", "_idx"],
        SortMultipleOptions::default().with_maintain_order(true),
    )
    .select(
        std::iter::once(col(COUNTY_CODE))
            .chain(std::iter::once(col(COUNTY)))
            .chain(SUMMARY_COLUMNS.iter().map(|c| col(c.header())))
            .collect::<Vec<_>>(),
    )
    .collect()
}

// ---------------------------------------------------------------------------
// 环比

/// A used village as 环比 shows it: its township, code and name, and its
/// [`MOM_FIGURES`].
struct Stock<'a> {
    town: &'a TownshipEntry,
    code: Cow<'a, str>,
    name: Option<Cow<'a, str>>,
    /// Each figure, meaningful where its bit of `present` is set (half the
    /// size of ten `Option<f64>`: a province has a million of these).
    figures: [f64; MOM_FIGURES.len()],
    present: u16,
}

const _: () = assert!(MOM_FIGURES.len() <= u16::BITS as usize);

impl Stock<'_> {
    fn figure(&self, f: usize) -> Option<f64> {
        (self.present >> f & 1 == 1).then(|| self.figures[f])
    }

    fn set(&mut self, f: usize, value: Option<f64>) {
        match value {
            Some(v) => {
                self.figures[f] = v;
                self.present |= 1 << f;
            }
            None => self.present &= !(1 << f),
        }
    }
}

/// Per used village of a batch, one per village code, in the order 标牌清理,
/// 场所整合, 值班 first list them (of a sheet that lists a code twice, its
/// first row wins). Gathered in one pass over each sheet's sorted rows.
fn stocks(batch: &Batch) -> Vec<Stock<'_>> {
    const SHEETS: [SheetId; 3] = [SheetId::Signs, SheetId::Rooms, SheetId::Duty];
    let mut villages: Vec<Stock> = Vec::new();
    // Which of SHEETS gave a village its figures already.
    let mut filled: Vec<[bool; SHEETS.len()]> = Vec::new();
    // Indexes in `villages`, by code.
    let mut index = hashbrown::HashTable::<u32>::new();
    let hasher = foldhash::fast::FixedState::default();
    for (s, sheet) in SHEETS.iter().enumerate() {
        let Some(rows) = VillageRows::of(batch, *sheet) else {
            continue;
        };
        let at = |c: Col| rows.spec.column(c).map(|(i, _)| i);
        let (Some(code_at), name_at) = (at(Col::VillageCode), at(Col::VillageName)) else {
            continue;
        };
        // (figure, schema column) of this sheet's figures.
        let figures: Vec<(usize, usize)> = MOM_FIGURES
            .iter()
            .enumerate()
            .filter(|(_, (fs, _))| fs == sheet)
            .filter_map(|(f, (_, c))| Some((f, at(*c)?)))
            .collect();
        for k in 0..rows.len() {
            let Some(code) = rows.text(k, code_at) else {
                continue;
            };
            use std::hash::BuildHasher;
            let h = hasher.hash_one(code.as_ref());
            let v = match index.find(h, |&v| villages[v as usize].code == code) {
                Some(&v) => v as usize,
                None => {
                    index.insert_unique(h, villages.len() as u32, |&v| {
                        hasher.hash_one(villages[v as usize].code.as_ref())
                    });
                    villages.push(Stock {
                        town: rows.get(k).0,
                        code,
                        name: name_at.and_then(|i| rows.text(k, i)),
                        figures: [0.0; MOM_FIGURES.len()],
                        present: 0,
                    });
                    filled.push([false; SHEETS.len()]);
                    villages.len() - 1
                }
            };
            if !filled[v][s] {
                filled[v][s] = true;
                for (f, i) in &figures {
                    villages[v].set(*f, rows.number(k, *i));
                }
            }
        }
    }
    villages
}

/// 环比's key columns: township rank and village code key.
const TOWN_KEY: &str = "_town";
const CODE_KEY: &str = "_code";

/// A village code as 环比 joins and sorts it: its twelve digits as a
/// number (same order as the text; a province's half a million codes join
/// as integers, not strings).
fn code_key(code: &str) -> Option<u64> {
    code.parse().ok()
}

/// Each township code of both periods → its place in code order (sorting by
/// it sorts by township code).
fn township_ranks<'a>(batches: [&'a Batch; 2]) -> std::collections::HashMap<&'a str, u32> {
    let codes: std::collections::BTreeSet<&str> = batches
        .iter()
        .flat_map(|b| b.townships.iter().map(|t| t.code.as_str()))
        .collect();
    codes
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c, i as u32))
        .collect()
}

/// The join keys of [`stocks`] (township rank, village code key) with each
/// village's place in them (`at`), the key columns named with `prefix`.
fn stock_keys(
    stocks: &[Stock],
    ranks: &std::collections::HashMap<&str, u32>,
    prefix: &str,
    at: &str,
) -> PolarsResult<DataFrame> {
    let n = stocks.len();
    let towns: UInt32Chunked = stocks
        .iter()
        .map(|v| ranks.get(v.town.code.as_str()).copied())
        .collect();
    let codes: UInt64Chunked = stocks.iter().map(|v| code_key(&v.code)).collect();
    DataFrame::new(
        n,
        vec![
            towns
                .with_name(format!("{prefix}{TOWN_KEY}").into())
                .into_column(),
            codes
                .with_name(format!("{prefix}{CODE_KEY}").into())
                .into_column(),
            Column::new(at.into(), (0..n as u32).collect::<Vec<u32>>()),
        ],
    )
}

/// 环比提示 per village code key: the H codes of the used files'
/// findings, `H02、H05`.
fn mom_flags(batch: &Batch) -> PolarsResult<LazyFrame> {
    let mut villages: Vec<u64> = Vec::new();
    let mut codes: Vec<&str> = Vec::new();
    for (_, loaded) in used_files(batch) {
        for f in &loaded.findings {
            if !MOM_CODES.contains(&f.code) {
                continue;
            }
            if let Some(v) = f.village.as_deref().and_then(code_key) {
                villages.push(v);
                codes.push(f.code.as_str());
            }
        }
    }
    let found = DataFrame::new(
        villages.len(),
        vec![
            Column::new(CODE_KEY.into(), villages),
            Column::new("规则编号".into(), codes),
        ],
    )?;
    let flags: Vec<Expr> = MOM_CODES
        .iter()
        .map(|c| {
            col("规则编号")
                .eq(lit(c.as_str()))
                .cast(DataType::UInt32)
                .sum()
                .gt(lit(0u32))
                .alias(c.as_str())
        })
        .collect();
    let mut text = lit("");
    for c in MOM_CODES {
        let code = c.as_str();
        text = when(col(code))
            .then(
                when(text.clone().eq(lit("")))
                    .then(lit(code))
                    .otherwise(text.clone() + lit(format!("、{code}"))),
            )
            .otherwise(text);
    }
    Ok(found
        .lazy()
        .group_by([col(CODE_KEY)])
        .agg(flags)
        .select([col(CODE_KEY), text.alias(MOM_FLAGS)]))
}

/// The 环比 sheet: current and previous used villages, full outer join on
/// 村(社区)代码; for each of [`MOM_FIGURES`] `<列名>本期`, `<列名>上期`,
/// `<列名>变动` (本期 − 上期; null when either is missing); then 环比提示.
/// Sorted by township code, then village code. polars joins, flags and
/// sorts the keys alone (code and place in each period's list); the wide
/// table is then filled once from the two lists, so a province's 环比 is
/// not copied whole at each step of the query.
pub fn month_over_month(cur: &Batch, prev: &Batch) -> PolarsResult<DataFrame> {
    const NOW: &str = "_now";
    const THEN: &str = "_then";
    const P: &str = "_p_";
    let (now, then) = (stocks(cur), stocks(prev));
    let ranks = township_ranks([cur, prev]);
    let p = |k: &str| format!("{P}{k}");
    // A full join keeps both keys; the village's code and township come
    // from this period, else from the last.
    let joined = stock_keys(&now, &ranks, "", NOW)?.lazy().join(
        stock_keys(&then, &ranks, P, THEN)?.lazy(),
        [col(CODE_KEY)],
        [col(p(CODE_KEY))],
        JoinArgs::new(JoinType::Full),
    );
    drop(ranks);
    let order = left_join(
        joined.with_columns([TOWN_KEY, CODE_KEY].map(|k| col(k).fill_null(col(p(k))).alias(k))),
        mom_flags(cur)?,
        CODE_KEY,
    )
    .sort(
        [TOWN_KEY, CODE_KEY],
        SortMultipleOptions::default()
            .with_maintain_order(true)
            .with_nulls_last(true),
    )
    .select([col(NOW), col(THEN), col(MOM_FLAGS).fill_null(lit(""))])
    .collect()?;
    let pairs: Vec<(Option<&Stock>, Option<&Stock>)> = order
        .column(NOW)?
        .u32()?
        .iter()
        .zip(order.column(THEN)?.u32()?.iter())
        .map(|(i, j)| (i.map(|i| &now[i as usize]), j.map(|j| &then[j as usize])))
        .collect();
    let n = pairs.len();
    let key = |name: &str, get: for<'s> fn(&'s Stock<'_>) -> Option<&'s str>| {
        // From this period, else from the last.
        text_column(
            name,
            pairs
                .iter()
                .map(|(a, b)| a.and_then(get).or_else(|| b.and_then(get))),
        )
    };
    let mut columns = vec![
        key(TOWNSHIP_CODE, |v| Some(v.town.code.as_str())),
        key(TOWNSHIP, |v| Some(v.town.name.as_str())),
        key(VILLAGE_CODE, |v| Some(v.code.as_ref())),
        key(VILLAGE_NAME, |v| v.name.as_deref()),
    ];
    for (f, (s, c)) in MOM_FIGURES.iter().enumerate() {
        let h = header_of(*s, *c);
        let this: Float64Chunked = pairs
            .iter()
            .map(|(a, _)| a.and_then(|v| v.figure(f)))
            .collect();
        let last: Float64Chunked = pairs
            .iter()
            .map(|(_, b)| b.and_then(|v| v.figure(f)))
            .collect();
        let change: Float64Chunked = pairs
            .iter()
            .map(|&(a, b)| Some(a?.figure(f)? - b?.figure(f)?))
            .collect();
        columns.push(
            this.with_name(format!("{h}{THIS_PERIOD}").into())
                .into_column(),
        );
        columns.push(
            last.with_name(format!("{h}{LAST_PERIOD}").into())
                .into_column(),
        );
        columns.push(
            change
                .with_name(format!("{h}{CHANGE}").into())
                .into_column(),
        );
    }
    columns.push(order.column(MOM_FLAGS)?.clone());
    DataFrame::new(n, columns)
}

/// Batches built from real returns (demo data → template → reader →
/// rules → `batch::decide`), for the tests of this module and the writers.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::batch::{self, Batch, Expected};
    use crate::kit::demo::{self, Rng, Township, Village};
    use crate::model::{Loaded, Return};
    use crate::policy::Policy;
    use crate::read::normalise::{Date, Period};
    use crate::rules::{self, Context};
    use crate::schema::{self, Col, SheetId};
    use crate::write::template::{self, Fill, TemplateInput, Value};
    use std::path::Path;

    pub const JUNE: Period = Period {
        year: 2024,
        month: 6,
    };
    pub const MAY: Period = Period {
        year: 2024,
        month: 5,
    };
    /// The clean township (used), the one with an error (退回) and the
    /// expected one that sent nothing (未报送).
    pub const A: &str = "990101103";
    pub const B: &str = "990101104";
    pub const C: &str = "990101105";
    pub const FILE_A: &str = "990101103_白砂镇.xlsx";
    pub const FILE_B: &str = "990101104_樟黄镇.xlsx";

    pub fn township(code: &str, name: &str, n: usize, period: Period, seed: u64) -> Township {
        let policy = Policy::default_rules();
        let mut rng = Rng::new(seed);
        let names = demo::village_names(n, false, &mut rng);
        let villages: Vec<(String, String)> = names
            .into_iter()
            .enumerate()
            .map(|(i, v)| (format!("{code}{:03}", 201 + i), v))
            .collect();
        demo::township("示范县", code, name, &villages, period, &policy, &mut rng)
    }

    fn num(v: &Value) -> f64 {
        match v {
            Value::Number(n) => *n,
            other => panic!("not a number: {other:?}"),
        }
    }

    /// Add a hanging sign to village row `k`, keeping P01 and X02 balanced.
    pub fn add_sign(fill: &mut Fill, k: usize, code: &str, name: &str) {
        let row = demo::row(
            &schema::SIGN_DETAIL,
            vec![
                (Col::VillageCode, Value::Text(code.into())),
                (Col::SignName, Value::Text(name.into())),
            ],
        );
        fill.rows.get_mut(&SheetId::SignDetail).unwrap().push(row);
        for c in [Col::SignsNow, Col::SignsBefore] {
            bump(fill, SheetId::Signs, k, c, 1.0);
        }
    }

    /// Add `by` to a number of village row `k`.
    pub fn bump(fill: &mut Fill, sheet: SheetId, k: usize, c: Col, by: f64) {
        let i = schema::data_sheet(sheet).unwrap().index_of(c);
        let cell = &mut fill.rows.get_mut(&sheet).unwrap()[k][i];
        *cell = Value::Number(num(cell) + by);
    }

    /// Write, read and check one return as `consolidate` does.
    pub fn load(name: &str, fill: &Fill, period: Period, previous: Option<&Return>) -> Loaded {
        let policy = Policy::default_rules();
        let input = TemplateInput {
            policy: &policy,
            period: Some(period),
            fill,
        };
        let bytes = template::build(&input).unwrap().save_to_buffer().unwrap();
        let mut loaded =
            crate::read::read_bytes(name, Path::new(name), &bytes, &policy, Some(period));
        let ctx = Context {
            policy: &policy,
            office_code: Some("990101"),
            roster: None,
            previous,
            placements: None,
        };
        rules::check_loaded(&mut loaded, &ctx);
        loaded
    }

    pub fn expected(codes: &[(&str, &str)]) -> Vec<Expected> {
        codes
            .iter()
            .map(|(c, n)| Expected {
                code: c.to_string(),
                name: n.to_string(),
                county_code: Some("990101".into()),
                county_name: Some("示范县".into()),
            })
            .collect()
    }

    /// The June batch: A used (with one P03 and one P04 sign on its first
    /// two villages), B 退回 (M01 on its first village), C 未报送.
    pub struct June {
        pub batch: Batch,
        /// A's villages as generated (before the two added signs).
        pub a: Township,
        pub b: Township,
    }

    pub fn june() -> June {
        let a = township(A, "白砂镇", 3, JUNE, 11);
        let b = township(B, "樟黄镇", 2, JUNE, 12);
        let mut fa = demo::fill(&a);
        add_sign(&mut fa, 0, &a.villages[0].code, "樟黄村廉洁工作站");
        add_sign(&mut fa, 1, &a.villages[1].code, "乡村振兴促进会");
        let mut fb = demo::fill(&b);
        bump(&mut fb, SheetId::Rooms, 0, Col::RoomsTotal, 1.0);
        let files = vec![load(FILE_A, &fa, JUNE, None), load(FILE_B, &fb, JUNE, None)];
        let exp = expected(&[(A, "白砂镇"), (B, "樟黄镇"), (C, "溪口乡")]);
        June {
            batch: batch::decide(JUNE, files, &exp, false),
            a,
            b,
        }
    }

    /// Sum of a figure over villages.
    pub fn total(vs: &[Village], f: impl Fn(&Village) -> i64) -> f64 {
        vs.iter().map(f).sum::<i64>() as f64
    }

    /// May and June of township A: 201 and 202 in both months (202's
    /// 清理前标牌数 +1 in June: H03), 203 only in May, 204 only in June (H04
    /// for both).
    pub struct TwoMonths {
        pub may: Batch,
        pub june: Batch,
        pub before: Vec<Village>,
        pub after: Vec<Village>,
    }

    pub fn two_months() -> TwoMonths {
        let policy = Policy::default_rules();
        let may_t = township(A, "白砂镇", 3, MAY, 21);
        let may_loaded = load(FILE_A, &demo::fill(&may_t), MAY, None);
        let prev_ret = may_loaded.ret.clone().expect("May reads");
        let mut rng = Rng::new(5);
        let mut june_t = may_t.clone();
        june_t.period = JUNE;
        june_t.fill_date = Date::new(2024, 6, 25).unwrap();
        june_t.villages = may_t.villages[..2]
            .iter()
            .map(|v| demo::next_month(v, JUNE, &mut rng))
            .collect();
        june_t.villages[1].signs_before += 1;
        june_t.villages[1].removed += 1;
        june_t.villages.push(demo::village(
            format!("{A}204"),
            "新安村".into(),
            JUNE,
            &policy,
            &mut rng,
        ));
        let june_loaded = load(FILE_A, &demo::fill(&june_t), JUNE, Some(&prev_ret));
        let exp = expected(&[(A, "白砂镇")]);
        TwoMonths {
            may: batch::decide(MAY, vec![may_loaded], &exp, false),
            june: batch::decide(JUNE, vec![june_loaded], &exp, false),
            before: may_t.villages,
            after: june_t.villages,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::batch::Status;
    use crate::finding::Level;

    fn f64_at(df: &DataFrame, name: &str, row: usize) -> Option<f64> {
        df.column(name).unwrap().f64().unwrap().get(row)
    }

    fn str_at(df: &DataFrame, name: &str, row: usize) -> Option<String> {
        df.column(name)
            .unwrap()
            .str()
            .unwrap()
            .get(row)
            .map(str::to_string)
    }

    #[test]
    fn fixture_statuses_are_as_meant() {
        let j = june();
        let st: Vec<(String, Status)> = j
            .batch
            .townships
            .iter()
            .map(|t| (t.code.clone(), t.status))
            .collect();
        assert_eq!(
            st,
            [
                (A.to_string(), Status::Used),
                (B.to_string(), Status::Rejected),
                (C.to_string(), Status::NotSent)
            ]
        );
        let codes: Vec<&str> = j.batch.findings().iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, ["P03", "P04", "M01"], "{:#?}", j.batch.findings());
    }

    #[test]
    fn village_frame_has_used_villages_only_in_order() {
        let j = june();
        let df = village_frame(&j.batch, SheetId::Signs).unwrap();
        let mut want = vec![TOWNSHIP_CODE, TOWNSHIP];
        want.extend(schema::SIGNS.columns.iter().map(|c| c.header));
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names, want);
        assert_eq!(df.height(), 3);
        for (i, v) in j.a.villages.iter().enumerate() {
            assert_eq!(str_at(&df, TOWNSHIP_CODE, i).as_deref(), Some(A));
            assert_eq!(str_at(&df, TOWNSHIP, i).as_deref(), Some("白砂镇"));
            assert_eq!(str_at(&df, VILLAGE_CODE, i), Some(v.code.clone()));
            assert_eq!(
                f64_at(&df, "累计摘除数", i),
                Some(v.removed as f64),
                "row {i}"
            );
        }
        // 标牌明细: one row per sign, the added ones last of their village.
        let detail = village_frame(&j.batch, SheetId::SignDetail).unwrap();
        let signs: usize = j.a.villages.iter().map(|v| v.signs.len()).sum();
        assert_eq!(detail.height(), signs + 2);
        let v0 = j.a.villages[0].signs.len();
        assert_eq!(
            str_at(&detail, "标牌名称", v0).as_deref(),
            Some("樟黄村廉洁工作站")
        );
        assert_eq!(
            str_at(&detail, "标牌名称", 0),
            Some(j.a.villages[0].signs[0].name.clone())
        );
        // Yes/no as 是/否, areas as numbers.
        let rooms = village_frame(&j.batch, SheetId::Rooms).unwrap();
        assert_eq!(str_at(&rooms, "干部集中办公", 0).as_deref(), Some("是"));
        assert_eq!(
            f64_at(&rooms, "服务场所面积(㎡)", 1),
            Some(j.a.villages[1].area_service_dm as f64 / 10.0)
        );
    }

    #[test]
    fn summary_sums_used_townships_only() {
        let j = june();
        let s = summary(&j.batch).unwrap();
        let names: Vec<String> = s.get_column_names().iter().map(|s| s.to_string()).collect();
        assert_eq!(names, summary_headers());
        assert_eq!(
            summary_headers(),
            [
                "乡镇(街道)代码",
                "乡镇(街道)",
                "报送状态",
                "村(社区)数",
                "清理前标牌数",
                "累计摘除数",
                "现有标牌数",
                "上墙制度数",
                "摘牌率",
                "负面清单标牌数",
                "目录外未备案标牌数",
                "房间总数",
                "累计整合清理房间数",
                "累计新建特色功能室数",
                "服务场所面积(㎡)",
                "办公场所面积(㎡)",
                "服务面积占比",
                "集中办公村数",
                "七个有达标村数",
                "两委干部人数",
                "坐班轮值人数",
                "专管员人数",
                "本月特色活动场次",
                "参与群众人次",
                "错误数",
                "提示数"
            ]
        );
        assert_eq!(s.height(), 3);
        let vs = &j.a.villages;
        // Two signs were added to A's villages (清理前 and 现有 +1 each).
        let before = total(vs, |v| v.signs_before) + 2.0;
        let removed = total(vs, |v| v.removed);
        assert_eq!(str_at(&s, STATUS, 0).as_deref(), Some("已汇总"));
        assert_eq!(f64_at(&s, VILLAGES, 0), Some(3.0));
        assert_eq!(f64_at(&s, "清理前标牌数", 0), Some(before));
        assert_eq!(f64_at(&s, "累计摘除数", 0), Some(removed));
        assert_eq!(
            f64_at(&s, "现有标牌数", 0),
            Some(total(vs, |v| v.signs.len() as i64) + 2.0)
        );
        assert_eq!(f64_at(&s, REMOVAL_RATE, 0), Some(removed / before));
        assert_eq!(f64_at(&s, NEGATIVE_SIGNS, 0), Some(1.0));
        assert_eq!(f64_at(&s, UNFILED_SIGNS, 0), Some(1.0));
        assert_eq!(
            f64_at(&s, "房间总数", 0),
            Some(total(vs, |v| v.rooms_office + v.rooms_service))
        );
        let service = total(vs, |v| v.area_service_dm) / 10.0;
        let office = total(vs, |v| v.area_office_dm) / 10.0;
        let got = f64_at(&s, "服务场所面积(㎡)", 0).unwrap();
        assert!((got - service).abs() < 1e-9, "{got} vs {service}");
        let share = f64_at(&s, SERVICE_SHARE, 0).unwrap();
        assert!((share - service / (service + office)).abs() < 1e-12);
        assert_eq!(f64_at(&s, SHARED_OFFICE_VILLAGES, 0), Some(3.0));
        let seven = vs.iter().filter(|v| v.seven.iter().all(|b| *b)).count();
        assert_eq!(f64_at(&s, SEVEN_VILLAGES, 0), Some(seven as f64));
        assert_eq!(f64_at(&s, "两委干部人数", 0), Some(total(vs, |v| v.cadres)));
        assert_eq!(
            f64_at(&s, "参与群众人次", 0),
            Some(total(vs, |v| v.participants))
        );
        assert_eq!(f64_at(&s, ERRORS, 0), Some(0.0));
        assert_eq!(f64_at(&s, WARNINGS, 0), Some(2.0));

        // B: 退回, no figures, its error counted.
        assert_eq!(str_at(&s, TOWNSHIP, 1).as_deref(), Some("樟黄镇"));
        assert_eq!(str_at(&s, STATUS, 1).as_deref(), Some("退回"));
        for c in SUMMARY_COLUMNS
            .iter()
            .filter(|c| c.is_figure() || c.is_ratio())
        {
            assert_eq!(f64_at(&s, c.header(), 1), None, "{}", c.header());
            assert_eq!(f64_at(&s, c.header(), 2), None, "{}", c.header());
        }
        assert_eq!(f64_at(&s, ERRORS, 1), Some(1.0));
        assert_eq!(f64_at(&s, WARNINGS, 1), Some(0.0));
        // C: 未报送, zero counts.
        assert_eq!(str_at(&s, TOWNSHIP_CODE, 2).as_deref(), Some(C));
        assert_eq!(str_at(&s, STATUS, 2).as_deref(), Some("未报送"));
        assert_eq!(f64_at(&s, ERRORS, 2), Some(0.0));
        assert_eq!(f64_at(&s, WARNINGS, 2), Some(0.0));
    }

    #[test]
    fn total_row_sums_used_figures_and_all_counts() {
        let j = june();
        let s = summary(&j.batch).unwrap();
        let t = total_row(&s, &j.batch).unwrap();
        assert_eq!(t.height(), 1);
        assert_eq!(t.get_column_names(), s.get_column_names());
        let vs = &j.a.villages;
        let before = total(vs, |v| v.signs_before) + 2.0;
        let removed = total(vs, |v| v.removed);
        assert_eq!(str_at(&t, TOWNSHIP_CODE, 0), None);
        assert_eq!(str_at(&t, TOWNSHIP, 0).as_deref(), Some("合计"));
        assert_eq!(str_at(&t, STATUS, 0).as_deref(), Some("已汇总 1/3"));
        assert_eq!(f64_at(&t, "清理前标牌数", 0), Some(before));
        assert_eq!(f64_at(&t, REMOVAL_RATE, 0), Some(removed / before));
        assert_eq!(f64_at(&t, VILLAGES, 0), Some(3.0));
        assert_eq!(f64_at(&t, ERRORS, 0), Some(1.0));
        assert_eq!(f64_at(&t, WARNINGS, 0), Some(2.0));
        let b_errors = j
            .batch
            .findings()
            .iter()
            .filter(|f| f.level == Level::Error)
            .count();
        assert_eq!(b_errors, 1);
    }

    #[test]
    fn total_recomputes_ratios_from_sums_with_include_errors() {
        // With --include-errors B counts: 2 used of 3 expected, and the
        // rate of the total is sum/sum, not a sum of rates.
        let j = june();
        let files: Vec<_> = j.batch.files.into_iter().map(|f| f.loaded).collect();
        let exp = expected(&[(A, "白砂镇"), (B, "樟黄镇"), (C, "溪口乡")]);
        let batch = crate::batch::decide(JUNE, files, &exp, true);
        let s = summary(&batch).unwrap();
        let t = total_row(&s, &batch).unwrap();
        assert_eq!(str_at(&s, STATUS, 1).as_deref(), Some("退回(已计入)"));
        assert_eq!(str_at(&t, STATUS, 0).as_deref(), Some("已汇总 2/3"));
        let all: Vec<_> = j.a.villages.iter().chain(&j.b.villages).cloned().collect();
        let before = total(&all, |v| v.signs_before) + 2.0;
        let removed = total(&all, |v| v.removed);
        assert_eq!(f64_at(&t, "清理前标牌数", 0), Some(before));
        assert_eq!(f64_at(&t, REMOVAL_RATE, 0), Some(removed / before));
        assert_eq!(f64_at(&t, VILLAGES, 0), Some(5.0));
        let sum_of_rates =
            f64_at(&s, REMOVAL_RATE, 0).unwrap() + f64_at(&s, REMOVAL_RATE, 1).unwrap();
        assert_ne!(f64_at(&t, REMOVAL_RATE, 0), Some(sum_of_rates));
    }

    #[test]
    fn a_previous_period_kept_for_comparison_keeps_sign_keys_and_month_over_month() {
        let mut m = two_months();
        let before = month_over_month(&m.june, &m.may).unwrap();
        let ret = m.may.files[0].loaded.ret.as_mut().unwrap();
        let whole = ret.table(SheetId::SignDetail).unwrap().clone();
        let signs: usize = m.before.iter().map(|v| v.signs.len()).sum();
        assert_eq!(whole.rows.len(), signs);
        ret.keep_for_comparison();
        // Every sign row, at its row, with its village code and sign name
        // and nothing else.
        let t = ret.table(SheetId::SignDetail).unwrap();
        assert_eq!(t.spec.columns.len(), 2);
        assert_eq!(t.rows.len(), signs);
        for (r, w) in t.rows.iter().zip(&whole.rows) {
            assert_eq!(r.row, w.row);
            assert_eq!(t.code(r), whole.code(w));
            assert_eq!(t.text(r, Col::SignName), whole.text(w, Col::SignName));
            assert_eq!(t.field_at(r, 2), None);
        }
        assert_eq!(t.col_of(Col::SignName), whole.col_of(Col::SignName));
        // The village sheets are untouched: 环比 is the same.
        let after = month_over_month(&m.june, &m.may).unwrap();
        assert!(after.equals_missing(&before));
    }

    #[test]
    fn a_slimmed_previous_period_keeps_its_villages_and_month_over_month() {
        let mut m = two_months();
        let before = month_over_month(&m.june, &m.may).unwrap();
        let ret = m.may.files[0].loaded.ret.as_mut().unwrap();
        let before_table = ret.table(SheetId::SignDetail).unwrap().clone();
        let rows = &before_table.rows;
        let signs: usize = m.before.iter().map(|v| v.signs.len()).sum();
        assert_eq!(rows.len(), signs);
        ret.keep_after_comparison();
        // The first sign row of each of May's three villages, in order,
        // every cell as it was.
        let t = ret.table(SheetId::SignDetail).unwrap();
        let codes: Vec<&str> = t.rows.iter().filter_map(|r| t.code(r)).collect();
        assert_eq!(
            codes,
            [format!("{A}201"), format!("{A}202"), format!("{A}203")]
        );
        for r in &t.rows {
            let first = rows
                .iter()
                .find(|x| before_table.code(x) == t.code(r))
                .unwrap();
            assert_eq!(r.row, first.row);
            assert!(t.fields(r).eq(before_table.fields(first)));
        }
        let after = month_over_month(&m.june, &m.may).unwrap();
        assert!(after.equals_missing(&before));
    }

    #[test]
    fn month_over_month_joins_both_periods() {
        let m = two_months();
        let df = month_over_month(&m.june, &m.may).unwrap();
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(names.len(), 4 + 3 * 10 + 1);
        assert_eq!(
            &names[..7],
            [
                "乡镇(街道)代码",
                "乡镇(街道)",
                "村(社区)代码",
                "村(社区)名称",
                "清理前标牌数本期",
                "清理前标牌数上期",
                "清理前标牌数变动"
            ]
        );
        assert_eq!(names.last().map(String::as_str), Some("环比提示"));
        assert!(names.contains(&"服务场所面积(㎡)变动".to_string()));
        assert!(names.contains(&"两委干部人数本期".to_string()));
        let codes: Vec<Option<String>> = (0..df.height())
            .map(|i| str_at(&df, VILLAGE_CODE, i))
            .collect();
        let want: Vec<Option<String>> = (201..=204).map(|n| Some(format!("{A}{n}"))).collect();
        assert_eq!(codes, want);
        let flags: Vec<Option<String>> = (0..4).map(|i| str_at(&df, MOM_FLAGS, i)).collect();
        assert_eq!(
            flags,
            [
                Some("".into()),
                Some("H03".into()),
                Some("H04".into()),
                Some("H04".into())
            ]
        );
        // 202: 清理前 +1.
        let (b, a) = (&m.before[1], &m.after[1]);
        assert_eq!(
            f64_at(&df, "清理前标牌数本期", 1),
            Some(a.signs_before as f64)
        );
        assert_eq!(
            f64_at(&df, "清理前标牌数上期", 1),
            Some(b.signs_before as f64)
        );
        assert_eq!(f64_at(&df, "清理前标牌数变动", 1), Some(1.0));
        assert_eq!(
            f64_at(&df, "累计摘除数变动", 1),
            Some((a.removed - b.removed) as f64)
        );
        // 203 only last period, 204 only this period; names and townships
        // filled from whichever period has them.
        assert_eq!(f64_at(&df, "清理前标牌数本期", 2), None);
        assert_eq!(
            f64_at(&df, "清理前标牌数上期", 2),
            Some(m.before[2].signs_before as f64)
        );
        assert_eq!(f64_at(&df, "清理前标牌数变动", 2), None);
        assert_eq!(str_at(&df, VILLAGE_NAME, 2), Some(m.before[2].name.clone()));
        assert_eq!(str_at(&df, TOWNSHIP_CODE, 2).as_deref(), Some(A));
        assert_eq!(str_at(&df, TOWNSHIP, 2).as_deref(), Some("白砂镇"));
        assert_eq!(f64_at(&df, "清理前标牌数上期", 3), None);
        assert_eq!(str_at(&df, VILLAGE_NAME, 3).as_deref(), Some("新安村"));
        assert_eq!(
            f64_at(&df, "两委干部人数本期", 3),
            Some(m.after[2].cadres as f64)
        );
    }

    #[test]
    fn counties_get_subtotals_not_counted_in_the_total() {
        let j = june();
        let mut batch = j.batch;
        // Make B a township of a second county of a city (code 9901).
        batch.townships[1].county_code = Some("990102".into());
        batch.townships[1].county_name = Some("样板区".into());
        batch.townships[2].county_code = None;
        batch.townships[2].county_name = None;
        let s = summary_by_county(&batch).unwrap();
        let names: Vec<String> = s.get_column_names().iter().map(|s| s.to_string()).collect();
        assert_eq!(&names[..2], ["县(市、区)代码", "县(市、区)"]);
        assert_eq!(&names[2..], summary_headers());
        type Line = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Line> = (0..s.height())
            .map(|i| {
                (
                    str_at(&s, COUNTY_CODE, i),
                    str_at(&s, TOWNSHIP_CODE, i),
                    str_at(&s, TOWNSHIP, i),
                    str_at(&s, STATUS, i),
                )
            })
            .collect();
        let o = |s: &str| Some(s.to_string());
        assert_eq!(
            rows,
            [
                (o("990101"), o(A), o("白砂镇"), o("已汇总")),
                (o("990101"), o(C), o("溪口乡"), o("未报送")),
                (o("990101"), None, o("示范县小计"), o("已汇总 1/2")),
                (o("990102"), o(B), o("樟黄镇"), o("退回")),
                (o("990102"), None, o("样板区小计"), o("已汇总 0/1")),
            ]
        );
        let before = total(&j.a.villages, |v| v.signs_before) + 2.0;
        assert_eq!(f64_at(&s, "清理前标牌数", 2), Some(before));
        assert_eq!(f64_at(&s, ERRORS, 4), Some(1.0));
        let t = total_row(&s, &batch).unwrap();
        assert_eq!(f64_at(&t, "清理前标牌数", 0), Some(before));
        assert_eq!(f64_at(&t, ERRORS, 0), Some(1.0));
        assert_eq!(f64_at(&t, WARNINGS, 0), Some(2.0));
        assert_eq!(str_at(&t, COUNTY_CODE, 0), None);
        assert_eq!(str_at(&t, STATUS, 0).as_deref(), Some("已汇总 1/3"));
    }
}
