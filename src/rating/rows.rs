//! The tier sheet 分档明细, step by step: where every village belongs
//! ([`places`]), each village's row ([`village_row`]), the money within the
//! budget ([`pay`]) and the tallies per township ([`tally`]).

use super::{allocate, rate, Budget, RowStatus, TierInput, TierRow, Tiers, TownshipTally};
use crate::batch::{Batch, Status, TownshipEntry};
use crate::finding::{Code, Finding};
use crate::model::{Return, Table};
use crate::read::normalise::clean;
use crate::schema::{Col, SheetId};
use rust_decimal::prelude::ToPrimitive;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Where a village is listed: its township and name.
struct Place {
    township_code: Arc<str>,
    township_name: Arc<str>,
    name: String,
}

/// Texts met again and again (a township's code and name on each of its
/// villages' rows), stored once.
#[derive(Default)]
struct Shared(std::collections::HashMap<String, Arc<str>>);

impl Shared {
    fn of(&mut self, s: &str) -> Arc<str> {
        match self.0.get(s) {
            Some(a) => a.clone(),
            None => {
                let a: Arc<str> = s.into();
                self.0.insert(s.to_string(), a.clone());
                a
            }
        }
    }
}

/// Village codes (valid) and names of a return's village sheets, in
/// template order, first name seen.
fn villages_of(ret: &Return) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for t in ret.tables.iter().filter(|t| t.spec.per_village) {
        // 标牌明细 repeats a village on every sign, row after row: a row of
        // the village just seen, whose name is known, changes nothing.
        let mut last: Option<&str> = None;
        for r in &t.rows {
            let Some(code) = t.code(r) else { continue };
            if last == Some(code) {
                continue;
            }
            let name = || t.text(r, Col::VillageName).map(clean).unwrap_or_default();
            let e = match out.get_mut(code) {
                Some(e) => e,
                None => out.entry(code.to_string()).or_default(),
            };
            if e.is_empty() {
                *e = name();
            }
            last = (!e.is_empty()).then_some(code);
        }
    }
    out
}

/// 申报星级 of a 星级申报 row, when it was read (a whole star 1–5).
fn star_of(t: &Table, row: &crate::model::Row) -> Option<u8> {
    t.num(row, Col::StarApplied).and_then(|d| d.to_u8())
}

/// Why a township's villages are not rated.
fn not_used_reason(t: Option<&TownshipEntry>) -> String {
    match t.map(|t| (t.status, t.judged)) {
        Some((Status::Rejected, None)) => {
            "乡镇(街道)报送了多份数据不同的报表(Y03),已退回,不予评定".into()
        }
        Some((Status::Rejected, _)) => {
            "乡镇(街道)报表有错误,已退回,不予评定(改正后重新报送即可评定)".into()
        }
        Some((Status::Unreadable, _)) => "乡镇(街道)报表无法读取,不予评定".into(),
        Some((Status::Superseded, _)) => "乡镇(街道)报表已被替代,不予评定".into(),
        _ => "乡镇(街道)本期未报送,不予评定".into(),
    }
}

/// The tier sheet: every expected village (roster, else the previous
/// period's returns) and every village found in a return of this period,
/// rated, with money allocated within the budget.
pub(crate) fn tiers(input: &TierInput) -> Tiers {
    let mut shared = Shared::default();
    let ordered = places(input, &mut shared);
    let (mut rows, mut findings) = village_rows(input, ordered, &mut shared);
    let budget = pay(&mut rows, input);
    crate::finding::sort(&mut findings);
    let (townships, total) = tally(input.batch, &rows);
    Tiers {
        rows,
        budget,
        findings,
        townships,
        total,
    }
}

/// Where each village belongs: the roster's township; else the return that
/// lists it (its own township's code first); else last period's. Sorted by
/// township code, then village code. Each township's code and name stored
/// once, shared by its rows.
fn places(input: &TierInput, shared: &mut Shared) -> Vec<(String, Place)> {
    let batch = input.batch;
    let mut places: BTreeMap<String, Place> = BTreeMap::new();
    if let Some(r) = input.roster {
        for v in r.villages() {
            places.insert(
                v.village_code.clone(),
                Place {
                    township_code: shared.of(&v.township_code),
                    township_name: match r.townships.get(&v.township_code) {
                        Some(n) => shared.of(n),
                        None => shared.of(&clean(&v.township_name)),
                    },
                    name: clean(&v.village_name),
                },
            );
        }
    }
    let mut listed: Vec<(&TownshipEntry, BTreeMap<String, String>)> = Vec::new();
    for t in &batch.townships {
        for i in &t.files {
            let f = &batch.files[*i];
            if f.status == Status::Superseded {
                continue;
            }
            if let Some(ret) = &f.loaded.ret {
                listed.push((t, villages_of(ret)));
            }
        }
    }
    if input.roster.is_none() {
        if let Some(prev) = input.previous {
            for t in &prev.townships {
                let Some(ret) = t.judged.and_then(|i| prev.files[i].loaded.ret.as_ref()) else {
                    continue;
                };
                listed.push((t, villages_of(ret)));
            }
        }
    }
    for own in [true, false] {
        for (t, villages) in &listed {
            for (code, name) in villages {
                if code.starts_with(&t.code) != own {
                    continue;
                }
                let p = places.entry(code.clone()).or_insert_with(|| Place {
                    township_code: shared.of(&t.code),
                    township_name: shared.of(&t.name),
                    name: String::new(),
                });
                if p.name.is_empty() {
                    p.name = name.clone();
                }
            }
        }
    }
    drop(listed);
    // A province has hundreds of thousands of villages: their places are
    // moved into the rows, not copied.
    let mut ordered: Vec<(String, Place)> = places.into_iter().collect();
    ordered.sort_by(|a, b| {
        (&*a.1.township_code, a.0.as_str()).cmp(&(&*b.1.township_code, b.0.as_str()))
    });
    ordered
}

/// Every village's row, in the order of `ordered`, and the T01 findings of
/// villages of used returns with no county score.
fn village_rows(
    input: &TierInput,
    ordered: Vec<(String, Place)>,
    shared: &mut Shared,
) -> (Vec<TierRow>, Vec<Finding>) {
    let batch = input.batch;
    let entries: BTreeMap<&str, &TownshipEntry> = batch
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t))
        .collect();
    let mut rows = Vec::with_capacity(ordered.len());
    let mut findings = Vec::new();
    // The villages the used return of the township being rated lists: made
    // once per township (its villages are consecutive), not once per village.
    let mut listed_in: Option<(&str, BTreeMap<String, String>)> = None;
    for (code, place) in ordered {
        let te = entries.get(&*place.township_code).copied();
        let township_name = te
            .filter(|t| !t.name.is_empty())
            .map(|t| shared.of(&t.name))
            .unwrap_or(place.township_name);
        let county = input.scores.scores.get(&code).copied();
        let mut row = TierRow {
            township_code: place.township_code,
            township_name,
            village_code: code,
            village_name: place.name,
            rep: None,
            town: None,
            county,
            composite: None,
            measured: None,
            applied: None,
            reasons: String::new(),
            star: None,
            tier: 0,
            paid: 0,
            status: RowStatus::NotRated,
            note: String::new(),
        };
        match te.and_then(|t| Some((t, batch.used_return(t)?))) {
            None => row.note = not_used_reason(te),
            Some((te, ret)) => {
                if listed_in
                    .as_ref()
                    .is_none_or(|(t, _)| *t != te.code.as_str())
                {
                    listed_in = Some((te.code.as_str(), villages_of(ret)));
                }
                let listed = listed_in
                    .as_ref()
                    .is_some_and(|(_, villages)| villages.contains_key(&row.village_code));
                let scores = input.scores;
                let code = &row.village_code;
                if listed && row.county.is_none() && !scores.bad.contains(code) {
                    findings.push(scores.missing(code, &row.village_name, &row.township_code));
                }
                rate_used(input, te, ret, &mut row);
            }
        }
        rows.push(row);
    }
    (rows, findings)
}

/// Rate a village of a used return: 不予评定 without a usable 星级申报 row,
/// 待评定 without a county score, else its star and 档次经费.
fn rate_used(input: &TierInput, te: &TownshipEntry, ret: &Return, row: &mut TierRow) {
    let prefix = if te.status == Status::UsedWithErrors {
        "报表有错误,经县里决定仍计入;"
    } else {
        ""
    };
    let code = &row.village_code;
    let stars = ret.table(SheetId::Stars);
    let star_row = stars.and_then(|t| t.rows.iter().find(|r| t.code(r) == Some(code)));
    let (Some(t), Some(sr)) = (stars, star_row) else {
        row.note = format!("{prefix}星级申报中没有该村(社区)的行,不予评定");
        return;
    };
    row.rep = t.num(sr, Col::ScoreRepresentatives);
    row.town = t.num(sr, Col::ScoreTownship);
    row.applied = star_of(t, sr);
    let (Some(rep), Some(town), Some(applied)) = (row.rep, row.town, row.applied) else {
        row.note = format!("{prefix}星级申报中该村(社区)的申报星级或得分缺失、无法识别,不予评定");
        return;
    };
    let scores = input.scores;
    let Some(county) = row.county else {
        row.status = RowStatus::Pending;
        row.note = if scores.bad.contains(code) {
            format!("{prefix}区级评定得分有误(见校验问题),待评定")
        } else if scores.blanks.contains_key(code) {
            format!("{prefix}区级评定得分为空(T01),待评定")
        } else {
            format!("{prefix}区级评定中没有该村(社区)(T01),待评定")
        };
        return;
    };
    let batch = input.batch;
    let found: BTreeSet<Code> = te
        .judged
        .map(|i| {
            batch.files[i]
                .loaded
                .findings
                .iter()
                .filter(|f| f.village.as_deref() == Some(code.as_str()))
                .map(|f| f.code)
                .collect()
        })
        .unwrap_or_default();
    let r = rate(input.policy, rep, town, county, applied, &found);
    row.composite = Some(r.composite);
    row.measured = Some(r.measured);
    row.star = Some(r.star);
    row.reasons = r.reasons;
    row.tier = input.policy.per_star[r.star as usize];
    row.note = format!("{prefix}{}", r.note);
    row.status = RowStatus::Rated;
}

/// 核拨经费 of every row within the budget; the 预算 figures.
fn pay(rows: &mut [TierRow], input: &TierInput) -> Budget {
    let tiers: Vec<i64> = rows.iter().map(|r| r.tier).collect();
    let (paid, budget) = allocate(&tiers, input.budget, input.policy.round_to);
    for (row, p) in rows.iter_mut().zip(paid) {
        row.paid = p;
        if budget.exceeded && row.tier > 0 {
            row.note.push_str(";预算不足,按比例核拨(见“预算”表)");
        }
    }
    budget
}

/// 乡镇小计: every township of the batch (and any other with a row), by
/// code, and the whole county.
fn tally(batch: &Batch, rows: &[TierRow]) -> (Vec<TownshipTally>, TownshipTally) {
    let mut by_town: BTreeMap<String, TownshipTally> = batch
        .townships
        .iter()
        .map(|t| {
            (
                t.code.clone(),
                TownshipTally {
                    code: t.code.clone(),
                    name: t.name.clone(),
                    ..TownshipTally::default()
                },
            )
        })
        .collect();
    let mut total = TownshipTally::default();
    for row in rows {
        // Looked up by the shared code: a key is made only for a township
        // met for the first time (a province has half a million rows).
        let code = &*row.township_code;
        match by_town.get_mut(code) {
            Some(t) => t.add(row),
            None => {
                let mut t = TownshipTally {
                    code: code.to_string(),
                    name: row.township_name.to_string(),
                    ..TownshipTally::default()
                };
                t.add(row);
                by_town.insert(code.to_string(), t);
            }
        }
        total.add(row);
    }
    (by_town.into_values().collect(), total)
}
