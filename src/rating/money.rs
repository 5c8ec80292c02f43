//! The money (`rules.md` "Funding tiers"): 核拨经费 within the budget, in
//! whole yuan computed in integers, and the 预算 sheet's figures.

use rust_decimal::{Decimal, RoundingStrategy};

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
    pub(crate) fn scale_shown(&self) -> Decimal {
        self.scale
            .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero)
    }
}

/// 核拨经费 for each 档次经费: unchanged when their sum S ≤ budget B, else
/// floor(档次 × B / (S × round_to)) × round_to, in integers.
pub(crate) fn allocate(tiers: &[i64], budget: i64, round_to: i64) -> (Vec<i64>, Budget) {
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
