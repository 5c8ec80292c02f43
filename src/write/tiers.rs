//! The tier workbook `星级经费分档_<县名>_<period>.xlsx` (`outputs.md` "Tier
//! workbook"): 说明, 分档明细 (one row per village), 乡镇小计, 星级分布
//! (with a chart), 预算 and 规则 (the policy in force).
//!
//! The figures come from `crate::rating`; this file only lays them out, the
//! way the county workbook does: styled, frozen header rows, an autofilter
//! on every table, widths that fit Chinese text, text always written as
//! text, money as whole yuan in `#,##0`, and the document date fixed to the
//! first day of the period so the same input gives the same bytes.

use crate::batch::Batch;
use crate::policy::Policy;
use crate::rating::{RowStatus, TierRow, Tiers, TownshipTally, TIER_HEADERS};
use crate::read::normalise::{decimal_to_f64, Period};
use crate::scores::CountyScores;
use crate::workspace::CountyConfig;
use crate::write::readme::FILE_HEADERS;
use crate::write::{atomic, style, template};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Chart, ChartType, Format, Workbook, Worksheet, XlsxError};
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// Sheet names.
pub(crate) const README_SHEET: &str = "说明";
pub(crate) const DETAIL_SHEET: &str = "分档明细";
pub(crate) const TOWNSHIP_SHEET: &str = "乡镇小计";
pub(crate) const DISTRIBUTION_SHEET: &str = "星级分布";
pub(crate) const BUDGET_SHEET: &str = "预算";
pub(crate) const RULES_SHEET: &str = "规则";

/// Headers of 乡镇小计.
pub(crate) const TOWNSHIP_HEADERS: [&str; 13] = [
    "乡镇(街道)代码",
    "乡镇(街道)",
    "村(社区)数",
    "5星",
    "4星",
    "3星",
    "2星",
    "1星",
    "0星(未定级)",
    "待评定",
    "不予评定",
    "档次经费(元)",
    "核拨经费(元)",
];

/// Headers of 星级分布.
pub(crate) const DISTRIBUTION_HEADERS: [&str; 4] =
    ["核定星级", "村(社区)数", "每村档次经费(元)", "核拨经费(元)"];

/// Headers of 预算 and 规则.
pub(crate) const BUDGET_HEADERS: [&str; 3] = ["项目", "数值", "说明"];
pub(crate) const RULES_HEADERS: [&str; 4] = ["类别", "项目", "值", "说明"];

/// Labels of the 预算 rows, in order.
pub(crate) const BUDGET_LABELS: [&str; 8] = [
    "预算(元)",
    "档次经费合计(元)",
    "是否超出预算",
    "压缩系数",
    "取整单位(元)",
    "核拨经费合计(元)",
    "结余(元)",
    "已评定村(社区)数",
];

/// What the tier workbook is made of.
pub(crate) struct TierWorkbookInput<'a> {
    pub county: &'a CountyConfig,
    pub period: Period,
    /// The period's batch: the input files for 说明.
    pub batch: &'a Batch,
    pub tiers: &'a Tiers,
    pub scores: &'a CountyScores,
    pub policy: &'a Policy,
    pub tool_version: &'a str,
    /// Lines for 说明 (e.g. that no roster was found).
    pub notes: &'a [String],
}

/// `星级经费分档_<县名>_<period>.xlsx`, safe as a file name.
pub(crate) fn file_name(county: &str, period: Period) -> String {
    crate::write::safe_file_name(&format!("星级经费分档_{county}_{period}.xlsx"))
}

/// Build the tier workbook in memory.
pub(crate) fn build(input: &TierWorkbookInput) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(super::ZIP_LEVEL);
    let title = format!("{}{}星级经费分档", input.county.name, input.period);
    wb.set_properties(&template::properties(Some(input.period), &title)?);
    write_readme(wb.add_worksheet().set_name(README_SHEET)?, input)?;
    // One row per village: the long sheet, written row by row, each row's
    // cells made from its village's rating as it is written.
    let ws = wb
        .add_worksheet_with_constant_memory()?
        .set_name(DETAIL_SHEET)?;
    let rows = &input.tiers.rows;
    write_rows(ws, 0, &detail_layout(), rows.len(), |i| {
        Cow::Owned(detail_row(&rows[i]))
    })?;
    let towns = township_table(input.tiers);
    write_table(wb.add_worksheet().set_name(TOWNSHIP_SHEET)?, 0, &towns)?;
    write_distribution(
        wb.add_worksheet().set_name(DISTRIBUTION_SHEET)?,
        input.tiers,
        input.policy,
    )?;
    let budget = budget_table(input.tiers);
    write_table(wb.add_worksheet().set_name(BUDGET_SHEET)?, 0, &budget)?;
    let rules = rules_table(input.policy);
    write_table(wb.add_worksheet().set_name(RULES_SHEET)?, 0, &rules)?;
    Ok(wb)
}

/// Build and save the tier workbook atomically in `dir`; returns its path.
pub(crate) fn write_file(input: &TierWorkbookInput, dir: &Path) -> anyhow::Result<PathBuf> {
    let path = dir.join(file_name(&input.county.name, input.period));
    let mut wb = build(input).map_err(|e| anyhow::anyhow!("无法生成星级经费分档表:{e}"))?;
    atomic::save(&mut wb, &path).map_err(|e| anyhow::anyhow!("无法写入 {}:{e}", path.display()))?;
    Ok(path)
}

// ---------------------------------------------------------------------------
// Tables

/// One cell; numbers carry their own format.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Blank,
    Text(String),
    /// A count or a star: `0`.
    Int(i128),
    /// Whole yuan: `#,##0`.
    Money(i128),
    /// A score: `0.0`.
    OneDecimal(Decimal),
    /// The scale factor: `0.000000`.
    Factor(Decimal),
    /// A policy number as written (weights, limits): General.
    Plain(Decimal),
}

const NUM_FACTOR: &str = "0.000000";

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Blank
        } else {
            Cell::Text(s)
        }
    }

    fn count(n: usize) -> Cell {
        Cell::Int(n as i128)
    }

    fn opt_dec(d: Option<Decimal>) -> Cell {
        d.map(Cell::OneDecimal).unwrap_or(Cell::Blank)
    }

    fn opt_star(s: Option<u8>) -> Cell {
        s.map(|s| Cell::Int(s as i128)).unwrap_or(Cell::Blank)
    }

    /// The text Excel shows, for the column width.
    fn shown(&self) -> String {
        match self {
            Cell::Blank => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Money(n) => money_text(*n),
            Cell::OneDecimal(d) => format!("{:.1}", d),
            Cell::Factor(d) => format!("{:.6}", d),
            Cell::Plain(d) => d.normalize().to_string(),
        }
    }
}

/// `1,100,000`.
pub(crate) fn money_text(n: i128) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// How a column is laid out.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ColKind {
    /// Width fits the values (8–50).
    Fit,
    /// Long text wrapped in a column this wide.
    Wrap(f64),
}

#[derive(Clone, Debug)]
struct Table {
    headers: Vec<String>,
    cols: Vec<ColKind>,
    rows: Vec<Vec<Cell>>,
    /// Rows at the end written bold and left out of the autofilter (合计).
    totals: usize,
    /// Columns frozen left of the data.
    freeze_cols: u16,
}

impl Table {
    fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            cols: vec![ColKind::Fit; headers.len()],
            rows: Vec::new(),
            totals: 0,
            freeze_cols: 0,
        }
    }

    fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }
}

fn cell_format(cell: &Cell, wrap: bool, bold: bool) -> Format {
    let f = match cell {
        Cell::Int(_) => style::integer(),
        Cell::Money(_) => style::money(),
        Cell::OneDecimal(_) => style::one_decimal(),
        Cell::Factor(_) => Format::new().set_num_format(NUM_FACTOR),
        Cell::Blank | Cell::Text(_) | Cell::Plain(_) => {
            if wrap {
                style::wrap()
            } else {
                Format::new()
            }
        }
    };
    if bold {
        f.set_bold()
    } else {
        f
    }
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    f: &Format,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Blank => {}
        Cell::Text(s) => style::write_text(ws, row, col, s, f)?,
        Cell::Int(n) | Cell::Money(n) => {
            ws.write_number_with_format(row, col, *n as f64, f)?;
        }
        Cell::OneDecimal(d) | Cell::Factor(d) | Cell::Plain(d) => {
            ws.write_number_with_format(row, col, decimal_to_f64(*d), f)?;
        }
    }
    Ok(())
}

/// Write a table with its header at `top`: header styled and frozen,
/// autofilter over the rows above the totals, widths that fit.
fn write_table(ws: &mut Worksheet, top: u32, table: &Table) -> Result<(), XlsxError> {
    write_rows(ws, top, table, table.rows.len(), |i| {
        Cow::Borrowed(&table.rows[i][..])
    })
}

/// [`write_table`] for `n` rows that `row` gives one at a time (each
/// twice: once for the widths, once to write), laid out as `table` says
/// (headers, columns, totals; its own rows are not written).
fn write_rows<'r>(
    ws: &mut Worksheet,
    top: u32,
    table: &Table,
    n: usize,
    row: impl Fn(usize) -> Cow<'r, [Cell]>,
) -> Result<(), XlsxError> {
    let ncols = table.headers.len();
    // The widths in one pass over the rows, one value's text at a time (not
    // a copy of each column).
    let fits: Vec<usize> = (0..ncols)
        .filter(|c| table.cols[*c] == ColKind::Fit)
        .collect();
    let mut fit = vec![style::fit_width([], 8.0, 50.0); ncols];
    if !fits.is_empty() {
        for i in 0..n {
            let cells = row(i);
            for c in &fits {
                let w = style::fit_width([cells[*c].shown().as_str()], 8.0, 50.0);
                fit[*c] = fit[*c].max(w);
            }
        }
    }
    let mut header_lines = 1;
    for (c, h) in table.headers.iter().enumerate() {
        let width = match table.cols[c] {
            ColKind::Wrap(w) => w,
            ColKind::Fit => fit[c].max(style::text_width(h).min(14.0) + 2.0),
        };
        ws.set_column_width(c as u16, width)?;
        header_lines = header_lines.max(style::wrapped_lines(h, width));
    }
    let h = style::header();
    for (c, text) in table.headers.iter().enumerate() {
        style::write_text(ws, top, c as u16, text, &h)?;
    }
    ws.set_row_height(top, 16.0 * header_lines as f64 + 6.0)?;

    let first_total = n - table.totals;
    for i in 0..n {
        let cells = row(i);
        let row = top + 1 + i as u32;
        let bold = i >= first_total;
        let lines = cells
            .iter()
            .zip(&table.cols)
            .map(|(cell, kind)| match (cell, kind) {
                (Cell::Text(s), ColKind::Wrap(w)) => style::wrapped_lines(s, *w),
                _ => 1,
            })
            .max()
            .unwrap_or(1);
        // The height goes before the cells (a constant-memory sheet writes
        // a row out as the next one starts).
        if lines > 1 {
            ws.set_row_height(row, 16.0 * lines.min(20) as f64 + 2.0)?;
        }
        for (c, cell) in cells.iter().enumerate() {
            let wrap = matches!(table.cols[c], ColKind::Wrap(_));
            write_cell(ws, row, c as u16, cell, &cell_format(cell, wrap, bold))?;
        }
    }
    ws.autofilter(top, 0, top + first_total as u32, (ncols - 1) as u16)?;
    ws.set_freeze_panes(top + 1, table.freeze_cols)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// 说明

fn write_readme(ws: &mut Worksheet, input: &TierWorkbookInput) -> Result<(), XlsxError> {
    let c = input.county;
    let p = input.period;
    let t = input.tiers;
    let title = format!("{}{}年{}月星级评定与经费分档 说明", c.name, p.year, p.month);

    let mut lines =
        crate::write::readme::audit_lines(c, "评定期间", p, input.tool_version, input.policy);
    lines.extend([
        ("区级评定文件", input.scores.file.clone()),
        ("区级评定文件 SHA-256", input.scores.sha256.clone()),
        ("预算(元)", money_text(t.budget.budget)),
        ("汇总情况", crate::aggregate::total_status(input.batch)),
        (
            "评定情况",
            format!(
                "村(社区) {} 个:已评定 {},待评定 {},不予评定 {};核拨经费 {} 元,结余 {} 元",
                t.total.villages,
                t.total.by_star.iter().sum::<usize>(),
                t.total.pending,
                t.total.not_rated,
                money_text(t.budget.paid),
                money_text(t.budget.left_over)
            ),
        ),
        (
            "评定办法",
            "综合得分 = 群众代表评议得分 × 权重 + 镇街考核得分 × 权重 + 区级评定得分 × 权重,四舍五入到一位小数;按门槛定测算星级,不超过申报星级,有降星规则所列问题的再降星(见“规则”表)。乡镇报表退回、无法读取或未报送的村不予评定;没有区级评定得分的村待评定;两者都不拨经费".into(),
        ),
    ]);
    let row = crate::write::readme::write_audit_block(ws, &title, &mut lines, input.notes)?;

    let mut table = Table::new(&FILE_HEADERS);
    for r in crate::write::readme::input_files(input.batch) {
        table.push(r.iter().map(|v| Cell::text(v.unwrap_or(""))).collect());
    }
    table.push(vec![
        Cell::text(&input.scores.file),
        Cell::text(&input.scores.sha256),
        Cell::Blank,
        Cell::Blank,
        Cell::text("已读取(区级评定)"),
    ]);
    write_table(ws, row, &table)?;
    // Column A holds both the labels and the file names; B the values and
    // the hashes. The long 评定办法 line is not counted.
    let labels = lines.iter().map(|(l, _)| *l);
    let files = table.rows.iter().filter_map(|r| match &r[0] {
        Cell::Text(s) => Some(s.as_str()),
        _ => None,
    });
    ws.set_column_width(0, style::fit_width(labels.chain(files), 12.0, 50.0))?;
    let values = lines
        .iter()
        .filter(|(l, _)| *l != "评定办法")
        .map(|(_, v)| v.as_str());
    let shas = table.rows.iter().filter_map(|r| match &r[1] {
        Cell::Text(s) => Some(s.as_str()),
        _ => None,
    });
    ws.set_column_width(1, style::fit_width(values.chain(shas), 20.0, 80.0))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// 分档明细

/// 星级评定明细's headers and columns (its rows come from [`detail_row`]).
fn detail_layout() -> Table {
    let mut table = Table::new(&TIER_HEADERS);
    table.cols[10] = ColKind::Wrap(30.0);
    table.cols[15] = ColKind::Wrap(60.0);
    table.freeze_cols = 4;
    table
}

/// One village's row of 星级评定明细.
fn detail_row(r: &TierRow) -> Vec<Cell> {
    vec![
        Cell::text(&*r.township_code),
        Cell::text(&*r.township_name),
        Cell::text(&r.village_code),
        Cell::text(&r.village_name),
        Cell::opt_dec(r.rep),
        Cell::opt_dec(r.town),
        Cell::opt_dec(r.county),
        Cell::opt_dec(r.composite),
        Cell::opt_star(r.measured),
        Cell::opt_star(r.applied),
        Cell::text(&r.reasons),
        Cell::opt_star(r.star),
        Cell::Money(r.tier as i128),
        Cell::Money(r.paid as i128),
        Cell::text(r.status.zh()),
        Cell::text(&r.note),
    ]
}

// ---------------------------------------------------------------------------
// 乡镇小计

fn tally_row(code: &str, name: &str, x: &TownshipTally) -> Vec<Cell> {
    let mut row = vec![Cell::text(code), Cell::text(name), Cell::count(x.villages)];
    row.extend((0..=5).rev().map(|s| Cell::count(x.by_star[s])));
    row.extend([
        Cell::count(x.pending),
        Cell::count(x.not_rated),
        Cell::Money(x.tier_total),
        Cell::Money(x.paid),
    ]);
    row
}

fn township_table(t: &Tiers) -> Table {
    let mut table = Table::new(&TOWNSHIP_HEADERS);
    table.freeze_cols = 2;
    for x in &t.townships {
        table.push(tally_row(&x.code, &x.name, x));
    }
    table.push(tally_row("", crate::aggregate::TOTAL_LABEL, &t.total));
    table.totals = 1;
    table
}

// ---------------------------------------------------------------------------
// 星级分布

/// `5星` … `1星`, `0星(未定级)`.
fn star_label(s: usize) -> String {
    if s == 0 {
        "0星(未定级)".into()
    } else {
        format!("{s}星")
    }
}

fn write_distribution(ws: &mut Worksheet, t: &Tiers, policy: &Policy) -> Result<(), XlsxError> {
    let mut table = Table::new(&DISTRIBUTION_HEADERS);
    let mut paid = [0i128; 6];
    let (mut pending_paid, mut not_rated_paid) = (0i128, 0i128);
    for r in &t.rows {
        match (r.status, r.star) {
            (RowStatus::Rated, Some(s)) => paid[s as usize] += r.paid as i128,
            (RowStatus::Pending, _) => pending_paid += r.paid as i128,
            _ => not_rated_paid += r.paid as i128,
        }
    }
    for s in (0..=5).rev() {
        table.push(vec![
            Cell::text(star_label(s)),
            Cell::count(t.total.by_star[s]),
            Cell::Money(policy.per_star[s] as i128),
            Cell::Money(paid[s]),
        ]);
    }
    table.push(vec![
        Cell::text(RowStatus::Pending.zh()),
        Cell::count(t.total.pending),
        Cell::Money(0),
        Cell::Money(pending_paid),
    ]);
    table.push(vec![
        Cell::text(RowStatus::NotRated.zh()),
        Cell::count(t.total.not_rated),
        Cell::Money(0),
        Cell::Money(not_rated_paid),
    ]);
    table.push(vec![
        Cell::text(crate::aggregate::TOTAL_LABEL),
        Cell::count(t.total.villages),
        Cell::Blank,
        Cell::Money(t.budget.paid),
    ]);
    table.totals = 1;
    write_table(ws, 0, &table)?;

    // A column chart of the rated villages per star (rows 2–7).
    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name("各星级村(社区)数");
    chart
        .add_series()
        .set_name(DISTRIBUTION_HEADERS[1])
        .set_categories((DISTRIBUTION_SHEET, 1, 0, 6, 0))
        .set_values((DISTRIBUTION_SHEET, 1, 1, 6, 1));
    chart.legend().set_hidden();
    chart.set_width(560).set_height(320);
    ws.insert_chart(table.rows.len() as u32 + 2, 0, &chart)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// 预算

fn budget_table(t: &Tiers) -> Table {
    let b = &t.budget;
    let rated = t.total.by_star.iter().sum::<usize>();
    let mut table = Table::new(&BUDGET_HEADERS);
    table.cols[2] = ColKind::Wrap(60.0);
    let explain_scale = if b.exceeded {
        format!(
            "预算 ÷ 档次经费合计(显示到6位小数)。档次经费合计超出预算,各村核拨经费 = 档次经费 × 预算 ÷ 档次经费合计,向下取整到 {} 元(按整数计算)",
            money_text(b.round_to as i128)
        )
    } else {
        "未超出预算:系数为 1,各村按档次经费全额核拨".to_string()
    };
    let rows: [(Cell, String); 8] = [
        (
            Cell::Money(b.budget),
            "county.toml 中的 budget:本次评定可用的全部经费,不结转".into(),
        ),
        (
            Cell::Money(b.tier_total),
            "已评定村(社区)按核定星级的档次经费之和".into(),
        ),
        (
            Cell::text(if b.exceeded { "是" } else { "否" }),
            "档次经费合计是否大于预算".into(),
        ),
        (Cell::Factor(b.scale_shown()), explain_scale),
        (
            Cell::Money(b.round_to as i128),
            "规则文件 funding.round_to:超出预算时核拨经费向下取整的单位".into(),
        ),
        (Cell::Money(b.paid), "各村核拨经费之和,不超过预算".into()),
        (Cell::Money(b.left_over), "预算 − 核拨经费合计".into()),
        (Cell::count(rated), "状态为“已评定”的村(社区)数".into()),
    ];
    for (label, (value, note)) in BUDGET_LABELS.iter().zip(rows) {
        table.push(vec![Cell::text(*label), value, Cell::text(note)]);
    }
    table
}

// ---------------------------------------------------------------------------
// 规则

fn rules_table(p: &Policy) -> Table {
    let mut table = Table::new(&RULES_HEADERS);
    table.cols[3] = ColKind::Wrap(50.0);
    let mut push = |kind: &str, item: String, value: Cell, note: &str| {
        table.push(vec![
            Cell::text(kind),
            Cell::text(item),
            value,
            Cell::text(note),
        ]);
    };
    push("规则文件", "来源".into(), Cell::text(&p.source), "");
    push("规则文件", "版本".into(), Cell::text(&p.version), "");
    push("规则文件", "SHA-256".into(), Cell::text(&p.sha256), "");
    let w = &p.weights;
    for (item, v) in [
        ("群众代表评议得分", w.representatives),
        ("镇街考核得分", w.township),
        ("区级评定得分", w.county),
    ] {
        push(
            "权重",
            item.into(),
            Cell::Plain(v.0),
            "综合得分中的权重(三者之和为 1)",
        );
    }
    for s in (1..=5).rev() {
        push(
            "星级门槛",
            format!("{s}星"),
            Cell::Plain(p.thresholds[s - 1]),
            "综合得分(四舍五入到一位小数)不低于此分为该星级",
        );
    }
    for s in (0..=5).rev() {
        push(
            "每星经费(元)",
            star_label(s),
            Cell::Money(p.per_star[s] as i128),
            "档次经费",
        );
    }
    push(
        "每星经费(元)",
        "取整单位".into(),
        Cell::Money(p.round_to as i128),
        "超出预算按比例压缩时,核拨经费向下取整到此单位",
    );
    for (code, cap) in &p.caps {
        push(
            "降星规则",
            format!("{code} {}", code.title()),
            Cell::Int(*cap as i128),
            "报表中该村有此问题(已说明的也算)时,核定星级最高为此星级",
        );
    }
    let l = &p.limits;
    let limits: [(&str, Decimal, &str); 11] = [
        (
            "max_file_mb",
            l.max_file_mb.into(),
            "单个文件大小上限(MB)(S06)",
        ),
        ("max_rows", l.max_rows.into(), "单个工作表非空行数上限(S06)"),
        (
            "max_inflated_mb",
            l.max_inflated_mb.into(),
            "解压后大小上限(MB)(S06)",
        ),
        (
            "max_wall_rules",
            l.max_wall_rules.into(),
            "上墙制度数上限(P05)",
        ),
        (
            "max_room_signs",
            l.max_room_signs.into(),
            "功能室类标牌数上限(P06)",
        ),
        (
            "max_office_share",
            l.max_office_share.0,
            "办公面积占比上限(M02)",
        ),
        (
            "max_area_per_room",
            l.max_area_per_room.0,
            "平均每间面积上限,平方米(M04)",
        ),
        ("cadres_min", l.cadres_min.into(), "两委干部人数下限(D03)"),
        ("cadres_max", l.cadres_max.into(), "两委干部人数上限(D03)"),
        (
            "max_per_activity",
            l.max_per_activity.into(),
            "每场活动参与人次上限(D04)",
        ),
        ("max_swing", l.max_swing.0, "存量数据变动幅度上限(H05)"),
    ];
    for (key, v, note) in limits {
        push("限值", key.into(), Cell::Plain(v), note);
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::fixtures::*;
    use crate::rating::{tiers, TierInput};
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;
    use std::str::FromStr;

    fn county() -> CountyConfig {
        CountyConfig {
            name: "示范县".into(),
            code: "990101".into(),
            budget: 60_000,
        }
    }

    fn scores(j: &June) -> CountyScores {
        let mut s = CountyScores {
            file: "county_scores.xlsx".into(),
            sha256: "ab".repeat(32),
            sheet: "区级评定".into(),
            ..CountyScores::default()
        };
        for v in j.a.villages.iter().chain(&j.b.villages).take(2) {
            s.scores
                .insert(v.code.clone(), Decimal::from_str("95").unwrap());
        }
        s
    }

    fn bytes(j: &June, t: &Tiers, s: &CountyScores, policy: &Policy) -> Vec<u8> {
        let c = county();
        let notes = vec!["未找到名册".to_string()];
        let input = TierWorkbookInput {
            county: &c,
            period: JUNE,
            batch: &j.batch,
            tiers: t,
            scores: s,
            policy,
            tool_version: "0.1.0",
            notes: &notes,
        };
        build(&input).unwrap().save_to_buffer().unwrap()
    }

    fn show(d: &Data) -> String {
        match d {
            Data::Empty => String::new(),
            Data::String(s) => s.clone(),
            Data::Float(f) => format!("{f}"),
            other => format!("{other:?}"),
        }
    }

    fn sheet(wb: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
        let r = wb.worksheet_range(name).unwrap();
        r.rows().map(|row| row.iter().map(show).collect()).collect()
    }

    #[test]
    fn file_name_is_safe() {
        assert_eq!(
            file_name("示范县", JUNE),
            "星级经费分档_示范县_2024-06.xlsx"
        );
        assert_eq!(file_name("a/b", JUNE), "星级经费分档_a_b_2024-06.xlsx");
        assert_eq!(money_text(1_100_000), "1,100,000");
        assert_eq!(money_text(100), "100");
        assert_eq!(money_text(-1234), "-1,234");
    }

    #[test]
    fn tier_workbook_cells_and_bytes() {
        let j = june();
        let policy = Policy::default_rules();
        let s = scores(&j);
        let t = tiers(&TierInput {
            batch: &j.batch,
            previous: None,
            roster: None,
            scores: &s,
            policy: &policy,
            budget: county().budget,
        });
        let b = bytes(&j, &t, &s, &policy);
        assert_eq!(b, bytes(&j, &t, &s, &policy), "same input, same bytes");
        let mut wb = Xlsx::new(Cursor::new(b.clone())).unwrap();
        assert_eq!(
            wb.sheet_names(),
            ["说明", "分档明细", "乡镇小计", "星级分布", "预算", "规则"]
        );
        let d = sheet(&mut wb, DETAIL_SHEET);
        assert_eq!(d[0], TIER_HEADERS);
        assert_eq!(d.len(), 1 + t.rows.len());
        for (r, row) in d[1..].iter().zip(&t.rows) {
            assert_eq!(r[2], row.village_code);
            assert_eq!(r[13], row.paid.to_string());
            assert_eq!(r[14], row.status.zh());
            assert_eq!(r[15], row.note);
        }
        // Pending row: composite, measured and final star blank, money 0.
        let pending = d.iter().find(|r| r[14] == "待评定").unwrap();
        assert_eq!([&pending[7], &pending[8], &pending[11]], ["", "", ""]);
        assert_eq!([&pending[12], &pending[13]], ["0", "0"]);

        let towns = sheet(&mut wb, TOWNSHIP_SHEET);
        assert_eq!(towns[0], TOWNSHIP_HEADERS);
        assert_eq!(towns.last().unwrap()[1], "合计");
        assert_eq!(towns.len(), 1 + t.townships.len() + 1);

        let dist = sheet(&mut wb, DISTRIBUTION_SHEET);
        assert_eq!(dist[1][0], "5星");
        assert_eq!(dist[6][0], "0星(未定级)");
        assert_eq!(dist[9][1], t.total.villages.to_string());

        let budget = sheet(&mut wb, BUDGET_SHEET);
        let labels: Vec<&str> = budget[1..].iter().map(|r| r[0].as_str()).collect();
        assert_eq!(labels, BUDGET_LABELS);
        assert_eq!(budget[1][1], "60000");
        assert_eq!(budget[6][1], t.budget.paid.to_string());
        assert!(t.budget.paid <= 60_000);

        let rules = sheet(&mut wb, RULES_SHEET);
        assert!(rules
            .iter()
            .any(|r| r[0] == "降星规则" && r[1].starts_with("P03") && r[2] == "2"));
        assert!(rules.iter().any(|r| r[0] == "权重" && r[2] == "0.4"));
        assert!(rules
            .iter()
            .any(|r| r[1] == "5星" && r[0] == "每星经费(元)" && r[2] == "50000"));

        let readme = sheet(&mut wb, README_SHEET);
        let all: Vec<String> = readme.iter().map(|r| r.join("|")).collect();
        assert!(
            all.iter()
                .any(|l| l.starts_with("区级评定文件|county_scores.xlsx")),
            "{all:?}"
        );
        assert!(all.iter().any(|l| l.contains(&policy.sha256)));
        assert!(all.iter().any(|l| l.starts_with("备注|未找到名册")));
        let last = readme.last().unwrap();
        assert_eq!(last[0], "county_scores.xlsx");
        assert_eq!(last[4], "已读取(区级评定)");

        // Money cells are whole numbers in #,##0; headers frozen; filters on.
        let mut zip = zip::ZipArchive::new(Cursor::new(b)).unwrap();
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/styles.xml").unwrap(), &mut styles)
            .unwrap();
        assert!(styles.contains("#,##0"), "{styles}");
        for i in 1..=6 {
            let mut xml = String::new();
            std::io::Read::read_to_string(
                &mut zip.by_name(&format!("xl/worksheets/sheet{i}.xml")).unwrap(),
                &mut xml,
            )
            .unwrap();
            assert!(xml.contains("autoFilter"), "sheet {i}");
            assert!(xml.contains("state=\"frozen\""), "sheet {i}");
            assert!(!xml.contains("<f>"), "sheet {i}");
        }
    }
}
