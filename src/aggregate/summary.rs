//! 汇总: one row per township with its figures, the 合计 row, and per-county
//! subtotals for a city or a province.

use super::columns::*;
use super::frames::*;
use crate::batch::{Batch, TownshipEntry};
use crate::finding::Code;
use crate::schema::{self, Col, SheetId};
use polars::prelude::*;
use std::collections::BTreeMap;

/// The 汇总 table: one row per township of `batch.townships`, in that
/// order, with the columns of [`SUMMARY_COLUMNS`]. Figures only for used
/// townships (null otherwise); 报送状态, 错误数 and 提示数 for all.
pub(crate) fn summary(batch: &Batch) -> PolarsResult<DataFrame> {
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
pub(crate) fn total_status(batch: &Batch) -> String {
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
pub(super) fn summary_aggs() -> Vec<Expr> {
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
pub(crate) fn total_row(summary: &DataFrame, batch: &Batch) -> PolarsResult<DataFrame> {
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
pub(super) fn county_of(t: &TownshipEntry, names: &BTreeMap<String, String>) -> (String, String) {
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
pub(crate) fn summary_by_county(batch: &Batch) -> PolarsResult<DataFrame> {
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
