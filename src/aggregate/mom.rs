//! 环比: every used village's stock and cumulative figures this period and
//! last, their change, and the H findings that flag them.

use super::columns::*;
use super::frames::*;
use crate::batch::{Batch, TownshipEntry};
use crate::schema::{Col, SheetId};
use polars::prelude::*;
use std::borrow::Cow;

// ---------------------------------------------------------------------------
// 环比

/// A used village as 环比 shows it: its township, code and name, and its
/// [`MOM_FIGURES`].
pub(super) struct Stock<'a> {
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
pub(super) fn stocks(batch: &Batch) -> Vec<Stock<'_>> {
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
pub(super) const TOWN_KEY: &str = "_town";
pub(super) const CODE_KEY: &str = "_code";

/// A village code as 环比 joins and sorts it: its twelve digits as a
/// number (same order as the text; a province's half a million codes join
/// as integers, not strings).
pub(super) fn code_key(code: &str) -> Option<u64> {
    code.parse().ok()
}

/// Each township code of both periods → its place in code order (sorting by
/// it sorts by township code).
pub(super) fn township_ranks(batches: [&Batch; 2]) -> std::collections::HashMap<&str, u32> {
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
pub(super) fn stock_keys(
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
pub(super) fn mom_flags(batch: &Batch) -> PolarsResult<LazyFrame> {
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
pub(crate) fn month_over_month(cur: &Batch, prev: &Batch) -> PolarsResult<DataFrame> {
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
