//! Village rows out of the decided batch, and the polars frames and
//! expressions the summaries are queried from.

use super::columns::*;
use crate::batch::{Batch, TownshipEntry};
use crate::model::{Field as CellField, Loaded, Row, Table, Val};
use crate::read::normalise::decimal_to_f64;
use crate::schema::{self, Col, SheetId, SheetSpec};
use polars::prelude::*;
use std::borrow::Cow;

pub(super) fn null_f64() -> Expr {
    lit(NULL).cast(DataType::Float64)
}

pub(super) fn null_str() -> Expr {
    lit(NULL).cast(DataType::String)
}

/// `num / den`, null when `den` is not positive (or null).
pub(super) fn ratio(num: Expr, den: Expr) -> Expr {
    when(den.clone().gt(lit(0.0)))
        .then(num / den)
        .otherwise(null_f64())
}

/// 摘牌率 and 服务面积占比 from the summed columns of the same frame.
pub(super) fn ratio_exprs() -> [Expr; 2] {
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
pub(super) fn num_of(field: Option<CellField<'_>>) -> Option<f64> {
    match field {
        Some(CellField::Ok(Val::Num(d))) => Some(decimal_to_f64(d)),
        _ => None,
    }
}

/// A text cell as polars holds it, borrowed where it can be.
pub(super) fn text_of(field: Option<CellField<'_>>) -> Option<Cow<'_, str>> {
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
pub(crate) struct VillageRows<'a> {
    pub spec: &'static SheetSpec,
    /// Each used return's table of the sheet, with its township.
    sources: Vec<(&'a TownshipEntry, &'a Table)>,
    /// (source, row in its table), in county order.
    order: Vec<(u32, u32)>,
}

impl<'a> VillageRows<'a> {
    pub(crate) fn of(batch: &'a Batch, sheet: SheetId) -> Option<VillageRows<'a>> {
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
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Row `k`'s township, table and row.
    pub(crate) fn get(&self, k: usize) -> (&'a TownshipEntry, &'a Table, &'a Row) {
        let (s, r) = self.order[k];
        let (t, table) = self.sources[s as usize];
        (t, table, &table.rows[r as usize])
    }

    /// Column headers: 乡镇(街道)代码, 乡镇(街道), then the sheet's.
    pub(crate) fn headers(&self) -> impl Iterator<Item = &'static str> {
        [TOWNSHIP_CODE, TOWNSHIP]
            .into_iter()
            .chain(self.spec.columns.iter().map(|c| c.header))
    }

    /// Schema column `i` of row `k` as a number, when it holds one (read
    /// without a finding).
    pub(crate) fn number(&self, k: usize, i: usize) -> Option<f64> {
        let (_, t, r) = self.get(k);
        num_of(t.field_at(r, i))
    }
    /// Schema column `i` of row `k` as the county workbook shows text: 是/否
    /// for a flag, a number as read (owned: the only text not borrowed).
    pub(crate) fn text(&self, k: usize, i: usize) -> Option<Cow<'a, str>> {
        let (_, t, r) = self.get(k);
        text_of(t.field_at(r, i))
    }
    /// Is schema column `i` numeric (then shown by [`Self::number`])?
    pub(crate) fn is_number(&self, i: usize) -> bool {
        is_number(self.spec.columns[i].kind)
    }
}

#[cfg(test)]
/// [`VillageRows`] as a frame: 乡镇(街道)代码, 乡镇(街道), then the sheet's
/// schema columns. Each column is filled straight from the sorted rows (no
/// copy of a row's text).
pub(crate) fn village_frame(batch: &Batch, sheet: SheetId) -> PolarsResult<DataFrame> {
    village_frame_of(batch, sheet, |_| true)
}

/// [`village_frame`] with only the schema columns `keep` names (the two
/// township columns always): the 汇总 and 环比 queries use a few columns of
/// wide sheets, and a province's frames are built for each of them.
pub(super) fn village_frame_of(
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
pub(super) fn text_column<'a>(name: &str, cells: impl Iterator<Item = Option<&'a str>>) -> Column {
    let ca: StringChunked = cells.collect();
    ca.with_name(name.into()).into_column()
}

/// The used file of each used township.
pub(super) fn used_files(batch: &Batch) -> impl Iterator<Item = (&TownshipEntry, &Loaded)> {
    batch.townships.iter().filter_map(|t| {
        if !t.status.is_used() {
            return None;
        }
        t.judged.map(|i| (t, &batch.files[i].loaded))
    })
}

/// Every finding of the used files: 乡镇(街道)代码, 村(社区)代码, 规则编号.
pub(super) fn findings_frame(batch: &Batch) -> PolarsResult<DataFrame> {
    let mut towns: Vec<Option<&str>> = Vec::new();
    let mut villages: Vec<Option<&str>> = Vec::new();
    let mut codes: Vec<Option<&str>> = Vec::new();
    for (t, loaded) in used_files(batch) {
        for f in &loaded.findings {
            towns.push(Some(&t.code));
            villages.push(f.village.as_deref());
            codes.push(Some(f.code.as_str()));
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
pub(super) fn township_frame(batch: &Batch) -> PolarsResult<DataFrame> {
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

pub(super) fn sum_of(sheet: SheetId, c: Col) -> Expr {
    let h = header_of(sheet, c);
    col(h).sum().cast(DataType::Float64).alias(h)
}

pub(super) fn yes(h: &str) -> Expr {
    col(h).eq(lit("是")).fill_null(lit(false))
}

pub(super) fn count_true(e: Expr, name: &str) -> Expr {
    e.cast(DataType::Float64).sum().alias(name)
}

pub(super) fn left_join(a: LazyFrame, b: LazyFrame, on: &str) -> LazyFrame {
    a.join(b, [col(on)], [col(on)], JoinArgs::new(JoinType::Left))
}
