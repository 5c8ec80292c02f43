//! Village identity within one return: V06 (code under the township), V07,
//! V08, and the between-sheet rules X01–X05.

use super::Context;
use crate::finding::{Code, Finding};
use crate::model::{Return, Row, Table};
use crate::read::normalise::clean;
use crate::schema::{self, Col, SheetId};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashSet};

/// Village codes of this return that fail V06 (not under the township).
pub(crate) fn foreign_codes(ret: &Return) -> HashSet<String> {
    let Some(town) = ret.cover.township_code.as_deref() else {
        return HashSet::new();
    };
    ret.tables
        .iter()
        .filter(|t| t.id() != SheetId::Explanations)
        .flat_map(|t| t.rows.iter().filter_map(|r| t.code(r)))
        .filter(|c| !c.starts_with(town))
        .map(str::to_string)
        .collect()
}

pub(crate) fn check(ret: &Return, ctx: &Context, out: &mut Vec<Finding>) {
    let foreign = foreign_codes(ret);
    let town = ret.cover.township_code.as_deref().unwrap_or("");
    let town_fails_c04 = ctx.office_code.is_some_and(|o| !town.starts_with(o))
        || ctx.roster.is_some_and(|r| !r.townships.contains_key(town));

    for t in ret
        .tables
        .iter()
        .filter(|t| t.id() != SheetId::Explanations)
    {
        let mut seen = HashSet::new();
        for row in &t.rows {
            let Some(code) = t.code(row) else { continue };
            if foreign.contains(code) {
                let elsewhere = match ctx.roster {
                    Some(r) => r
                        .get(code)
                        .map(|v| format!(",名册中它属于{}({})", v.township_name, v.township_code)),
                    None => ctx
                        .placements
                        .and_then(|p| p.get(code))
                        .map(|(tc, tn)| format!(",{tn}({tc})的报表中有此村")),
                }
                .unwrap_or_default();
                out.push(t.finding(
                    Finding::new(
                        Code::V06,
                        format!("村(社区)代码 {code} 不属于本乡镇(街道)代码 {town}{elsewhere}。请核对代码,别的乡镇的村不要填在本表"),
                    ),
                    row,
                    Col::VillageCode,
                ));
            }
            if t.spec.per_village && !seen.insert(code) {
                out.push(t.finding(
                    Finding::new(
                        Code::V07,
                        format!("村(社区)代码 {code} 在本表中出现了两次,请删除重复的行或改正代码"),
                    ),
                    row,
                    Col::VillageCode,
                ));
            }
        }
    }

    let village_tables: Vec<&Table> = schema::VILLAGE_SHEETS
        .iter()
        .filter_map(|s| ret.table(s.id))
        .collect();
    names(&village_tables, &foreign, ctx, out);
    presence(&village_tables, out);
    sign_rows(ret, out);
    for t in &ret.tables {
        totals(t, out);
    }
    if let Some(roster) = ctx.roster {
        if !town_fails_c04 {
            let present: BTreeSet<&str> = village_tables
                .iter()
                .flat_map(|t| t.rows.iter().filter_map(|r| t.code(r)))
                .collect();
            let anchor_sheet = ret
                .table(SheetId::Signs)
                .map(|t| (t.name.clone(), t.order()));
            for v in roster.villages_of(town) {
                if !present.contains(v.village_code.as_str()) {
                    let f = Finding::new(
                        Code::X04,
                        format!(
                            "名册中的{}({})没有填报。请在各表补上该村的行;如该村已撤并,请县里更新名册",
                            v.village_name, v.village_code
                        ),
                    )
                    .village(v.village_code.clone());
                    out.push(match &anchor_sheet {
                        Some((name, order)) => f.on_sheet(name, *order),
                        None => f,
                    });
                }
            }
            let mut reported = HashSet::new();
            for t in &village_tables {
                for row in &t.rows {
                    let Some(code) = t.code(row) else { continue };
                    if foreign.contains(code) || roster.contains(code) || !reported.insert(code) {
                        continue;
                    }
                    out.push(t.finding(
                        Finding::new(
                            Code::X05,
                            format!("村(社区)代码 {code} 不在名册中。请核对代码;如是新设村(社区),请县里更新名册"),
                        ),
                        row,
                        Col::VillageCode,
                    ));
                }
            }
        }
    }
}

/// V08: names that differ from the roster's, or between sheets.
fn names(tables: &[&Table], foreign: &HashSet<String>, ctx: &Context, out: &mut Vec<Finding>) {
    let mut first: BTreeMap<&str, (String, &str)> = BTreeMap::new();
    for t in tables {
        for row in &t.rows {
            let (Some(code), Some(name)) = (t.code(row), t.text(row, Col::VillageName)) else {
                continue;
            };
            if foreign.contains(code) {
                continue;
            }
            let name = clean(name);
            let expected = match ctx.roster.and_then(|r| r.get(code)) {
                Some(v) => Some((clean(&v.village_name), "名册")),
                None => match first.get(code) {
                    Some((n, sheet)) => Some((n.clone(), *sheet)),
                    None => {
                        first.insert(code, (name.clone(), t.spec.name));
                        None
                    }
                },
            };
            if let Some((want, source)) = expected {
                if want != name {
                    let source = if source == "名册" {
                        "名册".to_string()
                    } else {
                        format!("“{source}”表")
                    };
                    out.push(t.finding(
                        Finding::new(
                            Code::V08,
                            format!("村(社区)名称“{name}”与{source}中代码 {code} 的名称“{want}”不一致,请统一"),
                        ),
                        row,
                        Col::VillageName,
                    ));
                }
            }
        }
    }
}

/// X01: a village in some village sheets but not all.
fn presence(tables: &[&Table], out: &mut Vec<Finding>) {
    let sets: Vec<HashSet<&str>> = tables
        .iter()
        .map(|t| t.rows.iter().filter_map(|r| t.code(r)).collect())
        .collect();
    let mut done = HashSet::new();
    for t in tables {
        for row in &t.rows {
            let Some(code) = t.code(row) else { continue };
            if !done.insert(code) {
                continue;
            }
            // Also where a sheet has an unreadable code (V06) that may
            // stand for this village: the clerk learns which village the
            // broken code was (`rules.md`, V06).
            let all: Vec<&str> = tables
                .iter()
                .zip(&sets)
                .filter(|(_, s)| !s.contains(code))
                .map(|(t, _)| t.spec.name)
                .collect();
            if !all.is_empty() {
                out.push(t.finding(
                    Finding::new(
                        Code::X01,
                        format!(
                            "村(社区)代码 {code} 在“{}”中缺少,各表应包含同样的村(社区)。请补齐",
                            all.join("”“")
                        ),
                    ),
                    row,
                    Col::VillageCode,
                ));
            }
        }
    }
}

/// X02: 标牌明细 rows per village against 现有标牌数.
fn sign_rows(ret: &Return, out: &mut Vec<Finding>) {
    let (Some(signs), Some(detail)) = (ret.table(SheetId::Signs), ret.table(SheetId::SignDetail))
    else {
        return;
    };
    let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
    for row in &detail.rows {
        if let Some(code) = detail.code(row) {
            *counts.entry(code).or_default() += 1;
        }
    }
    for row in &signs.rows {
        let (Some(code), Some(now)) = (signs.code(row), signs.num(row, Col::SignsNow)) else {
            continue;
        };
        let listed = counts.get(code).copied().unwrap_or(0);
        if Decimal::from(listed) != now {
            out.push(signs.finding(
                Finding::new(
                    Code::X02,
                    format!(
                        "现有标牌数为 {now},但“标牌明细”中该村{}列了 {listed} 块。请核对:明细应每块牌子一行,行数等于现有标牌数",
                        if Decimal::from(listed) < now { "只" } else { "" }
                    ),
                ),
                row,
                Col::SignsNow,
            ));
        }
    }
}

/// X03: a 合计/总计 row against the sum of the village rows.
fn totals(t: &Table, out: &mut Vec<Finding>) {
    for total in &t.totals {
        for column in t.spec.columns {
            if !column.kind.summable() {
                continue;
            }
            let Some(given) = t.num(total, column.id) else {
                continue;
            };
            let values: Option<Vec<Decimal>> = t
                .rows
                .iter()
                .map(|r| sum_part(t, r, column.id, column.required))
                .collect();
            // A village cell that could not be read is reported already.
            let Some(values) = values else { continue };
            let sum: Decimal = values.iter().sum();
            if sum != given {
                out.push(t.finding(
                    Finding::new(
                        Code::X03,
                        format!(
                            "合计行的“{}”为 {given},但各村之和为 {}。请改正合计,或删除合计行(汇总时会自动计算)",
                            column.header,
                            sum.normalize()
                        ),
                    ),
                    total,
                    column.id,
                ));
            }
        }
    }
}

/// A village's value in a summed column: blank counts as 0 only for
/// optional columns; an unreadable cell makes the sum unknown.
fn sum_part(t: &Table, r: &Row, col: Col, required: bool) -> Option<Decimal> {
    match t.num(r, col) {
        Some(d) => Some(d),
        None if !required && t.is_blank(r, col) => Some(Decimal::ZERO),
        None => None,
    }
}
