//! The tier workbook `星级经费分档_<县名>_<period>.xlsx` (`outputs.md` "Tier
//! workbook"): 说明, 分档明细 (one row per village; the sheet it opens on),
//! 乡镇小计, 星级分布 (with a chart), 预算 and 规则 (the policy in force).
//!
//! The figures come from `crate::rating`; this file only lays them out on
//! the writer core, as the county workbook is laid out. When not every
//! expected township's return is used, the rating is provisional and every
//! page header, the first row of 分档明细 and 预算, and 结余 say so.

use crate::batch::Batch;
use crate::policy::Policy;
use crate::rating::{RowStatus, TierRow, Tiers, TownshipTally, TIER_HEADERS};
use crate::read::normalise::{decimal_to_f64, Period};
use crate::scores::CountyScores;
use crate::workspace::CountyConfig;
use crate::write::grid::{write_table, Cell, CellRef, ColFmt, Column, Grid, Looks, Table};
use crate::write::page::Page;
use crate::write::readme::{audit_lines, files_table, write_sheet};
use crate::write::set::OutputSet;
use crate::write::{columns, style, template, OutputKind};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Chart, ChartDataLabel, ChartType, Workbook, Worksheet, XlsxError};
use std::ops::Range;
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
    ["星级", "村(社区)数", "每村档次经费(元)", "核拨经费(元)"];

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

/// The 预算 row whose label says 结余.
const LEFT_OVER: &str = "结余(元)";

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

/// The workbook's title (document title and page header).
pub(crate) fn workbook_title(county: &str, p: Period) -> String {
    format!("{county}{}年{}月星级评定与经费分档", p.year, p.month)
}

/// `临时结果:已汇总 2/8 个乡镇,未评定的村不计入经费` when not every expected
/// township's return is used (`outputs.md` "provisional").
pub(crate) fn provisional(batch: &Batch) -> Option<String> {
    let expected = batch.townships.iter().filter(|t| t.expected);
    let (mut used, mut all) = (0, 0);
    for t in expected {
        all += 1;
        used += t.status.is_used() as usize;
    }
    (used < all).then(|| format!("临时结果:已汇总 {used}/{all} 个乡镇,未评定的村不计入经费"))
}

/// Build the tier workbook in memory.
pub(crate) fn build(input: &TierWorkbookInput) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_zip_compression_level(super::ZIP_LEVEL);
    let name = workbook_title(&input.county.name, input.period);
    wb.set_properties(&template::properties(
        Some(input.period),
        &name,
        Some(OutputKind::Tiers),
    )?);
    let provisional = provisional(input.batch);
    // Every page of a provisional split says so at its top.
    let title = match &provisional {
        Some(p) => format!("{name}({p})"),
        None => name,
    };
    let looks = Looks::new();
    looks.register(&mut wb)?;
    write_readme(
        wb.add_worksheet().set_name(README_SHEET)?,
        input,
        &looks,
        &title,
    )?;
    // One row per village: the long sheet, written row by row in
    // constant-memory mode.
    let ws = wb
        .add_worksheet_with_constant_memory()?
        .set_name(DETAIL_SHEET)?;
    let top = statement(ws, provisional.as_deref(), TIER_HEADERS.len())?;
    let grid = TierGrid::new(&input.tiers.rows);
    let n = grid.len();
    let width = write_table(ws, top, &grid, 0..n, &looks)?;
    page(ws, &title, width, top)?;
    ws.set_active(true);

    let towns = township_table(input.tiers);
    let ws = wb.add_worksheet().set_name(TOWNSHIP_SHEET)?;
    let width = write_table(ws, 0, &towns, 0..towns.rows.len(), &looks)?;
    page(ws, &title, width, 0)?;
    write_distribution(
        wb.add_worksheet().set_name(DISTRIBUTION_SHEET)?,
        input.tiers,
        input.policy,
        &looks,
        &title,
    )?;
    let budget = budget_table(input.tiers, provisional.is_some());
    let ws = wb.add_worksheet().set_name(BUDGET_SHEET)?;
    let top = statement(ws, provisional.as_deref(), BUDGET_HEADERS.len())?;
    let width = write_table(ws, top, &budget, 0..budget.rows.len(), &looks)?;
    page(ws, &title, width, top)?;
    let rules = rules_table(input.policy);
    let ws = wb.add_worksheet().set_name(RULES_SHEET)?;
    let width = write_table(ws, 0, &rules, 0..rules.rows.len(), &looks)?;
    page(ws, &title, width, 0)?;
    Ok(wb)
}

/// Print setup of a sheet whose table's header is at row `top`.
fn page(ws: &mut Worksheet, title: &str, width: f64, top: u32) -> Result<(), XlsxError> {
    Page {
        title,
        width,
        repeat: Some((0, top)),
        one_page: false,
    }
    .set_up(ws)
}

/// The provisional statement in the first row, across the table; the row
/// the table's header goes to.
fn statement(ws: &mut Worksheet, text: Option<&str>, cols: usize) -> Result<u32, XlsxError> {
    let Some(text) = text else { return Ok(0) };
    let f = style::title().set_font_color(style::ERROR_FONT);
    ws.merge_range(0, 0, 0, cols as u16 - 1, text, &f)?;
    ws.set_row_height(0, 24.0)?;
    Ok(1)
}

/// Build the tier workbook into `set` for `dir`; returns its path.
pub(crate) fn write_into(
    input: &TierWorkbookInput,
    dir: &Path,
    set: &OutputSet,
) -> anyhow::Result<PathBuf> {
    let path = dir.join(file_name(&input.county.name, input.period));
    let mut wb = build(input).map_err(|e| anyhow::anyhow!("无法生成星级经费分档表:{e}"))?;
    set.save(&mut wb, &path)?;
    Ok(path)
}

/// A money figure in a column of mixed values (预算, 规则).
fn money(n: i128) -> Cell {
    Cell::As(n as f64, ColFmt::Money)
}

/// A policy number as written, in a column of mixed values.
fn plain(d: Decimal) -> Cell {
    Cell::As(decimal_to_f64(d), ColFmt::Plain)
}

/// The scale factor, six places, in a column of mixed values.
fn factor(d: Decimal) -> Cell {
    Cell::As(decimal_to_f64(d), ColFmt::Factor)
}

/// A count in a column of mixed values.
fn int(n: usize) -> Cell {
    Cell::As(n as f64, ColFmt::Integer)
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

// ---------------------------------------------------------------------------
// 说明

fn write_readme(
    ws: &mut Worksheet,
    input: &TierWorkbookInput,
    looks: &Looks,
    title: &str,
) -> Result<(), XlsxError> {
    let (c, p, t) = (input.county, input.period, input.tiers);
    let heading = format!("{}{}年{}月星级评定与经费分档 说明", c.name, p.year, p.month);
    let mut lines = audit_lines(c, "评定期间", p, input.tool_version, input.policy);
    if let Some(p) = provisional(input.batch) {
        lines.push(("评定结果", p));
    }
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
        ("评定办法", METHOD.into()),
    ]);
    let mut files = files_table(input.batch);
    files.push(
        vec![
            Cell::text(&input.scores.file),
            Cell::text(&input.scores.sha256),
            Cell::Blank,
            Cell::Blank,
            Cell::text("已读取(区级评定)"),
        ],
        false,
    );
    write_sheet(
        ws,
        &heading,
        lines,
        input.notes,
        &files,
        &["评定办法"],
        looks,
        title,
    )
}

/// How a star and its money are reached, in one paragraph of 说明.
const METHOD: &str = "综合得分 = 群众代表评议得分 × 权重 + 镇街考核得分 × 权重 + 区级评定得分 × 权重,四舍五入到一位小数;按门槛定测算星级,不超过申报星级,有降星规则所列问题的再降星(见“规则”表)。乡镇报表退回、无法读取或未报送的村不予评定;没有区级评定得分的村待评定;两者都不拨经费";

// ---------------------------------------------------------------------------
// 分档明细

/// 分档明细's rows, column by column, straight from the ratings.
struct TierGrid<'a> {
    headers: Vec<String>,
    cols: Vec<ColFmt>,
    rows: &'a [TierRow],
}

impl<'a> TierGrid<'a> {
    fn new(rows: &'a [TierRow]) -> TierGrid<'a> {
        TierGrid {
            headers: TIER_HEADERS.iter().map(|h| h.to_string()).collect(),
            cols: columns::looks(&TIER_HEADERS),
            rows,
        }
    }
}

fn text(s: &str) -> CellRef<'_> {
    if s.is_empty() {
        CellRef::Blank
    } else {
        CellRef::Text(s)
    }
}

fn dec(d: Option<Decimal>) -> CellRef<'static> {
    d.map_or(CellRef::Blank, |d| CellRef::Num(decimal_to_f64(d)))
}

fn star(s: Option<u8>) -> CellRef<'static> {
    s.map_or(CellRef::Blank, |s| CellRef::Num(s as f64))
}

impl Grid for TierGrid<'_> {
    fn headers(&self) -> &[String] {
        &self.headers
    }
    fn cols(&self) -> &[ColFmt] {
        &self.cols
    }
    fn len(&self) -> usize {
        self.rows.len()
    }
    fn column(&self, c: usize, range: Range<usize>) -> Column<'_> {
        let rows = self.rows[range].iter();
        match c {
            0 => Box::new(rows.map(|r| text(&r.township_code))),
            1 => Box::new(rows.map(|r| text(&r.township_name))),
            2 => Box::new(rows.map(|r| text(&r.village_code))),
            3 => Box::new(rows.map(|r| text(&r.village_name))),
            4 => Box::new(rows.map(|r| dec(r.rep))),
            5 => Box::new(rows.map(|r| dec(r.town))),
            6 => Box::new(rows.map(|r| dec(r.county))),
            7 => Box::new(rows.map(|r| dec(r.composite))),
            8 => Box::new(rows.map(|r| star(r.measured))),
            9 => Box::new(rows.map(|r| star(r.applied))),
            10 => Box::new(rows.map(|r| text(&r.reasons))),
            11 => Box::new(rows.map(|r| star(r.star))),
            12 => Box::new(rows.map(|r| CellRef::Num(r.tier as f64))),
            13 => Box::new(rows.map(|r| CellRef::Num(r.paid as f64))),
            14 => Box::new(rows.map(|r| CellRef::Text(r.status.zh()))),
            _ => Box::new(rows.map(|r| text(&r.note))),
        }
    }
    fn freeze_cols(&self) -> u16 {
        4
    }
}

// ---------------------------------------------------------------------------
// 乡镇小计

fn tally_row(code: &str, name: &str, x: &TownshipTally) -> Vec<Cell> {
    let mut row = vec![Cell::text(code), Cell::text(name), Cell::count(x.villages)];
    row.extend((0..=5).rev().map(|s| Cell::count(x.by_star[s])));
    row.extend([
        Cell::count(x.pending),
        Cell::count(x.not_rated),
        Cell::Num(x.tier_total as f64),
        Cell::Num(x.paid as f64),
    ]);
    row
}

fn township_table(t: &Tiers) -> Table {
    let mut table = Table::new(&TOWNSHIP_HEADERS);
    table.freeze_cols = 2;
    for x in &t.townships {
        table.push(tally_row(&x.code, &x.name, x), false);
    }
    let n = table.rows.len();
    table.push(tally_row("", crate::aggregate::TOTAL_LABEL, &t.total), true);
    table.filter_rows = n;
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

fn write_distribution(
    ws: &mut Worksheet,
    t: &Tiers,
    policy: &Policy,
    looks: &Looks,
    title: &str,
) -> Result<(), XlsxError> {
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
        table.push(
            vec![
                Cell::text(star_label(s)),
                Cell::count(t.total.by_star[s]),
                Cell::Num(policy.per_star[s] as f64),
                Cell::Num(paid[s] as f64),
            ],
            false,
        );
    }
    for (status, villages, money) in [
        (RowStatus::Pending, t.total.pending, pending_paid),
        (RowStatus::NotRated, t.total.not_rated, not_rated_paid),
    ] {
        table.push(
            vec![
                Cell::text(status.zh()),
                Cell::count(villages),
                Cell::Num(0.0),
                Cell::Num(money as f64),
            ],
            false,
        );
    }
    let n = table.rows.len();
    table.push(
        vec![
            Cell::text(crate::aggregate::TOTAL_LABEL),
            Cell::count(t.total.villages),
            Cell::Blank,
            Cell::Num(t.budget.paid as f64),
        ],
        true,
    );
    table.filter_rows = n;
    let width = write_table(ws, 0, &table, 0..table.rows.len(), looks)?;

    // A column chart of the villages per star (rows 2–7), each bar with
    // its count, the axis from zero.
    let mut chart = Chart::new(ChartType::Column);
    chart.title().set_name("各星级村(社区)数");
    chart
        .add_series()
        .set_name(DISTRIBUTION_HEADERS[1])
        .set_categories((DISTRIBUTION_SHEET, 1, 0, 6, 0))
        .set_values((DISTRIBUTION_SHEET, 1, 1, 6, 1))
        .set_data_label(ChartDataLabel::new().show_value());
    chart.y_axis().set_min(0.0).set_num_format("0");
    chart.legend().set_hidden();
    chart.set_width(560).set_height(320);
    ws.insert_chart(table.rows.len() as u32 + 2, 0, &chart)?;
    page(ws, title, width, 0)
}

// ---------------------------------------------------------------------------
// 预算

fn budget_table(t: &Tiers, provisional: bool) -> Table {
    let b = &t.budget;
    let rated = t.total.by_star.iter().sum::<usize>();
    let mut table = Table::new(&BUDGET_HEADERS);
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
            money(b.budget),
            "county.toml 中的 budget:本次评定可用的全部经费,不结转".into(),
        ),
        (
            money(b.tier_total),
            "已评定村(社区)按核定星级的档次经费之和".into(),
        ),
        (
            Cell::text(if b.exceeded { "是" } else { "否" }),
            "档次经费合计是否大于预算".into(),
        ),
        (factor(b.scale_shown()), explain_scale),
        (
            money(b.round_to as i128),
            "规则文件 funding.round_to:超出预算时核拨经费向下取整的单位".into(),
        ),
        (money(b.paid), "各村核拨经费之和,不超过预算".into()),
        (money(b.left_over), "预算 − 核拨经费合计".into()),
        (int(rated), "状态为“已评定”的村(社区)数".into()),
    ];
    for (label, (value, note)) in BUDGET_LABELS.iter().zip(rows) {
        // A partial split's left-over is not what will be left.
        let label = match *label {
            LEFT_OVER if provisional => "结余(元,临时结果)",
            l => l,
        };
        table.push(vec![Cell::text(label), value, Cell::text(note)], false);
    }
    table
}

// ---------------------------------------------------------------------------
// 规则

fn rules_table(p: &Policy) -> Table {
    let mut table = Table::new(&RULES_HEADERS);
    let mut push = |kind: &str, item: String, value: Cell, note: &str| {
        table.push(
            vec![Cell::text(kind), Cell::text(item), value, Cell::text(note)],
            false,
        );
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
            plain(v.0),
            "综合得分中的权重(三者之和为 1)",
        );
    }
    for s in (1..=5).rev() {
        push(
            "星级门槛",
            format!("{s}星"),
            plain(p.thresholds[s - 1]),
            "综合得分(四舍五入到一位小数)不低于此分为该星级",
        );
    }
    for s in (0..=5).rev() {
        push(
            "每星经费(元)",
            star_label(s),
            money(p.per_star[s] as i128),
            "档次经费",
        );
    }
    push(
        "每星经费(元)",
        "取整单位".into(),
        money(p.round_to as i128),
        "超出预算按比例压缩时,核拨经费向下取整到此单位",
    );
    for (code, cap) in &p.caps {
        push(
            "降星规则",
            format!("{code} {}", code.title()),
            int(*cap as usize),
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
        push("限值", key.into(), plain(v), note);
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
        // One of three townships is used: the split is provisional, and
        // 分档明细 and 预算 open with the statement.
        let statement = "临时结果:已汇总 1/3 个乡镇,未评定的村不计入经费";
        assert_eq!(provisional(&j.batch).as_deref(), Some(statement));
        let d = sheet(&mut wb, DETAIL_SHEET);
        assert_eq!(d[0][0], statement);
        assert_eq!(d[1], TIER_HEADERS);
        assert_eq!(d.len(), 2 + t.rows.len());
        for (r, row) in d[2..].iter().zip(&t.rows) {
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
        assert_eq!(budget[0][0], statement);
        let labels: Vec<&str> = budget[2..].iter().map(|r| r[0].as_str()).collect();
        let mut want = BUDGET_LABELS;
        want[6] = "结余(元,临时结果)";
        assert_eq!(labels, want);
        assert_eq!(budget[2][1], "60000");
        assert_eq!(budget[7][1], t.budget.paid.to_string());
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
