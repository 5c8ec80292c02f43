//! Against the previous period (H01–H05): rebounding signs, cumulative
//! figures that fell, and stocks that jumped.

use super::signs::{identity, SignIdentity};
use super::Context;
use crate::finding::{Code, Finding};
use crate::model::{Return, Row, Table};
use crate::schema::{Col, SheetId};
use foldhash::HashSet;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Index of a sheet's rows by village code (first row wins).
fn by_code(t: &Table) -> BTreeMap<&str, &Row> {
    let mut m = BTreeMap::new();
    for r in &t.rows {
        if let Some(c) = t.code(r) {
            m.entry(c).or_insert(r);
        }
    }
    m
}

pub(crate) fn check(ret: &Return, ctx: &Context, out: &mut Vec<Finding>) {
    let Some(prev) = ctx.previous else { return };
    let policy = ctx.policy;
    let foreign = super::returns::foreign_codes(ret);

    // H01: signs hanging now that did not hang last period, without approval.
    if let (Some(now), Some(then), Some(then_signs)) = (
        ret.table(SheetId::SignDetail),
        prev.table(SheetId::SignDetail),
        prev.table(SheetId::Signs),
    ) {
        let had_row: HashSet<&str> = then_signs
            .rows
            .iter()
            .filter_map(|r| then_signs.code(r))
            .collect();
        let mut before: HashSet<(&str, SignIdentity)> = HashSet::default();
        for r in &then.rows {
            if let (Some(c), Some(n)) = (then.code(r), then.text(r, Col::SignName)) {
                before.insert((c, identity(policy, n)));
            }
        }
        for r in &now.rows {
            let (Some(c), Some(n)) = (now.code(r), now.text(r, Col::SignName)) else {
                continue;
            };
            if !had_row.contains(c) || !now.is_blank(r, Col::SignFiling) || foreign.contains(c) {
                continue;
            }
            if !before.contains(&(c, identity(policy, n))) {
                out.push(now.finding(
                    Finding::new(
                        Code::H01,
                        format!("“{n}”上期没有悬挂,本期新挂且没有备案文号:牌子反弹。请摘除,或补办准入备案并填写备案文号"),
                    ),
                    r,
                    Col::SignName,
                ));
            }
        }
    }

    let cumulative = [
        (SheetId::Signs, Col::SignsRemoved),
        (SheetId::Signs, Col::SignsFiled),
        (SheetId::Rooms, Col::RoomsMerged),
        (SheetId::Rooms, Col::RoomsNew),
    ];
    // Stocks: (sheet, column, upward only).
    let stocks = [
        (SheetId::Rooms, Col::RoomsTotal, false),
        (SheetId::Duty, Col::Cadres, false),
        (SheetId::Rooms, Col::AreaService, false),
        (SheetId::Signs, Col::SignsNow, true),
    ];
    let swing = policy.limits.max_swing.0;
    for sheet in [SheetId::Signs, SheetId::Rooms, SheetId::Duty] {
        let (Some(now), Some(then)) = (ret.table(sheet), prev.table(sheet)) else {
            continue;
        };
        let then_rows = by_code(then);
        for r in &now.rows {
            let Some(code) = now.code(r) else { continue };
            let Some(old) = then_rows.get(code) else {
                continue;
            };
            let pair = |col| Some((now.num(r, col)?, then.num(old, col)?));
            for (_, col) in cumulative.iter().filter(|(s, _)| *s == sheet) {
                if let Some((new, was)) = pair(*col) {
                    if new < was {
                        let header = now.spec.column(*col).expect("column").1.header;
                        out.push(now.finding(
                            Finding::new(
                                Code::H02,
                                format!("“{header}”是累计数,上期为 {was},本期 {new} 反而减少了。请核对,累计数只增不减"),
                            ),
                            r,
                            *col,
                        ));
                    }
                }
            }
            if sheet == SheetId::Signs {
                if let Some((new, was)) = pair(Col::SignsBefore) {
                    if new != was {
                        out.push(now.finding(
                            Finding::new(
                                Code::H03,
                                format!("清理前标牌数是基数,上期为 {was},本期改为 {new}。如确需更正请在“情况说明”中说明"),
                            ),
                            r,
                            Col::SignsBefore,
                        ));
                    }
                }
            }
            for (_, col, upward) in stocks.iter().filter(|(s, _, _)| *s == sheet) {
                let Some((new, was)) = pair(*col) else {
                    continue;
                };
                let change = new - was;
                if *upward && change <= Decimal::ZERO {
                    continue;
                }
                if change.abs() >= Decimal::from(3) && change.abs() > swing * was {
                    let header = now.spec.column(*col).expect("column").1.header;
                    out.push(now.finding(
                        Finding::new(
                            Code::H05,
                            format!(
                                "“{header}”上期为 {was},本期为 {new},变动超过 {}%。请核对,如属实请在“情况说明”中说明",
                                (swing * Decimal::from(100)).normalize()
                            ),
                        ),
                        r,
                        *col,
                    ));
                }
            }
        }
    }

    // H04: without a roster, villages that came or went.
    if ctx.roster.is_none() {
        let codes = |ret: &Return| -> BTreeSet<String> {
            ret.table(SheetId::Signs)
                .map(|t| {
                    t.rows
                        .iter()
                        .filter_map(|r| t.code(r).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default()
        };
        let (now_codes, then_codes) = (codes(ret), codes(prev));
        if let Some(t) = ret.table(SheetId::Signs) {
            for code in then_codes.difference(&now_codes) {
                out.push(
                    Finding::new(
                        Code::H04,
                        format!("村(社区)代码 {code} 上期有报,本期没有。请补报;如已撤并请在“情况说明”中说明"),
                    )
                    .on_sheet(&t.name, t.order())
                    .village(code.clone()),
                );
            }
            for r in &t.rows {
                let Some(code) = t.code(r) else { continue };
                if !then_codes.contains(code) && !foreign.contains(code) {
                    out.push(t.finding(
                        Finding::new(
                            Code::H04,
                            format!("村(社区)代码 {code} 上期没有报,本期新出现。请核对代码;如是新设村(社区)请在“情况说明”中说明"),
                        ),
                        r,
                        Col::VillageCode,
                    ));
                }
            }
        }
    }
}

/// P04 is not reported where H01 is (one mistake, one finding).
pub(crate) fn suppress(findings: &mut Vec<Finding>) {
    let h01: HashSet<(Option<std::sync::Arc<str>>, Option<String>)> = findings
        .iter()
        .filter(|f| f.code == Code::H01)
        .map(|f| (f.sheet.clone(), f.cell.clone()))
        .collect();
    findings.retain(|f| f.code != Code::P04 || !h01.contains(&(f.sheet.clone(), f.cell.clone())));
}
