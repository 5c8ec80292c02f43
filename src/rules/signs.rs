//! Signs (P01–P08): the clear-the-signs identity, the catalogue and the
//! negative list.

use super::Context;
use crate::finding::{Code, Finding};
use crate::model::Return;
use crate::policy::{Policy, SignMatch};
use crate::read::normalise::{clean, sign_key};
use crate::schema::{Col, SheetId};
use foldhash::HashSet;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The catalogue category whose signs P06 counts.
pub(crate) const ROOM_CATEGORY: &str = "功能室";

/// How a sign name is identified for duplicates and rebounds: its catalogue
/// (or negative-list) entry, else its normalised name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum SignIdentity {
    Entry(SignMatch),
    Name(String),
}

pub(crate) fn identity(policy: &Policy, name: &str) -> SignIdentity {
    identity_of(name, policy.match_sign(name))
}

/// [`identity`] when the name's match is known already.
fn identity_of(name: &str, m: Option<SignMatch>) -> SignIdentity {
    match m {
        Some(m) => SignIdentity::Entry(m),
        None => SignIdentity::Name(sign_key(name)),
    }
}

pub(crate) fn check(ret: &Return, ctx: &Context, out: &mut Vec<Finding>) {
    let policy = ctx.policy;
    let limits = &policy.limits;
    let mut room_signs: BTreeMap<&str, i64> = BTreeMap::new();

    if let Some(t) = ret.table(SheetId::SignDetail) {
        let mut seen: HashSet<(&str, SignIdentity)> = HashSet::default();
        for row in &t.rows {
            let (Some(code), Some(name)) = (t.code(row), t.text(row, Col::SignName)) else {
                continue;
            };
            let m = policy.match_sign(name);
            match m {
                Some(SignMatch::Negative(i)) => out.push(t.finding(
                    Finding::new(
                        Code::P03,
                        format!(
                            "“{name}”属于负面清单{},应当摘除。摘除后从明细中删去此行,并相应修改标牌清理表",
                            match policy.negative[i].name.as_str() {
                                entry if entry == name => String::new(),
                                entry => format!("(“{entry}”)"),
                            }
                        ),
                    ),
                    row,
                    Col::SignName,
                )),
                None if t.is_blank(row, Col::SignFiling) => out.push(t.finding(
                    Finding::new(
                        Code::P04,
                        format!("“{name}”不在挂牌指导目录中,也没有备案文号。请填写准入备案文号,或摘除此牌"),
                    ),
                    row,
                    Col::SignName,
                )),
                _ => {}
            }
            if let Some(SignMatch::Catalogue(i)) = m {
                let entry = &policy.signs[i];
                if entry.category == ROOM_CATEGORY {
                    *room_signs.entry(code).or_default() += 1;
                }
                if let Some(given) = t.text(row, Col::SignCategory) {
                    if clean(given) != entry.category {
                        out.push(t.finding(
                            Finding::new(
                                Code::P07,
                                format!(
                                    "类别填的是“{given}”,而目录中“{}”的类别是“{}”。请改为“{}”或留空",
                                    entry.name, entry.category, entry.category
                                ),
                            ),
                            row,
                            Col::SignCategory,
                        ));
                    }
                }
            }
            if !seen.insert((code, identity_of(name, m))) {
                out.push(t.finding(
                    Finding::new(
                        Code::P08,
                        format!("该村的“{name}”在明细中重复填报,同一块牌子只填一行。请删除重复行"),
                    ),
                    row,
                    Col::SignName,
                ));
            }
        }
    }

    let Some(t) = ret.table(SheetId::Signs) else {
        return;
    };
    for row in &t.rows {
        let n = |c| t.num(row, c);
        let (before, removed, filed, now, wall) = (
            n(Col::SignsBefore),
            n(Col::SignsRemoved),
            n(Col::SignsFiled),
            n(Col::SignsNow),
            n(Col::WallRules),
        );
        let mut p02 = false;
        if let (Some(b), Some(r), Some(f)) = (before, removed, filed) {
            if r > b + f {
                p02 = true;
                out.push(t.finding(
                    Finding::new(
                        Code::P02,
                        format!(
                            "累计摘除数 {r} 大于清理前标牌数 {b} 与累计新增备案数 {f} 之和,摘除的不可能比挂过的多。请核对"
                        ),
                    ),
                    row,
                    Col::SignsRemoved,
                ));
            }
            if let (Some(nw), Some(w), false) = (now, wall, p02) {
                if nw + w != b - r + f {
                    out.push(t.finding(
                        Finding::new(
                            Code::P01,
                            format!(
                                "现有标牌数 {nw} + 上墙制度数 {w} = {},应等于 清理前标牌数 {b} − 累计摘除数 {r} + 累计新增备案数 {f} = {}。请核对这五个数",
                                nw + w,
                                b - r + f
                            ),
                        ),
                        row,
                        Col::SignsNow,
                    ));
                }
            }
        }
        if let Some(w) = wall {
            if w > Decimal::from(limits.max_wall_rules) {
                out.push(t.finding(
                    Finding::new(
                        Code::P05,
                        format!(
                            "上墙制度 {w} 项,超过规定的 {} 项。请精简上墙制度,或在“情况说明”中说明",
                            limits.max_wall_rules
                        ),
                    ),
                    row,
                    Col::WallRules,
                ));
            }
        }
        if let Some(code) = t.code(row) {
            let rooms = room_signs.get(code).copied().unwrap_or(0);
            if rooms > limits.max_room_signs {
                out.push(t.finding(
                    Finding::new(
                        Code::P06,
                        format!(
                            "功能室类标牌有 {rooms} 块,超过 {} 块。请整合功能室、摘除多余的牌子",
                            limits.max_room_signs
                        ),
                    ),
                    row,
                    Col::SignsNow,
                ));
            }
        }
    }
}
