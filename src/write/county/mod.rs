//! The county workbook `县级汇总_<县名>_<period>.xlsx` (`outputs.md`
//! "County workbook"): 说明, 汇总 (with its 合计 row and a chart of 摘牌率),
//! every used village row of the five data sheets, 环比 (with a previous
//! period), 报送情况 and 校验问题.
//!
//! The figures come from `crate::aggregate` (polars); this file only lays
//! them out. Every table has a styled, frozen header row, an autofilter and
//! column widths that fit Chinese text; text is always written as text
//! (never a formula) and cut to Excel's cell limit; the document date is the
//! first day of the period, so the same input gives the same bytes.

mod details;
mod findings;
pub(crate) mod history;
mod submissions;
mod summary;
#[cfg(test)]
mod tests;

use crate::aggregate;
use crate::batch::Batch;
use crate::finding::Finding;
use crate::policy::Policy;
use crate::read::normalise::Period;
use crate::schema::{self, SheetId};
use crate::workspace::CountyConfig;
use crate::write::grid::*;
use crate::write::readme::*;
use crate::write::set::OutputSet;
use crate::write::{template, OutputKind};
use anyhow::Context as _;
use details::RowsGrid;
use findings::findings_table;
use polars::prelude::DataFrame;
use rust_xlsxwriter::{Workbook, Worksheet, XlsxError};
use std::path::{Path, PathBuf};
use submissions::submissions_table;
pub(crate) use summary::summary_table;
use summary::write_summary;

/// Sheet names.
pub(crate) const README_SHEET: &str = "说明";
pub(crate) const SUMMARY_SHEET: &str = "汇总";
pub(crate) const MOM_SHEET: &str = "环比";
pub(crate) const SUBMISSIONS_SHEET: &str = "报送情况";
pub(crate) const FINDINGS_SHEET: &str = "校验问题";

/// The data sheets copied village by village, in template order.
pub(crate) const DETAIL_SHEETS: [SheetId; 5] = [
    SheetId::Signs,
    SheetId::SignDetail,
    SheetId::Rooms,
    SheetId::Duty,
    SheetId::Stars,
];

/// Headers of 报送情况.
pub(crate) const SUBMISSION_HEADERS: [&str; 10] = [
    "乡镇(街道)代码",
    "乡镇(街道)",
    "报送状态",
    "文件",
    "填报人",
    "联系电话",
    "填报日期",
    "错误数",
    "提示数",
    "已说明提示数",
];

/// Headers of 校验问题.
pub(crate) const FINDING_HEADERS: [&str; 10] = [
    "乡镇(街道)代码",
    "乡镇(街道)",
    "文件",
    "工作表",
    "单元格",
    "村(社区)代码",
    "规则编号",
    "级别",
    "说明",
    "原值",
];

/// What the county workbook is made of.
pub(crate) struct CountyInput<'a> {
    pub county: &'a CountyConfig,
    pub period: Period,
    pub batch: &'a Batch,
    /// The 环比 table ([`aggregate::month_over_month`]), when there is a
    /// previous period. The caller makes it before the writers start, so
    /// its query's working memory and the previous period's rows are gone
    /// before the long tables are made.
    pub month_over_month: Option<&'a DataFrame>,
    pub policy: &'a Policy,
    pub tool_version: &'a str,
    /// Lines for 说明, e.g. which roster rules were skipped.
    pub notes: &'a [String],
    /// Findings on files that are not returns (the county scores file: its
    /// V/X findings and T01), listed in 校验问题 with the batch's.
    pub extra_findings: &'a [Finding],
    /// 汇总 ([`summary_table`]), made once for the sheet and its summary file.
    pub summary: &'a Table,
    /// 进度: every month folder up to this period.
    pub history: &'a [history::Month],
}

/// The workbook's title (document title and page header), e.g.
/// `示范县2024年6月党群服务中心月报汇总`.
pub(crate) fn workbook_title(county: &str, p: Period) -> String {
    format!("{county}{}年{}月党群服务中心月报汇总", p.year, p.month)
}

/// `县级汇总_<县名>_<period>.xlsx`, safe as a file name.
pub(crate) fn file_name(county: &str, period: Period) -> String {
    crate::write::safe_file_name(&format!("县级汇总_{county}_{period}.xlsx"))
}

/// Build the county workbook in memory.
pub(crate) fn build(input: &CountyInput) -> anyhow::Result<Workbook> {
    build_with_limit(input, EXCEL_MAX_ROWS)
}

/// Build the county workbook into `set` for `dir`; returns its path.
pub(crate) fn write_into(
    input: &CountyInput,
    dir: &Path,
    set: &OutputSet,
) -> anyhow::Result<PathBuf> {
    let path = dir.join(file_name(&input.county.name, input.period));
    let mut wb = build(input)?;
    set.save(&mut wb, &path)?;
    Ok(path)
}

/// [`build`] with a row limit per sheet (tests use a small one).
pub(crate) fn build_with_limit(input: &CountyInput, max_rows: usize) -> anyhow::Result<Workbook> {
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(super::ZIP_LEVEL);
    let title = workbook_title(&input.county.name, input.period);
    let marker = Some(OutputKind::County);
    wb.set_properties(&template::properties(Some(input.period), &title, marker)?);

    let looks = Looks::new();
    write_readme(
        wb.add_worksheet().set_name(README_SHEET)?,
        input,
        &looks,
        &title,
    )?;
    // 汇总 has a row per township (a province's has thousands): written in
    // row order, in constant-memory mode like the long tables.
    write_summary(
        wb.add_worksheet_with_constant_memory()?
            .set_name(SUMMARY_SHEET)?,
        input.summary,
        &looks,
        &title,
    )?;

    // The long tables, each made and written on its own rayon task.
    let mut jobs: Vec<LongTable> = DETAIL_SHEETS
        .iter()
        .map(|id| LongTable::Data(*id))
        .collect();
    if input.month_over_month.is_some() {
        jobs.push(LongTable::MonthOverMonth);
    }
    jobs.extend([LongTable::Submissions, LongTable::Findings]);
    add_split_sheets(
        &mut wb,
        &jobs,
        |job| job.make(input),
        max_rows,
        &looks,
        &title,
    )?;
    history::write_progress(
        wb.add_worksheet().set_name(history::PROGRESS_SHEET)?,
        input.history,
        &looks,
        &title,
    )?;
    Ok(wb)
}

/// The tables that may run long, in sheet order after 说明 and 汇总.
pub(crate) enum LongTable {
    /// A data sheet, village by village.
    Data(SheetId),
    MonthOverMonth,
    Submissions,
    Findings,
}

impl LongTable {
    /// The table and the name of its (first) sheet.
    fn make<'a>(
        &self,
        input: &CountyInput<'a>,
    ) -> anyhow::Result<(&'static str, Box<SyncGrid<'a>>)> {
        Ok(match self {
            LongTable::Data(id) => {
                let rows = aggregate::VillageRows::of(input.batch, *id)
                    .with_context(|| format!("无法汇总“{}”", schema::sheet_name(*id)))?;
                (schema::sheet_name(*id), Box::new(RowsGrid::new(rows)))
            }
            LongTable::MonthOverMonth => {
                let df = input
                    .month_over_month
                    .context("没有上期数据,无法计算环比")?;
                (MOM_SHEET, Box::new(FrameGrid::new(df)?))
            }
            LongTable::Submissions => (SUBMISSIONS_SHEET, Box::new(submissions_table(input.batch))),
            LongTable::Findings => (
                FINDINGS_SHEET,
                Box::new(findings_table(input.batch, input.extra_findings)),
            ),
        })
    }
}

/// 说明: the audit lines, the notes and every input file.
pub(crate) fn write_readme(
    ws: &mut Worksheet,
    input: &CountyInput,
    looks: &Looks,
    title: &str,
) -> Result<(), XlsxError> {
    let (c, p) = (input.county, input.period);
    let heading = format!(
        "{}{}年{}月党群服务中心月报县级汇总 说明",
        c.name, p.year, p.month
    );
    let mut lines = audit_lines(c, "汇总期间", p, input.tool_version, input.policy);
    lines.push(("汇总情况", aggregate::total_status(input.batch)));
    // The earlier months' summaries that 进度 shows.
    let used = input.history.iter().filter_map(|m| m.source.as_ref());
    for (i, (file, sha)) in used.enumerate() {
        let label = if i == 0 { "进度所用汇总" } else { "" };
        lines.push((label, format!("{file}(SHA-256 {sha})")));
    }
    let files = files_table(input.batch);
    write_sheet(ws, &heading, lines, input.notes, &files, &[], looks, title)
}
