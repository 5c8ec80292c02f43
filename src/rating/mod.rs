//! Star rating and funding tiers (`rules.md` "Star rating", "Funding
//! tiers"): pure functions over a decided batch, the county scores and the
//! policy, in exact decimal arithmetic; money in whole yuan, computed in
//! integers.
//!
//! - [`star`]: one village's star ([`star::composite`], [`star::measured_star`],
//!   [`rate`]);
//! - [`money`]: the money within the budget ([`allocate`]);
//! - [`rows`]: the tier sheet 分档明细 ([`tiers`]) — one row per village,
//!   expected or found — with its T01 findings, township tallies and budget
//!   summary.

mod money;
mod rows;
mod star;
#[cfg(test)]
mod tests;

pub(crate) use money::{allocate, Budget};
pub(crate) use rows::tiers;
pub(crate) use star::rate;

use crate::batch::Batch;
use crate::finding::Finding;
use crate::policy::Policy;
use crate::rules::Roster;
use crate::scores::CountyScores;
use rust_decimal::Decimal;
use std::sync::Arc;

/// Headers of 分档明细, in order.
pub(crate) const TIER_HEADERS: [&str; 16] = [
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
    pub(crate) fn zh(self) -> &'static str {
        match self {
            RowStatus::Rated => "已评定",
            RowStatus::Pending => "待评定",
            RowStatus::NotRated => "不予评定",
        }
    }
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
pub(crate) struct TierInput<'a> {
    pub batch: &'a Batch,
    /// The previous period: without a roster, its villages are expected.
    pub previous: Option<&'a Batch>,
    pub roster: Option<&'a Roster>,
    pub scores: &'a CountyScores,
    pub policy: &'a Policy,
    /// `budget` of county.toml.
    pub budget: i64,
}
