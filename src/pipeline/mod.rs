//! The one API of the tool's jobs, below every command and the reporting
//! service: [`plan()`] resolves a period's inputs, [`run()`] reads, checks,
//! rates and writes, and the [`Report`] says what happened; [`Checker`]
//! checks one return the same way. Commands never call each other; they
//! call this.

mod check;
mod feedback;
mod history;
mod plan;
mod report;
mod run;
mod template;

pub use check::{previous_return, Checker};
pub use feedback::{feedback_names, write_feedback, write_file_feedback};
pub(crate) use plan::list_returns;
pub use plan::{no_scores_note, plan, previous_folder, Inputs, Plan};
pub use report::{not_used_lines, summary_line, tier_summary_line, Report};
pub use run::{ingest, rate, run, Consolidation, Job, Progress, Quiet};
pub use template::Template;
