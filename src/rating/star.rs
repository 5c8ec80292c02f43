//! One village's star (`rules.md` "Star rating"): the composite score in
//! exact decimals, the measured star, the cap by application and the caps
//! by findings, each step said in words.

use crate::finding::Code;
use crate::policy::{Policy, Weights};
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::BTreeSet;

/// 综合得分: the weighted sum, exact, rounded to one decimal half away
/// from zero.
pub(crate) fn composite(w: &Weights, rep: Decimal, town: Decimal, county: Decimal) -> Decimal {
    let mut c = (w.representatives.0 * rep + w.township.0 * town + w.county.0 * county)
        .round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    // Always shown with its one decimal: 90.0, not 90.
    c.rescale(1);
    c
}

/// 测算星级: the highest star whose threshold ≤ the (rounded) composite;
/// 0 (未定级) below the lowest.
pub(crate) fn measured_star(thresholds: &[Decimal; 5], composite: Decimal) -> u8 {
    (1..=5u8)
        .rev()
        .find(|s| thresholds[*s as usize - 1] <= composite)
        .unwrap_or(0)
}

/// The words naming a cap's rule in 降星原因.
pub(crate) fn cap_label(code: Code) -> &'static str {
    match code {
        Code::P03 => "负面清单标牌",
        other => other.title(),
    }
}

/// One village's star, step by step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rating {
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
pub(crate) fn rate(
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
        // Not lowered: a village gets at most the star it applied for.
        star = applied;
        steps.push(format!("申报{applied}星,以申报星级为限"));
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
