//! huizong (汇总): reads township returns, checks them against the county's
//! rules and writes the county's workbooks. The pipeline, module by module:
//! files → `read::prescan` → `read` (calamine → typed rows via `schema`) →
//! `rules` (findings) → `write`.

pub mod aggregate;
pub mod batch;
pub mod cmd;
pub mod finding;
pub mod ingest;
#[cfg(any(test, feature = "kit"))]
pub mod kit;
pub mod memory;
pub mod model;
pub mod pipeline;
pub mod policy;
pub mod rating;
pub mod read;
pub mod rules;
pub mod schema;
pub mod scores;
pub mod serve;
pub mod timings;
pub mod workspace;
pub mod write;
