//! The county's figures as polars frames: every used village row
//! (`village_frame`), the 汇总 table per township (`summary`) with its 合计
//! row (`total_row`) and, for a city or province, per-county subtotals
//! (`summary_by_county`), and the 环比 comparison with last period
//! (`month_over_month`).
//!
//! Rows come out of the decided [`Batch`]: only the used return of each
//! township (`Batch::used_return`) contributes figures. Everything that sums,
//! counts or joins is a polars lazy query; the Rust side only turns typed
//! rows into columns. Numbers are `f64` (from the exact decimals read), a
//! yes/no cell is `是`/`否`, text is text; a blank, unreadable or absent cell
//! is null. Ratios stay unrounded: the writer shows them as `0.0%`.

mod columns;
mod frames;
mod mom;
mod summary;

#[cfg(test)]
pub(crate) mod fixtures;
#[cfg(test)]
mod tests;

pub(crate) use columns::*;
#[cfg(test)]
pub(crate) use frames::village_frame;
pub(crate) use frames::VillageRows;
pub(crate) use mom::month_over_month;
pub(crate) use summary::{summary, summary_by_county, total_row, total_status};
