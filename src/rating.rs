//! Star rating and funding tiers (`rules.md` "Star rating", "Funding
//! tiers"): pure functions over a decided batch, the county scores and the
//! policy, in exact decimal arithmetic; money in whole yuan, computed in
//! integers.
//!
//! - [`composite`], [`measured_star`], [`rate`]: one village's star;
//! - [`allocate`]: the money within the budget;
//! - [`tiers`]: the tier sheet 分档明细 — one row per village, expected or
//!   found — with its T01 findings, township tallies and budget summary.

use crate::batch::{Batch, Status, TownshipEntry};
use crate::finding::{Code, Finding};
use crate::model::{Return, Table};
use crate::policy::{Policy, Weights};
use crate::read::normalise::clean;
use crate::rules::Roster;
use crate::schema::{Col, SheetId};
use crate::scores::CountyScores;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Headers of 分档明细, in order.
pub const TIER_HEADERS: [&str; 16] = [
    "乡镇(街道)代码",
    "乡镇(街道)",
    "村(社区)代码",
    "村(社区)名称",
    "群众代表评议得分",
    "镇街考核得分",
    "区级评定得分",
    "综合得分",
    "测算星级",
    "申报星级",
    "降星原因",
    "核定星级",
    "档次经费(元)",
    "核拨经费(元)",
    "状态",
    "说明",
];

/// A row's outcome (状态).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowStatus {
    /// 已评定: a star (maybe 0, 未定级) and its money.
    Rated,
    /// 待评定: no county score yet.
    Pending,
    /// 不予评定: the township's return is not used, or the village has no
    /// usable 星级申报 row.
    NotRated,
}

impl RowStatus {
    pub fn zh(self) -> &'static str {
        match self {
            RowStatus::Rated => "已评定",
            RowStatus::Pending => "待评定",
            RowStatus::NotRated => "不予评定",
        }
    }
}

/// 综合得分: the weighted sum, exact, rounded to one decimal half away
/// from zero.
pub fn composite(w: &Weights, rep: Decimal, town: Decimal, county: Decimal) -> Decimal {
    let mut c = (w.representatives.0 * rep + w.township.0 * town + w.county.0 * county)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    // Always shown with its one decimal: 90.0, not 90.
    c.rescale(1);
    c
}

/// 测算星级: the highest star whose threshold ≤ the (rounded) composite;
/// 0 (未定级) below the lowest.
pub fn measured_star(thresholds: &[Decimal; 5], composite: Decimal) -> u8 {
    (1..=5u8)
        .rev()
        .find(|s| thresholds[*s as usize - 1] <= composite)
        .unwrap_or(0)
}

/// The words naming a cap's rule in 降星原因.
pub fn cap_label(code: Code) -> &'static str {
    match code {
        Code::P03 => "负面清单标牌",
        other => other.title(),
    }
}

/// One village's star, step by step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rating {
    /// 综合得分, rounded to one decimal.
    pub composite: Decimal,
    /// 测算星级.
    pub measured: u8,
    /// 申报星级.
    pub applied: u8,
    /// 核定星级.
    pub star: u8,
    /// The caps by findings that lowered the star, in the order applied
    /// (highest cap first): (rule, highest star allowed).
    pub caps: Vec<(Code, u8)>,
    /// 降星原因: each cap applied, e.g. `负面清单标牌(P03)→降至2星`.
    pub reasons: String,
    /// 说明: how the star was reached, e.g.
    /// `综合得分84.2→测算4星;申报5星;负面清单标牌(P03)→降至2星;核定2星`.
    pub note: String,
}

/// Rate one village: composite → measured star → at most the star applied
/// for → each cap of a finding code present (`found`) that is lower.
pub fn rate(
    policy: &Policy,
    rep: Decimal,
    town: Decimal,
    county: Decimal,
    applied: u8,
    found: &BTreeSet<Code>,
) -> Rating {
    let composite = composite(&policy.weights, rep, town, county);
    let measured = measured_star(&policy.thresholds, composite);
    let mut steps = vec![if measured == 0 {
        format!("综合得分{composite}→未达1星门槛,未定级(0星)")
    } else {
        format!("综合得分{composite}→测算{measured}星")
    }];
    let mut star = measured;
    if applied < star {
        star = applied;
        steps.push(format!("申报{applied}星→降至{applied}星"));
    } else {
        steps.push(format!("申报{applied}星"));
    }
    // Caps below the star so far, highest first, then by rule code.
    let mut caps: Vec<(Code, u8)> = policy
        .caps
        .iter()
        .filter(|(code, cap)| found.contains(code) && **cap < star)
        .map(|(c, s)| (*c, *s))
        .collect();
    caps.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut reasons = Vec::new();
    for (code, cap) in &caps {
        star = star.min(*cap);
        reasons.push(format!("{}({code})→降至{cap}星", cap_label(*code)));
    }
    steps.extend(reasons.iter().cloned());
    steps.push(format!("核定{star}星"));
    Rating {
        composite,
        measured,
        applied,
        star,
        caps,
        reasons: reasons.join(";"),
        note: steps.join(";"),
    }
}

/// The 预算 sheet's figures. Money in whole yuan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Budget {
    /// B: `budget` of county.toml.
    pub budget: i128,
    /// S: 档次经费 summed over rated villages.
    pub tier_total: i128,
    /// S > B: every 核拨经费 scaled down.
    pub exceeded: bool,
    /// B / S when exceeded, else 1 (shown rounded to 6 places).
    pub scale: Decimal,
    /// The unit money is rounded down to when scaled (`funding.round_to`).
    pub round_to: i64,
    /// 核拨经费 total: never more than B.
    pub paid: i128,
    /// B − paid.
    pub left_over: i128,
}

impl Budget {
    /// The scale factor as shown: six places.
    pub fn scale_shown(&self) -> Decimal {
        self.scale
            .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// 核拨经费 for each 档次经费: unchanged when their sum S ≤ budget B, else
/// floor(档次 × B / (S × round_to)) × round_to, in integers.
pub fn allocate(tiers: &[i64], budget: i64, round_to: i64) -> (Vec<i64>, Budget) {
    let b = budget.max(0) as i128;
    let r = round_to.max(1) as i128;
    let s: i128 = tiers.iter().map(|t| (*t).max(0) as i128).sum();
    let exceeded = s > b;
    let paid: Vec<i64> = if exceeded {
        tiers
            .iter()
            .map(|t| ((*t).max(0) as i128 * b / (s * r) * r) as i64)
            .collect()
    } else {
        tiers.iter().map(|t| (*t).max(0)).collect()
    };
    let total: i128 = paid.iter().map(|p| *p as i128).sum();
    let scale = if exceeded {
        match (
            Decimal::try_from_i128_with_scale(b, 0),
            Decimal::try_from_i128_with_scale(s, 0),
        ) {
            (Ok(bd), Ok(sd)) => bd.checked_div(sd).unwrap_or(Decimal::ONE),
            _ => Decimal::ONE,
        }
    } else {
        Decimal::ONE
    };
    (
        paid,
        Budget {
            budget: b,
            tier_total: s,
            exceeded,
            scale,
            round_to,
            paid: total,
            left_over: b - total,
        },
    )
}

/// One row of 分档明细.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierRow {
    /// Shared by the township's rows (a province has half a million rows
    /// and 38,000 townships).
    pub township_code: Arc<str>,
    pub township_name: Arc<str>,
    pub village_code: String,
    pub village_name: String,
    /// 群众代表评议得分, 镇街考核得分 (from the used return).
    pub rep: Option<Decimal>,
    pub town: Option<Decimal>,
    /// 区级评定得分.
    pub county: Option<Decimal>,
    /// 综合得分 (rated rows only).
    pub composite: Option<Decimal>,
    /// 测算星级 (rated rows only).
    pub measured: Option<u8>,
    /// 申报星级 (from the used return).
    pub applied: Option<u8>,
    /// 降星原因.
    pub reasons: String,
    /// 核定星级 (rated rows only).
    pub star: Option<u8>,
    /// 档次经费(元): 0 unless rated.
    pub tier: i64,
    /// 核拨经费(元): 0 unless rated.
    pub paid: i64,
    pub status: RowStatus,
    /// 说明.
    pub note: String,
}

/// 乡镇小计: one township's villages by outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TownshipTally {
    pub code: String,
    pub name: String,
    pub villages: usize,
    /// Rated villages by 核定星级 0..=5.
    pub by_star: [usize; 6],
    pub pending: usize,
    pub not_rated: usize,
    pub tier_total: i128,
    pub paid: i128,
}

impl TownshipTally {
    fn add(&mut self, row: &TierRow) {
        self.villages += 1;
        match (row.status, row.star) {
            (RowStatus::Rated, Some(s)) => self.by_star[s as usize] += 1,
            (RowStatus::Pending, _) => self.pending += 1,
            _ => self.not_rated += 1,
        }
        self.tier_total += row.tier as i128;
        self.paid += row.paid as i128;
    }
}

/// The tier sheet and everything derived from it.
#[derive(Clone, Debug)]
pub struct Tiers {
    /// By township code, then village code.
    pub rows: Vec<TierRow>,
    pub budget: Budget,
    /// T01: villages of used returns with no county score, sorted.
    pub findings: Vec<Finding>,
    /// Every township (of the batch, or with a row), by code.
    pub townships: Vec<TownshipTally>,
    /// The whole county (code and name blank).
    pub total: TownshipTally,
}

/// What the rating looks at.
pub struct TierInput<'a> {
    pub batch: &'a Batch,
    /// The previous period: without a roster, its villages are expected.
    pub previous: Option<&'a Batch>,
    pub roster: Option<&'a Roster>,
    pub scores: &'a CountyScores,
    pub policy: &'a Policy,
    /// `budget` of county.toml.
    pub budget: i64,
}

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
            "乡镇(街道)报表有错误,已退回,不予评定(改正后重新报送,或用 --include-errors 计入)".into()
        }
        Some((Status::Unreadable, _)) => "乡镇(街道)报表无法读取,不予评定".into(),
        Some((Status::Superseded, _)) => "乡镇(街道)报表已被替代,不予评定".into(),
        _ => "乡镇(街道)本期未报送,不予评定".into(),
    }
}

/// The tier sheet: every expected village (roster, else the previous
/// period's returns) and every village found in a return of this period,
/// rated, with money allocated within the budget.
pub fn tiers(input: &TierInput) -> Tiers {
    let batch = input.batch;
    let policy = input.policy;
    let scores = input.scores;
    let entries: BTreeMap<&str, &TownshipEntry> = batch
        .townships
        .iter()
        .map(|t| (t.code.as_str(), t))
        .collect();

    // Where each village belongs: the roster's township; else the return
    // that lists it (its own township's code first); else last period's.
    // Each township's code and name stored once, shared by its rows.
    let mut shared = Shared::default();
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
        let used = te.and_then(|t| batch.used_return(t));
        let county = scores.scores.get(&code).copied();
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
        let (Some(te), Some(ret)) = (te, used) else {
            row.note = not_used_reason(te);
            rows.push(row);
            continue;
        };
        let prefix = if te.status == Status::UsedWithErrors {
            "报表有错误,按 --include-errors 计入;"
        } else {
            ""
        };
        if listed_in
            .as_ref()
            .is_none_or(|(t, _)| *t != te.code.as_str())
        {
            listed_in = Some((te.code.as_str(), villages_of(ret)));
        }
        let code = &row.village_code;
        let in_return = listed_in
            .as_ref()
            .is_some_and(|(_, villages)| villages.contains_key(code));
        if in_return && county.is_none() && !scores.bad.contains(code) {
            findings.push(scores.missing(code, &row.village_name, &row.township_code));
        }
        let stars = ret.table(SheetId::Stars);
        let star_row = stars.and_then(|t| t.rows.iter().find(|r| t.code(r) == Some(code)));
        let (Some(t), Some(sr)) = (stars, star_row) else {
            row.note = format!("{prefix}星级申报中没有该村(社区)的行,不予评定");
            rows.push(row);
            continue;
        };
        row.rep = t.num(sr, Col::ScoreRepresentatives);
        row.town = t.num(sr, Col::ScoreTownship);
        row.applied = star_of(t, sr);
        let (Some(rep), Some(town), Some(applied)) = (row.rep, row.town, row.applied) else {
            row.note =
                format!("{prefix}星级申报中该村(社区)的申报星级或得分缺失、无法识别,不予评定");
            rows.push(row);
            continue;
        };
        let Some(county) = county else {
            row.status = RowStatus::Pending;
            row.note = if scores.bad.contains(code) {
                format!("{prefix}区级评定得分有误(见校验问题),待评定")
            } else if scores.blanks.contains_key(code) {
                format!("{prefix}区级评定得分为空(T01),待评定")
            } else {
                format!("{prefix}区级评定中没有该村(社区)(T01),待评定")
            };
            rows.push(row);
            continue;
        };
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
        let r = rate(policy, rep, town, county, applied, &found);
        row.composite = Some(r.composite);
        row.measured = Some(r.measured);
        row.star = Some(r.star);
        row.reasons = r.reasons;
        row.tier = policy.per_star[r.star as usize];
        row.note = format!("{prefix}{}", r.note);
        row.status = RowStatus::Rated;
        rows.push(row);
    }

    let tiers: Vec<i64> = rows.iter().map(|r| r.tier).collect();
    let (paid, budget) = allocate(&tiers, input.budget, policy.round_to);
    for (row, p) in rows.iter_mut().zip(paid) {
        row.paid = p;
        if budget.exceeded && row.tier > 0 {
            row.note.push_str(";预算不足,按比例核拨(见“预算”表)");
        }
    }
    crate::finding::sort(&mut findings);

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
    for row in &rows {
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
    Tiers {
        rows,
        budget,
        findings,
        townships: by_town.into_values().collect(),
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::fixtures::*;
    use crate::policy::DEFAULT_RULES;
    use crate::schema;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn codes(list: &[Code]) -> BTreeSet<Code> {
        list.iter().copied().collect()
    }

    /// One case: scores, applied star, findings → composite, measured,
    /// final star, 降星原因.
    struct Case {
        what: &'static str,
        rep: &'static str,
        town: &'static str,
        county: &'static str,
        applied: u8,
        found: &'static [Code],
        composite: &'static str,
        measured: u8,
        star: u8,
        reasons: &'static str,
    }

    #[allow(clippy::too_many_arguments)]
    const fn case(
        what: &'static str,
        scores: [&'static str; 3],
        applied: u8,
        found: &'static [Code],
        composite: &'static str,
        measured: u8,
        star: u8,
        reasons: &'static str,
    ) -> Case {
        Case {
            what,
            rep: scores[0],
            town: scores[1],
            county: scores[2],
            applied,
            found,
            composite,
            measured,
            star,
            reasons,
        }
    }

    /// Hand-computed with weights 0.3 / 0.3 / 0.4 and thresholds
    /// 90 / 80 / 70 / 60 / 50 (the shipped rules).
    const DEFAULT_CASES: &[Case] = &[
        // Each threshold exactly at, and just below, its boundary.
        case("5 at", ["90", "90", "90"], 5, &[], "90.0", 5, 5, ""),
        case(
            "5 below",
            ["89.9", "89.9", "89.9"],
            5,
            &[],
            "89.9",
            4,
            4,
            "",
        ),
        case("4 at", ["80", "80", "80"], 5, &[], "80.0", 4, 4, ""),
        case(
            "4 below",
            ["79.9", "79.9", "79.9"],
            5,
            &[],
            "79.9",
            3,
            3,
            "",
        ),
        case("3 at", ["70", "70", "70"], 5, &[], "70.0", 3, 3, ""),
        case(
            "3 below",
            ["69.9", "69.9", "69.9"],
            5,
            &[],
            "69.9",
            2,
            2,
            "",
        ),
        case("2 at", ["60", "60", "60"], 5, &[], "60.0", 2, 2, ""),
        case(
            "2 below",
            ["59.9", "59.9", "59.9"],
            5,
            &[],
            "59.9",
            1,
            1,
            "",
        ),
        case("1 at", ["50", "50", "50"], 5, &[], "50.0", 1, 1, ""),
        case(
            "1 below: 未定级",
            ["49.9", "49.9", "49.9"],
            5,
            &[],
            "49.9",
            0,
            0,
            "",
        ),
        case("all zero", ["0", "0", "0"], 3, &[], "0.0", 0, 0, ""),
        case(
            "all hundred",
            ["100", "100", "100"],
            5,
            &[],
            "100.0",
            5,
            5,
            "",
        ),
        // The one-decimal rounding decides the star.
        // 27 + 27.03 + 35.92 = 89.95 → 90.0
        case(
            "89.95 rounds up to 5",
            ["90", "90.1", "89.8"],
            5,
            &[],
            "90.0",
            5,
            5,
            "",
        ),
        // 26.97 + 26.97 + 36 = 89.94 → 89.9
        case(
            "89.94 stays 4",
            ["89.9", "89.9", "90"],
            5,
            &[],
            "89.9",
            4,
            4,
            "",
        ),
        // 23.94 + 23.97 + 32.04 = 79.95 → 80.0
        case(
            "79.95 rounds up to 4",
            ["79.8", "79.9", "80.1"],
            5,
            &[],
            "80.0",
            4,
            4,
            "",
        ),
        // 23.97 + 23.97 + 32 = 79.94 → 79.9
        case(
            "79.94 stays 3",
            ["79.9", "79.9", "80"],
            5,
            &[],
            "79.9",
            3,
            3,
            "",
        ),
        // 20.94 + 20.97 + 28.04 = 69.95 → 70.0
        case(
            "69.95 rounds up to 3",
            ["69.8", "69.9", "70.1"],
            5,
            &[],
            "70.0",
            3,
            3,
            "",
        ),
        // 25.29 + 25.32 + 33.64 = 84.25 → 84.3 (half away from zero, not to even)
        case(
            "84.25 half away from zero",
            ["84.3", "84.4", "84.1"],
            5,
            &[],
            "84.3",
            4,
            4,
            "",
        ),
        // 25.2 + 25.35 + 33.64 = 84.19 → 84.2
        case("84.19", ["84", "84.5", "84.1"], 5, &[], "84.2", 4, 4, ""),
        // Applied below the measured star.
        case(
            "applied 3 of measured 5",
            ["95", "95", "95"],
            3,
            &[],
            "95.0",
            5,
            3,
            "",
        ),
        case(
            "applied 1 of measured 4",
            ["85", "85", "85"],
            1,
            &[],
            "85.0",
            4,
            1,
            "",
        ),
        // Applied above the measured star changes nothing.
        case(
            "applied 5 of measured 2",
            ["65", "65", "65"],
            5,
            &[],
            "65.0",
            2,
            2,
            "",
        ),
        // Each default cap.
        case(
            "P03 caps at 2",
            ["95", "95", "95"],
            5,
            &[Code::P03],
            "95.0",
            5,
            2,
            "负面清单标牌(P03)→降至2星",
        ),
        case(
            "H01 caps at 3",
            ["95", "95", "95"],
            5,
            &[Code::H01],
            "95.0",
            5,
            3,
            "牌子反弹(H01)→降至3星",
        ),
        case(
            "M03 caps at 3",
            ["85", "85", "85"],
            4,
            &[Code::M03],
            "85.0",
            4,
            3,
            "干部未集中办公(M03)→降至3星",
        ),
        // A cap not below the star is not applied (nor named).
        case(
            "M03 above the star",
            ["75", "75", "75"],
            5,
            &[Code::M03],
            "75.0",
            3,
            3,
            "",
        ),
        case(
            "P03 below applied",
            ["95", "95", "95"],
            2,
            &[Code::P03],
            "95.0",
            5,
            2,
            "",
        ),
        // Two caps: both named, highest first; the lowest wins.
        case(
            "M03 and P03",
            ["95", "95", "95"],
            5,
            &[Code::P03, Code::M03],
            "95.0",
            5,
            2,
            "干部未集中办公(M03)→降至3星;负面清单标牌(P03)→降至2星",
        ),
        // A finding without a cap changes nothing.
        case(
            "D05 has no default cap",
            ["95", "95", "95"],
            5,
            &[Code::D05, Code::P04],
            "95.0",
            5,
            5,
            "",
        ),
    ];

    #[test]
    fn default_rules_table() {
        let p = Policy::default_rules();
        for c in DEFAULT_CASES {
            let r = rate(
                &p,
                d(c.rep),
                d(c.town),
                d(c.county),
                c.applied,
                &codes(c.found),
            );
            assert_eq!(r.composite.to_string(), c.composite, "{}", c.what);
            assert_eq!(r.measured, c.measured, "{}", c.what);
            assert_eq!(r.applied, c.applied, "{}", c.what);
            assert_eq!(r.star, c.star, "{}", c.what);
            assert_eq!(r.reasons, c.reasons, "{}", c.what);
            assert!(
                r.note.ends_with(&format!("核定{}星", c.star)),
                "{}: {}",
                c.what,
                r.note
            );
        }
    }

    #[test]
    fn notes_say_how_the_star_was_reached() {
        let p = Policy::default_rules();
        // 25.2 + 25.35 + 33.64 = 84.19 → 84.2
        let r = rate(&p, d("84"), d("84.5"), d("84.1"), 5, &codes(&[Code::P03]));
        assert_eq!(
            r.note,
            "综合得分84.2→测算4星;申报5星;负面清单标牌(P03)→降至2星;核定2星"
        );
        let r = rate(&p, d("95"), d("95"), d("95"), 3, &codes(&[]));
        assert_eq!(r.note, "综合得分95.0→测算5星;申报3星→降至3星;核定3星");
        let r = rate(&p, d("40"), d("40"), d("40"), 3, &codes(&[]));
        assert_eq!(
            r.note,
            "综合得分40.0→未达1星门槛,未定级(0星);申报3星;核定0星"
        );
    }

    #[test]
    fn money_within_the_budget_is_the_tier() {
        let (paid, b) = allocate(&[50_000, 30_000, 0, 20_000], 120_000, 100);
        assert_eq!(paid, [50_000, 30_000, 0, 20_000]);
        assert_eq!(
            b,
            Budget {
                budget: 120_000,
                tier_total: 100_000,
                exceeded: false,
                scale: Decimal::ONE,
                round_to: 100,
                paid: 100_000,
                left_over: 20_000,
            }
        );
        // Exactly the budget is not exceeded.
        let (paid, b) = allocate(&[50_000, 50_000], 100_000, 100);
        assert_eq!(paid, [50_000, 50_000]);
        assert!(!b.exceeded);
        assert_eq!(b.left_over, 0);
    }

    #[test]
    fn money_over_the_budget_is_scaled_down_in_whole_units() {
        // S = 105,000 > B = 100,000; each floor(t × B / (S × 100)) × 100:
        // 50,000 → 476.19 → 47,600; 30,000 → 285.71 → 28,500;
        // 20,000 → 190.47 → 19,000; 5,000 → 47.61 → 4,700.
        let (paid, b) = allocate(&[50_000, 30_000, 20_000, 5_000, 0], 100_000, 100);
        assert_eq!(paid, [47_600, 28_500, 19_000, 4_700, 0]);
        assert!(b.exceeded);
        assert_eq!(b.tier_total, 105_000);
        assert_eq!(b.paid, 99_800);
        assert_eq!(b.left_over, 200);
        assert_eq!(b.scale_shown().to_string(), "0.952381");
        // Rounding to 1 yuan: 50,000 × 100,000 / 105,000 = 47,619.04 → 47,619.
        let (paid, b) = allocate(&[50_000, 30_000, 20_000, 5_000], 100_000, 1);
        assert_eq!(paid, [47_619, 28_571, 19_047, 4_761]);
        assert_eq!(b.paid, 99_998);
        assert_eq!(b.left_over, 2);
        // A budget of 0 pays nothing.
        let (paid, b) = allocate(&[50_000], 0, 100);
        assert_eq!(paid, [0]);
        assert_eq!((b.paid, b.left_over), (0, 0));
    }

    #[test]
    fn total_paid_never_exceeds_the_budget() {
        let mut seed = 7u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % m
        };
        let per = [0i64, 5_000, 10_000, 20_000, 30_000, 50_000];
        for _ in 0..300 {
            let n = next(200) as usize + 1;
            let tiers: Vec<i64> = (0..n).map(|_| per[next(6) as usize]).collect();
            let budget = next(3_000_000) as i64;
            let round_to = [1, 10, 100, 1000][next(4) as usize];
            let (paid, b) = allocate(&tiers, budget, round_to);
            let total: i64 = paid.iter().sum();
            assert!(total as i128 <= b.budget, "{total} > {budget}");
            assert_eq!(total as i128, b.paid);
            assert_eq!(b.left_over, b.budget - b.paid);
            for (p, t) in paid.iter().zip(&tiers) {
                assert!(p <= t);
                if b.exceeded {
                    assert_eq!(p % round_to, 0);
                }
            }
        }
    }

    /// A rules file with nothing in common with the defaults.
    fn custom_rules() -> Policy {
        let text = DEFAULT_RULES
            .replacen(
                "weights    = { representatives = 0.3, township = 0.3, county = 0.4 }",
                "weights    = { representatives = 0.5, township = 0.2, county = 0.3 }",
                1,
            )
            .replacen(
                "thresholds = { \"5\" = 90, \"4\" = 80, \"3\" = 70, \"2\" = 60, \"1\" = 50 }",
                "thresholds = { \"5\" = 95, \"4\" = 85.5, \"3\" = 75, \"2\" = 65, \"1\" = 40 }",
                1,
            )
            .replacen(
                "caps       = { P03 = 2, H01 = 3, M03 = 3 }",
                "caps       = { D05 = 1 }",
                1,
            )
            .replacen(
                "per_star = { \"5\" = 50000, \"4\" = 30000, \"3\" = 20000, \"2\" = 10000, \"1\" = 5000, \"0\" = 0 }",
                "per_star = { \"5\" = 80000, \"4\" = 40000, \"3\" = 15000, \"2\" = 8000, \"1\" = 3000, \"0\" = 1000 }",
                1,
            )
            .replacen("round_to = 100", "round_to = 1000", 1);
        let p = Policy::parse(&text, "custom.toml").unwrap();
        assert_eq!(p.caps.len(), 1, "every replacement applied");
        assert_eq!(p.per_star[0], 1000);
        assert_eq!(p.round_to, 1000);
        assert_eq!(p.thresholds[3], d("85.5"));
        assert_eq!(p.weights.county.0, d("0.3"));
        p
    }

    #[test]
    fn a_custom_rules_file_is_followed_not_the_defaults() {
        let p = custom_rules();
        let cases: &[Case] = &[
            // 45 + 16 + 30 = 91.0: 4 stars here (5 under the defaults: 27 + 24 + 40).
            case("weights", ["90", "80", "100"], 5, &[], "91.0", 4, 4, ""),
            // 42.75 + 17.1 + 25.65 = 85.5: exactly the custom 4-star threshold.
            case(
                "4 at 85.5",
                ["85.5", "85.5", "85.5"],
                5,
                &[],
                "85.5",
                4,
                4,
                "",
            ),
            // 42.7 + 17.08 + 25.62 = 85.4 → 3.
            case(
                "4 below",
                ["85.4", "85.4", "85.4"],
                5,
                &[],
                "85.4",
                3,
                3,
                "",
            ),
            // 45 = 1 star here (0 under the defaults).
            case("1 at 40", ["45", "45", "45"], 5, &[], "45.0", 1, 1, ""),
            case(
                "0 below 40",
                ["39.9", "39.9", "39.9"],
                5,
                &[],
                "39.9",
                0,
                0,
                "",
            ),
            // 97 → 5 stars; the custom cap D05 → 1, P03 no longer caps.
            case(
                "D05 caps at 1",
                ["97", "97", "97"],
                5,
                &[Code::D05],
                "97.0",
                5,
                1,
                "未配备专管员(D05)→降至1星",
            ),
            case(
                "P03 not a cap here",
                ["97", "97", "97"],
                5,
                &[Code::P03, Code::H01, Code::M03],
                "97.0",
                5,
                5,
                "",
            ),
        ];
        for c in cases {
            let r = rate(
                &p,
                d(c.rep),
                d(c.town),
                d(c.county),
                c.applied,
                &codes(c.found),
            );
            assert_eq!(r.composite.to_string(), c.composite, "{}", c.what);
            assert_eq!((r.measured, r.star), (c.measured, c.star), "{}", c.what);
            assert_eq!(r.reasons, c.reasons, "{}", c.what);
        }
        // Money per star and round_to of the file: S = 80,000 + 40,000 +
        // 1,000 = 121,000 > B = 100,000; floor(t × B / (S × 1000)) × 1000:
        // 80,000 → 66.11 → 66,000; 40,000 → 33.05 → 33,000; 1,000 → 0.82 → 0.
        let tiers: Vec<i64> = [5usize, 4, 0].iter().map(|s| p.per_star[*s]).collect();
        assert_eq!(tiers, [80_000, 40_000, 1_000]);
        let (paid, b) = allocate(&tiers, 100_000, p.round_to);
        assert_eq!(paid, [66_000, 33_000, 0]);
        assert_eq!((b.paid, b.left_over), (99_000, 1_000));
    }

    fn no_scores() -> CountyScores {
        CountyScores {
            file: "county_scores.xlsx".into(),
            sheet: "区级评定".into(),
            ..CountyScores::default()
        }
    }

    fn row<'a>(t: &'a Tiers, code: &str) -> &'a TierRow {
        t.rows.iter().find(|r| r.village_code == code).unwrap()
    }

    #[test]
    fn the_tier_sheet_of_a_batch() {
        // A used (P03 on its first village), B 退回, C 未报送 (no villages
        // known: no roster, no previous period).
        let j = june();
        let p = Policy::default_rules();
        let a: Vec<&str> = j.a.villages.iter().map(|v| v.code.as_str()).collect();
        let b: Vec<&str> = j.b.villages.iter().map(|v| v.code.as_str()).collect();
        let mut scores = no_scores();
        scores.scores.insert(a[0].into(), d("99"));
        scores.scores.insert(a[1].into(), d("99"));
        scores.blanks.insert(a[2].into(), (3, 2));
        scores.scores.insert(b[0].into(), d("99"));
        let input = TierInput {
            batch: &j.batch,
            previous: None,
            roster: None,
            scores: &scores,
            policy: &p,
            budget: 1_000_000,
        };
        let t = tiers(&input);
        let got: Vec<(&str, &str, RowStatus)> = t
            .rows
            .iter()
            .map(|r| (&*r.township_code, r.village_code.as_str(), r.status))
            .collect();
        assert_eq!(
            got,
            [
                (A, a[0], RowStatus::Rated),
                (A, a[1], RowStatus::Rated),
                (A, a[2], RowStatus::Pending),
                (B, b[0], RowStatus::NotRated),
                (B, b[1], RowStatus::NotRated),
            ]
        );
        // Village 0 hangs a negative-list sign: capped at 2.
        let v0 = &j.a.villages[0];
        let r0 = row(&t, a[0]);
        let (rep, town) = (
            Decimal::new(v0.score_rep, 1),
            Decimal::new(v0.score_town, 1),
        );
        let want = rate(&p, rep, town, d("99"), v0.star as u8, &codes(&[Code::P03]));
        assert_eq!(
            (r0.rep, r0.town, r0.county),
            (Some(rep), Some(town), Some(d("99")))
        );
        assert_eq!(r0.composite, Some(want.composite));
        assert_eq!(r0.star, Some(want.star));
        assert!(want.star <= 2);
        assert_eq!(r0.tier, p.per_star[want.star as usize]);
        assert_eq!(r0.paid, r0.tier);
        assert_eq!(r0.note, want.note);
        // 待评定: blank money, no star, T01 at the blank cell.
        let r2 = row(&t, a[2]);
        assert_eq!((r2.composite, r2.measured, r2.star), (None, None, None));
        assert_eq!((r2.tier, r2.paid), (0, 0));
        assert_eq!(r2.applied, Some(j.a.villages[2].star as u8));
        assert!(r2.note.contains("待评定"), "{}", r2.note);
        assert_eq!(t.findings.len(), 1);
        assert_eq!(t.findings[0].code, Code::T01);
        assert_eq!(t.findings[0].location(), "区级评定!C4");
        assert_eq!(t.findings[0].township.as_deref(), Some(A));
        assert_eq!(t.findings[0].village.as_deref(), Some(a[2]));
        // 不予评定 takes precedence over 待评定 and over a county score.
        let rb = row(&t, b[0]);
        assert_eq!(rb.county, Some(d("99")));
        assert_eq!(
            (rb.composite, rb.star, rb.applied, rb.rep),
            (None, None, None, None)
        );
        assert_eq!((rb.tier, rb.paid), (0, 0));
        assert!(rb.note.contains("退回"), "{}", rb.note);
        // Tallies: C has a row with nothing in it.
        let towns: Vec<(&str, usize, usize, usize)> = t
            .townships
            .iter()
            .map(|x| (x.code.as_str(), x.villages, x.pending, x.not_rated))
            .collect();
        assert_eq!(towns, [(A, 3, 1, 0), (B, 2, 0, 2), (C, 0, 0, 0)]);
        assert_eq!(t.total.villages, 5);
        assert_eq!(t.total.by_star.iter().sum::<usize>(), 2);
        assert_eq!(
            t.budget.paid,
            t.rows.iter().map(|r| r.paid as i128).sum::<i128>()
        );
        assert!(!t.budget.exceeded);
    }

    #[test]
    fn include_errors_rates_the_rejected_township_and_a_roster_adds_its_villages() {
        let j = june();
        let mut batch = j.batch;
        for t in &mut batch.townships {
            if t.status == Status::Rejected {
                t.status = Status::UsedWithErrors;
            }
        }
        let p = Policy::default_rules();
        let b: Vec<&str> = j.b.villages.iter().map(|v| v.code.as_str()).collect();
        let mut scores = no_scores();
        scores.scores.insert(b[0].into(), d("99"));
        scores.scores.insert(b[1].into(), d("99"));
        let roster = Roster::new(
            j.b.villages
                .iter()
                .map(|v| (v.code.clone(), v.name.clone()))
                .chain([(format!("{C}201"), "新村".to_string())])
                .map(|(code, name)| crate::rules::RosterEntry {
                    township_code: code[..9].to_string(),
                    township_name: if code.starts_with(C) {
                        "溪口乡"
                    } else {
                        "樟黄镇"
                    }
                    .into(),
                    village_code: code,
                    village_name: name,
                }),
        );
        let input = TierInput {
            batch: &batch,
            previous: None,
            roster: Some(&roster),
            scores: &scores,
            policy: &p,
            budget: 0,
        };
        let t = tiers(&input);
        let rb = row(&t, b[0]);
        assert_eq!(rb.status, RowStatus::Rated);
        assert!(
            rb.note.starts_with("报表有错误,按 --include-errors 计入;"),
            "{}",
            rb.note
        );
        // Budget 0: rated, but nothing paid.
        assert_eq!(rb.paid, 0);
        assert!(t.budget.exceeded || rb.tier == 0);
        let rc = row(&t, &format!("{C}201"));
        assert_eq!(
            (rc.status, &*rc.township_name),
            (RowStatus::NotRated, "溪口乡")
        );
        assert!(rc.note.contains("未报送"), "{}", rc.note);
        // A's villages are not in the roster but were found in a return.
        assert!(t.rows.iter().any(|r| &*r.township_code == A));
        // Sorted by township code, then village code.
        let keys: Vec<(&str, &str)> = t
            .rows
            .iter()
            .map(|r| (&*r.township_code, r.village_code.as_str()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn without_a_roster_last_periods_villages_are_expected() {
        // May: 201, 202, 203; June: 201, 202, 204.
        let m = two_months();
        let p = Policy::default_rules();
        let mut scores = no_scores();
        for v in m.before.iter().chain(&m.after) {
            scores.scores.insert(v.code.clone(), d("90"));
        }
        let t = tiers(&TierInput {
            batch: &m.june,
            previous: Some(&m.may),
            roster: None,
            scores: &scores,
            policy: &p,
            budget: 1_000_000,
        });
        let got: Vec<(&str, RowStatus)> = t
            .rows
            .iter()
            .map(|r| (&r.village_code[9..], r.status))
            .collect();
        assert_eq!(
            got,
            [
                ("201", RowStatus::Rated),
                ("202", RowStatus::Rated),
                ("203", RowStatus::NotRated),
                ("204", RowStatus::Rated),
            ]
        );
        let r203 = &t.rows[2];
        assert_eq!(r203.village_name, m.before[2].name);
        assert!(r203.note.contains("星级申报中没有该村"), "{}", r203.note);
        assert!(t.findings.is_empty());
    }

    #[test]
    fn a_custom_cap_applies_to_a_batch() {
        // Village 2 of township A has no manager (D05); custom caps = {D05 = 1}.
        let a_t = township(A, "白砂镇", 3, JUNE, 11);
        let mut fill = crate::kit::demo::fill(&a_t);
        add_sign(&mut fill, 0, &a_t.villages[0].code, "樟黄村廉洁工作站");
        bump(
            &mut fill,
            SheetId::Duty,
            2,
            Col::Managers,
            -(a_t.villages[2].managers as f64),
        );
        let applied = schema::STARS.index_of(Col::StarApplied);
        for row in fill.rows.get_mut(&SheetId::Stars).unwrap() {
            row[applied] = crate::write::template::Value::Number(5.0);
        }
        let files = vec![load(FILE_A, &fill, JUNE, None)];
        assert!(files[0].findings.iter().any(|f| f.code == Code::D05));
        let batch = crate::batch::decide(JUNE, files, &expected(&[(A, "白砂镇")]), false);
        let p = custom_rules();
        let mut scores = no_scores();
        for v in &a_t.villages {
            scores.scores.insert(v.code.clone(), d("100"));
        }
        let t = tiers(&TierInput {
            batch: &batch,
            previous: None,
            roster: None,
            scores: &scores,
            policy: &p,
            budget: 10_000_000,
        });
        let (r0, r2) = (&t.rows[0], &t.rows[2]);
        // P03 is no cap under these rules.
        assert_eq!(r0.reasons, "");
        assert_eq!(r2.star, Some(1));
        assert_eq!(r2.reasons, "未配备专管员(D05)→降至1星");
        assert_eq!(r2.tier, 3_000);
        for r in &t.rows {
            let s = r.star.unwrap();
            assert_eq!(r.tier, p.per_star[s as usize]);
            assert_eq!(r.paid, r.tier);
        }
    }
}
