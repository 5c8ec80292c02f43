//! The township return template (`huizong template`): every sheet of the
//! schema with validation, live self-checks and protection; optionally
//! pre-filled (cover and village rows) or fully filled (the sample generator).
//!
//! Everything about a column — header, kind, help, required — comes from
//! `crate::schema`; this file only decides the layout:
//!
//! - data sheets: a title on row 1, the header on row 2 (`序号` then the
//!   schema's columns in order), data from row 3;
//! - 基本信息: a title, a header, then the cover labels in column A, values
//!   in column B and help in column C.

use crate::finding::{Code, Level, RULES};
use crate::policy::Policy;
use crate::read::normalise::{Date, Period};
use crate::schema::{
    self, Col, Column, CoverField, Kind, SheetId, SheetSpec, COVER, DATA_SHEETS, ROW_NO_HEADER,
    TEMPLATE_VERSION,
};
use crate::write::page::Page;
use crate::write::{atomic, style};
use rust_xlsxwriter::{
    Color, ConditionalFormatFormula, DataValidation, DataValidationRule, DocProperties,
    ExcelDateTime, Format, Formula, ProtectionOptions, Workbook, Worksheet, XlsxError,
};
use std::collections::BTreeMap;
use std::path::Path;

mod guide;
use guide::{warning_codes, write_guide, GUIDE_WIDTHS};

/// A value to put in a cell of the template.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Empty,
    Text(String),
    Number(f64),
    /// Written as a real Excel date cell.
    Date(Date),
    /// A formula with a cached result (the sample generator uses these for
    /// 合计 rows and for errors such as `#DIV/0!`).
    Formula {
        formula: String,
        result: String,
    },
}

/// What to pre-fill: cover values and, per data sheet, rows whose values are
/// in the schema's column order (missing trailing values are empty).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fill {
    pub cover: BTreeMap<CoverField, Value>,
    pub rows: BTreeMap<SheetId, Vec<Vec<Value>>>,
    /// Extra rows below the village rows (e.g. a 合计 row), same layout.
    pub footer: BTreeMap<SheetId, Vec<Vec<Value>>>,
    /// Cells carried over from last month (sheet, row of `rows`, schema
    /// column): shaded light grey so the clerk sees what was carried.
    pub carried: std::collections::BTreeSet<(SheetId, usize, usize)>,
}

/// What the template is for: the period it is pre-filled for (also the
/// document date, so output is deterministic), the policy whose catalogue
/// gives the 类别 drop-down, and the pre-filled values.
pub struct TemplateInput<'a> {
    pub policy: &'a Policy,
    pub period: Option<Period>,
    pub fill: &'a Fill,
}

// ---------------------------------------------------------------------------
// Layout

/// Row (0-based) of a data sheet's title.
pub const TITLE_ROW: u32 = 0;
/// Row (0-based) of a data sheet's header.
pub const HEADER_ROW: u32 = 1;
/// First data row (0-based) of a data sheet.
pub const FIRST_DATA_ROW: u32 = 2;
/// Input rows (validation, unlocked) of a sheet with one row per village.
pub(crate) const VILLAGE_INPUT_ROWS: u32 = 200;
/// Input rows of 标牌明细.
pub(crate) const DETAIL_INPUT_ROWS: u32 = 3000;
/// Input rows of 情况说明.
pub(crate) const EXPLANATION_INPUT_ROWS: u32 = 200;
/// Spare input rows kept below pre-filled rows.
const SPARE_ROWS: u32 = 50;
/// First cover row (0-based) holding a label; the cover is in schema order.
pub(crate) const COVER_FIRST_ROW: u32 = 2;
/// Column of the cover's labels, values and help.
pub(crate) const COVER_LABEL_COL: u16 = 0;
pub(crate) const COVER_VALUE_COL: u16 = 1;
pub(crate) const COVER_HELP_COL: u16 = 2;
/// Hidden sheet holding drop-down lists longer than Excel's 255 characters.
pub(crate) const LISTS_SHEET: &str = "_lists";
/// Excel's limit for a drop-down list written into the validation itself.
const MAX_INLINE_LIST: usize = 255;
/// The canonical yes/no values of the drop-down (the reader accepts more).
const YES_NO: [&str; 2] = ["是", "否"];

/// Worksheet column of the schema column at `index` (序号 is column 0).
pub fn sheet_col(index: usize) -> u16 {
    (index + 1) as u16
}

/// Worksheet column of a schema column of `sheet`.
pub fn col_of(sheet: &SheetSpec, id: Col) -> u16 {
    sheet_col(sheet.index_of(id))
}

/// Last worksheet column of a data sheet.
pub fn last_col(sheet: &SheetSpec) -> u16 {
    sheet_col(sheet.columns.len() - 1)
}

/// Worksheet row of the cover field (its label in A, value in B).
pub(crate) fn cover_row(id: CoverField) -> u32 {
    let i = COVER
        .iter()
        .position(|c| c.id == id)
        .expect("every cover field is in COVER");
    COVER_FIRST_ROW + i as u32
}

/// The table title of a data sheet, e.g. "标牌清理情况表".
pub(crate) fn sheet_title(id: SheetId) -> &'static str {
    match id {
        SheetId::Signs => "标牌清理情况表",
        SheetId::SignDetail => "标牌明细表",
        SheetId::Rooms => "功能室情况表",
        SheetId::Duty => "坐班值守情况表",
        SheetId::Stars => "星级申报表",
        SheetId::Explanations => "情况说明表",
        SheetId::Guide => "填报说明",
        SheetId::Cover => "基本信息",
    }
}

/// Base number of input rows of a data sheet (before pre-filled rows).
/// Rows of a data sheet open for input (validated, unlocked).
pub(crate) fn input_rows(sheet: &SheetSpec) -> u32 {
    if sheet.per_village {
        VILLAGE_INPUT_ROWS
    } else if sheet.id == SheetId::SignDetail {
        DETAIL_INPUT_ROWS
    } else {
        EXPLANATION_INPUT_ROWS
    }
}

// ---------------------------------------------------------------------------
// Words about kinds (for 填报说明 and the validation messages)

/// The kind's constraint in plain Chinese, e.g. "须为0或正整数".
pub(crate) fn kind_rule(kind: Kind, policy: &Policy) -> String {
    if let Some(n) = kind.numeric() {
        let decimals = if n.decimals == 0 {
            String::new()
        } else {
            format!(",最多{}位小数", n.decimals)
        };
        return match (n.decimals, n.max) {
            (0, Some(max)) => format!("须为{}到{}的整数", n.min, max),
            (0, None) if n.min == 0 => "须为0或正整数".to_string(),
            (0, None) => format!("须为不小于{}的整数", n.min),
            (_, Some(max)) => format!("须为{}到{}之间的数{decimals}", n.min, max),
            (_, None) => format!("须为不小于{}的数{decimals}", n.min),
        };
    }
    match kind {
        Kind::Code12 => "须为12位数字(按文本填写)".to_string(),
        Kind::Text => String::new(),
        Kind::YesNo => format!("从下拉列表选择:{}", YES_NO.join(" 或 ")),
        Kind::Place => format!("从下拉列表选择:{}", schema::PLACES.join("、")),
        Kind::Category if policy.categories.is_empty() => "填写类别名称".to_string(),
        Kind::Category => format!("从下拉列表选择:{}", policy.categories.join("、")),
        _ => String::new(),
    }
}

/// Join two sentences with a full stop unless the first already ends with
/// punctuation.
fn join_sentences(a: &str, b: &str) -> String {
    let a = a.trim_end();
    if a.is_empty() {
        return b.to_string();
    }
    if b.is_empty() {
        return a.to_string();
    }
    if a.ends_with(['。', ';', ';', ',', ',', '!', '!', '?', '?']) {
        format!("{a}{b}")
    } else {
        format!("{a}。{b}")
    }
}

/// 填写要求 of a column: its help and its kind's constraint.
pub(crate) fn column_requirement(col: &Column, policy: &Policy) -> String {
    join_sentences(col.help, &kind_rule(col.kind, policy))
}

fn required_word(required: bool) -> &'static str {
    if required {
        "必填"
    } else {
        "可不填"
    }
}

// ---------------------------------------------------------------------------
// Building

/// Build the template workbook in memory.
pub fn build(input: &TemplateInput) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    wb.set_properties(&properties(
        input.period,
        "乡镇(街道)党群服务中心月报",
        None,
    )?);

    let lists = ListSource::new(input.policy);
    let title_prefix = title_prefix(input);
    // Every printed page is headed by the return's title.
    let title = if title_prefix.is_empty() {
        "乡镇(街道)党群服务中心月报".to_string()
    } else {
        format!("{title_prefix}党群服务中心月报")
    };

    for id in schema::ALL_SHEETS {
        let ws = wb.add_worksheet();
        ws.set_name(schema::sheet_name(id))?;
        let (width, repeat) = match id {
            SheetId::Guide => {
                write_guide(ws, input.policy)?;
                (GUIDE_WIDTHS.iter().sum(), None)
            }
            SheetId::Cover => {
                write_cover(ws, input)?;
                (COVER_WIDTHS.iter().sum(), Some((TITLE_ROW, HEADER_ROW)))
            }
            _ => {
                let sheet = schema::data_sheet(id).expect("a data sheet");
                let width = write_data_sheet(ws, sheet, input, &lists, &title_prefix)?;
                (width, Some((TITLE_ROW, HEADER_ROW)))
            }
        };
        Page {
            title: &title,
            width,
            repeat,
            one_page: false,
        }
        .set_up(ws)?;
    }

    add_lists_sheet(&mut wb, &lists)?;
    Ok(wb)
}

/// The hidden sheet a drop-down list too long for Excel's 255 characters
/// takes its values from, when the policy's catalogue needs one.
pub(crate) fn add_lists_sheet(wb: &mut Workbook, lists: &ListSource) -> Result<(), XlsxError> {
    if let ListSource::Sheet { values, .. } = lists {
        // Constant-memory, as the feedback workbook's other sheets: no
        // thread of its own at save.
        let ws = wb.add_worksheet_with_constant_memory()?;
        ws.set_name(LISTS_SHEET)?;
        ws.write_string(0, 0, "类别")?;
        for (i, v) in values.iter().enumerate() {
            ws.write_string(i as u32 + 1, 0, v)?;
        }
        ws.set_hidden(true);
        ws.protect();
    }
    Ok(())
}

/// A data column's width in the template before values widen it: its
/// kind's least, and its header's (a long header wraps at 14).
pub(crate) fn column_width(col: &Column) -> f64 {
    (style::text_width(col.header).min(14.0) + 2.0).max(min_width(col))
}

/// Build and save the template atomically.
pub fn write_file(input: &TemplateInput, path: &Path) -> anyhow::Result<()> {
    let mut wb = build(input).map_err(|e| anyhow::anyhow!("无法生成模板:{e}"))?;
    atomic::save(&mut wb, path).map_err(|e| anyhow::anyhow!(atomic::explain(&e, path)))?;
    Ok(())
}

/// Document properties with a fixed creation date: the first day of the
/// period at 00:00:00, or 2025-01-01 without a period — so the same input
/// always gives the same bytes.
pub(crate) fn properties(
    period: Option<Period>,
    title: &str,
    output: Option<crate::write::OutputKind>,
) -> Result<DocProperties, XlsxError> {
    let (y, m) = period.map(|p| (p.year, p.month)).unwrap_or((2025, 1));
    let date = ExcelDateTime::from_ymd(y as u16, m as u8, 1)?;
    let props = DocProperties::new()
        .set_title(title)
        .set_author("huizong")
        .set_creation_datetime(&date);
    Ok(match output {
        Some(kind) => props.set_custom_property(crate::write::OUTPUT_MARKER, kind.marker()),
        None => props,
    })
}

/// "白砂镇2024年6月" when the cover is pre-filled, else "".
fn title_prefix(input: &TemplateInput) -> String {
    let mut out = String::new();
    if let Some(Value::Text(t)) = input.fill.cover.get(&CoverField::Township) {
        out.push_str(t.trim());
    }
    let period = input
        .period
        .or_else(|| match input.fill.cover.get(&CoverField::Period) {
            Some(Value::Text(t)) => Period::parse(t),
            Some(Value::Date(d)) => Some(d.period()),
            _ => None,
        });
    if !out.is_empty() || input.fill.cover.contains_key(&CoverField::Period) {
        if let Some(p) = period {
            out.push_str(&format!("{}年{}月", p.year, p.month));
        }
    }
    out
}

/// Where the 类别 drop-down takes its values from.
pub(crate) enum ListSource {
    None,
    Inline(Vec<String>),
    Sheet { values: Vec<String>, range: String },
}

impl ListSource {
    pub(crate) fn new(policy: &Policy) -> ListSource {
        let values = policy.categories.clone();
        if values.is_empty() {
            return ListSource::None;
        }
        let joined: usize = values
            .iter()
            .map(|v| v.replace('"', "\"\"").encode_utf16().count())
            .sum::<usize>()
            + values.len()
            - 1;
        if joined <= MAX_INLINE_LIST {
            ListSource::Inline(values)
        } else {
            let range = format!("='{LISTS_SHEET}'!$A$2:$A${}", values.len() + 1);
            ListSource::Sheet { values, range }
        }
    }
}

/// The protection of data sheets and the cover: no password; rows can be
/// inserted and deleted, rows sorted and filtered, columns widened.
fn input_protection() -> ProtectionOptions {
    ProtectionOptions {
        insert_rows: true,
        delete_rows: true,
        sort: true,
        use_autofilter: true,
        format_columns: true,
        format_rows: true,
        ..ProtectionOptions::new()
    }
}

// ---------------------------------------------------------------------------
// Live self-checks (conditional formatting)

/// A self-check a village row can fail while it is typed.
struct LiveCheck {
    code: Code,
    sheet: &'static SheetSpec,
    /// Columns that must all hold numbers before the check applies.
    cols: &'static [Col],
    /// The failing condition, with `{Col}` placeholders filled by `cell`.
    condition: fn(&dyn Fn(Col) -> String) -> String,
}

const LIVE_CHECKS: [LiveCheck; 3] = [
    LiveCheck {
        code: Code::P01,
        sheet: &schema::SIGNS,
        cols: &[
            Col::SignsNow,
            Col::WallRules,
            Col::SignsBefore,
            Col::SignsRemoved,
            Col::SignsFiled,
        ],
        condition: |c| {
            format!(
                "{}+{}<>{}-{}+{}",
                c(Col::SignsNow),
                c(Col::WallRules),
                c(Col::SignsBefore),
                c(Col::SignsRemoved),
                c(Col::SignsFiled)
            )
        },
    },
    LiveCheck {
        code: Code::M01,
        sheet: &schema::ROOMS,
        cols: &[Col::RoomsOffice, Col::RoomsService, Col::RoomsTotal],
        condition: |c| {
            format!(
                "{}+{}<>{}",
                c(Col::RoomsOffice),
                c(Col::RoomsService),
                c(Col::RoomsTotal)
            )
        },
    },
    LiveCheck {
        code: Code::D01,
        sheet: &schema::DUTY,
        cols: &[Col::OnDuty, Col::Cadres],
        condition: |c| format!("{}>{}", c(Col::OnDuty), c(Col::Cadres)),
    },
];

impl LiveCheck {
    /// The conditional-format formula, relative to the first data row:
    /// `=AND(ISNUMBER($G3),…,$G3+$H3<>$D3-$E3+$F3)`.
    fn formula(&self) -> String {
        let sheet = self.sheet;
        let cell = move |id: Col| {
            format!(
                "${}{}",
                schema::col_letters(col_of(sheet, id) as u32),
                FIRST_DATA_ROW + 1
            )
        };
        let mut parts: Vec<String> = self
            .cols
            .iter()
            .map(|c| format!("ISNUMBER({})", cell(*c)))
            .collect();
        parts.push((self.condition)(&cell));
        format!("=AND({})", parts.join(","))
    }
}

fn live_check_words() -> String {
    LIVE_CHECKS
        .iter()
        .map(|c| format!("“{}”表:{}({})", c.sheet.name, c.code.title(), c.code))
        .collect::<Vec<_>>()
        .join(";")
        + "。标红的行请核对后改正。"
}

// ---------------------------------------------------------------------------
// 基本信息

/// Widths of the cover's label, value and help columns.
pub(crate) const COVER_WIDTHS: [f64; 3] = [18.0, 28.0, 56.0];

/// Width of a data sheet's 序号 column.
pub(crate) const ROW_NO_WIDTH: f64 = 6.0;

/// 填报说明 as the template writes it (for the feedback workbook, whose
/// copy of a return's instructions would otherwise lose their layout); its
/// width.
pub(crate) fn write_guide_sheet(ws: &mut Worksheet, policy: &Policy) -> Result<f64, XlsxError> {
    let next = write_guide(ws, policy)?;
    // Its rows have heights of their own, the last one too.
    crate::write::grid::close_rows(ws, next.saturating_sub(1), GUIDE_WIDTHS.len() as u16)?;
    Ok(GUIDE_WIDTHS.iter().sum())
}

fn write_cover(ws: &mut Worksheet, input: &TemplateInput) -> Result<(), XlsxError> {
    for (c, w) in [COVER_LABEL_COL, COVER_VALUE_COL, COVER_HELP_COL]
        .into_iter()
        .zip(COVER_WIDTHS)
    {
        ws.set_column_width(c, w)?;
    }

    let prefix = title_prefix(input);
    let title = if prefix.is_empty() {
        "乡镇(街道)党群服务中心月报 基本信息".to_string()
    } else {
        format!("{prefix}党群服务中心月报 基本信息")
    };
    ws.merge_range(
        TITLE_ROW,
        0,
        TITLE_ROW,
        COVER_HELP_COL,
        &title,
        &style::title(),
    )?;
    ws.set_row_height(TITLE_ROW, 28.0)?;
    let h = style::header();
    ws.write_string_with_format(HEADER_ROW, COVER_LABEL_COL, "项目", &h)?;
    ws.write_string_with_format(HEADER_ROW, COVER_VALUE_COL, "填写内容", &h)?;
    ws.write_string_with_format(HEADER_ROW, COVER_HELP_COL, "填写说明", &h)?;

    let border = rust_xlsxwriter::FormatBorder::Thin;
    let label_fmt = style::bold().set_border(border);
    let help_fmt = style::wrap()
        .set_border(border)
        .set_font_color(Color::RGB(0x595959));
    for spec in &COVER {
        let row = cover_row(spec.id);
        ws.write_string_with_format(row, COVER_LABEL_COL, spec.label, &label_fmt)?;
        let help = format!("{}。{}", required_word(spec.required), spec.help);
        ws.write_string_with_format(row, COVER_HELP_COL, &help, &help_fmt)?;
        ws.set_row_height(row, 20.0)?;

        let input_fmt = match spec.id {
            CoverField::FillDate => style::date().set_unlocked(),
            _ => style::text_unlocked(),
        }
        .set_border(border);
        if spec.id == CoverField::TemplateVersion {
            // Written by the tool and locked: always this build's version.
            // Only the sample generator overrides it (an old or a missing
            // version, to show S05); `huizong template` never does.
            let f = style::text()
                .set_border(border)
                .set_background_color(Color::RGB(0xF2F2F2));
            match input.fill.cover.get(&spec.id) {
                Some(v) => write_value(ws, row, COVER_VALUE_COL, v, &f)?,
                None => {
                    ws.write_string_with_format(row, COVER_VALUE_COL, TEMPLATE_VERSION, &f)?;
                }
            }
            continue;
        }
        match input.fill.cover.get(&spec.id) {
            Some(v) => write_value(ws, row, COVER_VALUE_COL, v, &input_fmt)?,
            None => {
                ws.write_blank(row, COVER_VALUE_COL, &input_fmt)?;
            }
        }

        let mut dv = match spec.id {
            CoverField::TownshipCode => {
                DataValidation::new().allow_text_length(DataValidationRule::EqualTo(9))
            }
            CoverField::FillDate => DataValidation::new().allow_date(DataValidationRule::Between(
                ExcelDateTime::from_ymd(2000, 1, 1)?,
                ExcelDateTime::from_ymd(2099, 12, 31)?,
            )),
            _ => DataValidation::new().allow_any_value(),
        };
        dv = dv
            .set_input_title(style::cut_utf16(spec.label, 32))?
            .set_input_message(style::cut_utf16(spec.help, 255))?;
        if !matches!(spec.id, CoverField::TownshipCode | CoverField::FillDate) {
            ws.add_data_validation(row, COVER_VALUE_COL, row, COVER_VALUE_COL, &dv)?;
            continue;
        }
        dv = dv
            .set_error_title("输入有误")?
            .set_error_message(style::cut_utf16(
                &format!("“{}”填写有误。{}", spec.label, spec.help),
                255,
            ))?;
        ws.add_data_validation(row, COVER_VALUE_COL, row, COVER_VALUE_COL, &dv)?;
    }
    ws.set_freeze_panes(COVER_FIRST_ROW, 0)?;
    ws.protect_with_options(&input_protection());
    Ok(())
}

// ---------------------------------------------------------------------------
// Data sheets

/// The format of an input cell of a column: unlocked, text for codes.
fn input_format(kind: Kind) -> Format {
    match kind {
        Kind::Code12 => style::text_unlocked(),
        _ => style::unlocked(),
    }
}

/// Narrowest width of a column, by what it holds.
fn min_width(col: &Column) -> f64 {
    match (col.id, col.kind) {
        (Col::Explanation | Col::Remark, _) => 36.0,
        (Col::SignName, _) => 26.0,
        (_, Kind::Code12) => 15.0,
        (_, Kind::Text) => 16.0,
        (_, Kind::Category) => 12.0,
        _ => 8.0,
    }
}

/// The text a value shows, for column widths.
fn shown(v: &Value) -> String {
    match v {
        Value::Empty => String::new(),
        Value::Text(t) => t.clone(),
        Value::Number(n) => format!("{n}"),
        Value::Date(d) => d.to_string(),
        Value::Formula { result, .. } => result.clone(),
    }
}

fn write_data_sheet(
    ws: &mut Worksheet,
    sheet: &'static SheetSpec,
    input: &TemplateInput,
    lists: &ListSource,
    title_prefix: &str,
) -> Result<f64, XlsxError> {
    let rows = input
        .fill
        .rows
        .get(&sheet.id)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let footer = input
        .fill
        .footer
        .get(&sheet.id)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let filled = (rows.len() + footer.len()) as u32;
    let base = input_rows(sheet);
    let input_rows = if filled == 0 {
        base
    } else {
        base.max(filled + SPARE_ROWS)
    };
    let last_row = FIRST_DATA_ROW + input_rows - 1;
    let last = last_col(sheet);

    // Column widths and formats: every input column unlocked (codes as text).
    ws.set_column_width(0, ROW_NO_WIDTH)?;
    ws.set_column_format(0, &style::unlocked())?;
    let mut total = ROW_NO_WIDTH;
    let mut header_lines = 1;
    for (i, col) in sheet.columns.iter().enumerate() {
        let c = sheet_col(i);
        let values: Vec<String> = rows
            .iter()
            .chain(footer)
            .filter_map(|r| r.get(i))
            .map(shown)
            .collect();
        let header_w = style::text_width(col.header).min(14.0);
        let width = style::fit_width(values.iter().map(String::as_str), 0.0, 40.0)
            .max(header_w + 2.0)
            .max(min_width(col));
        ws.set_column_width(c, width)?;
        total += width;
        ws.set_column_format(c, &input_format(col.kind))?;
        header_lines = header_lines.max(style::wrapped_lines(col.header, width));
    }

    // Title and header: locked.
    let title = format!("{title_prefix}{}", sheet_title(sheet.id));
    ws.merge_range(TITLE_ROW, 0, TITLE_ROW, last, &title, &style::title())?;
    ws.set_row_height(TITLE_ROW, 28.0)?;
    let h = style::header();
    ws.write_string_with_format(HEADER_ROW, 0, ROW_NO_HEADER, &h)?;
    for (i, col) in sheet.columns.iter().enumerate() {
        ws.write_string_with_format(HEADER_ROW, sheet_col(i), col.header, &h)?;
    }
    ws.set_row_height(HEADER_ROW, 16.0 * header_lines as f64 + 6.0)?;

    // Input rows: the whole row unlocked (Excel deletes and sorts rows only
    // when none of their cells is locked); code cells text-formatted.
    let unlocked = style::unlocked();
    for row in FIRST_DATA_ROW..=last_row {
        ws.set_row_format(row, &unlocked)?;
        for (i, col) in sheet.columns.iter().enumerate() {
            if col.kind == Kind::Code12 {
                ws.write_blank(row, sheet_col(i), &input_format(col.kind))?;
            }
        }
    }

    // Pre-filled rows, then footer rows.
    let mut row = FIRST_DATA_ROW;
    for (n, values) in rows.iter().enumerate() {
        ws.write_number_with_format(row, 0, (n + 1) as f64, &unlocked)?;
        let carried = |i: usize| input.fill.carried.contains(&(sheet.id, n, i));
        write_row(ws, sheet, row, values, carried)?;
        row += 1;
    }
    for values in footer {
        write_row(ws, sheet, row, values, |_| false)?;
        row += 1;
    }

    // Validation on every input column.
    for (i, col) in sheet.columns.iter().enumerate() {
        let c = sheet_col(i);
        if let Some(dv) = validation(sheet, col, input.policy, lists)? {
            ws.add_data_validation(FIRST_DATA_ROW, c, last_row, c, &dv)?;
        }
    }

    // Live self-checks: the row turns red while it is typed wrong.
    for check in LIVE_CHECKS.iter().filter(|c| c.sheet.id == sheet.id) {
        let cf = ConditionalFormatFormula::new()
            .set_rule(check.formula().as_str())
            .set_format(style::error_fill());
        ws.add_conditional_format(FIRST_DATA_ROW, 0, last_row, last, &cf)?;
    }

    ws.autofilter(HEADER_ROW, 0, last_row, last)?;
    let freeze_col = match sheet.column(Col::VillageName) {
        Some((i, _)) if sheet.per_village => sheet_col(i) + 1,
        _ => 0,
    };
    ws.set_freeze_panes(FIRST_DATA_ROW, freeze_col)?;
    ws.protect_with_options(&input_protection());
    Ok(total)
}

fn write_row(
    ws: &mut Worksheet,
    sheet: &SheetSpec,
    row: u32,
    values: &[Value],
    carried: impl Fn(usize) -> bool,
) -> Result<(), XlsxError> {
    for (i, v) in values.iter().enumerate() {
        let Some(col) = sheet.columns.get(i) else {
            break;
        };
        let mut format = input_format(col.kind);
        if carried(i) {
            format = format.set_background_color(style::CARRIED_FILL);
        }
        write_value(ws, row, sheet_col(i), v, &format)?;
    }
    Ok(())
}

/// Write one value: text stays text (never a formula), numbers are numbers,
/// dates are date cells, formulas keep their cached result.
fn write_value(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    v: &Value,
    format: &Format,
) -> Result<(), XlsxError> {
    match v {
        Value::Empty => {}
        Value::Text(t) => {
            ws.write_string_with_format(row, col, style::cut_to_excel_limit(t), format)?;
        }
        Value::Number(n) => {
            ws.write_number_with_format(row, col, *n, format)?;
        }
        Value::Date(d) => {
            let dt = ExcelDateTime::from_ymd(d.year as u16, d.month as u8, d.day as u8)?;
            let f = format.clone().set_num_format(style::NUM_DATE);
            ws.write_datetime_with_format(row, col, &dt, &f)?;
        }
        Value::Formula { formula, result } => {
            let f = Formula::new(formula).set_result(result.as_str());
            ws.write_formula_with_format(row, col, f, format)?;
        }
    }
    Ok(())
}

/// The data validation of an input column, with a Chinese input message
/// (the column's help) and error alert.
pub(crate) fn validation(
    sheet: &SheetSpec,
    col: &Column,
    policy: &Policy,
    lists: &ListSource,
) -> Result<Option<DataValidation>, XlsxError> {
    let dv = DataValidation::new();
    let mut restricted = true;
    let dv = if let Some(n) = col.kind.numeric() {
        if n.decimals == 0 {
            let min = n.min as i32;
            dv.allow_whole_number(match n.max {
                Some(max) => DataValidationRule::Between(min, max as i32),
                None => DataValidationRule::GreaterThanOrEqualTo(min),
            })
        } else {
            let min = n.min as f64;
            dv.allow_decimal_number(match n.max {
                Some(max) => DataValidationRule::Between(min, max as f64),
                None => DataValidationRule::GreaterThanOrEqualTo(min),
            })
        }
    } else {
        match col.kind {
            Kind::Code12 => dv.allow_text_length(DataValidationRule::EqualTo(12)),
            Kind::YesNo => dv.allow_list_strings(&YES_NO)?,
            Kind::Place => dv.allow_list_strings(schema::PLACES)?,
            Kind::Category => match lists {
                ListSource::Inline(values) => dv.allow_list_strings(values)?,
                ListSource::Sheet { range, .. } => dv.allow_list_formula(range.as_str().into()),
                ListSource::None => {
                    restricted = false;
                    dv.allow_any_value()
                }
            },
            // 情况说明's rule codes: the warnings a township may explain.
            Kind::Text if sheet.id == SheetId::Explanations && col.id == Col::RuleCode => {
                dv.allow_list_strings(&warning_codes())?
            }
            _ => {
                restricted = false;
                dv.allow_any_value()
            }
        }
    };
    let mut dv = dv
        .set_input_title(style::cut_utf16(col.header, 32))?
        .set_input_message(style::cut_utf16(col.help, 255))?;
    if restricted {
        let rule = if col.id == Col::RuleCode {
            "须为可以说明的提示规则编号,从下拉列表选择".to_string()
        } else {
            kind_rule(col.kind, policy)
        };
        dv = dv
            .set_error_title("输入有误")?
            .set_error_message(style::cut_utf16(
                &format!("“{}”{}。{}", col.header, rule, col.help),
                255,
            ))?;
    }
    Ok(Some(dv))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> Vec<u8> {
        let policy = Policy::default_rules();
        let fill = Fill::default();
        let input = TemplateInput {
            policy: &policy,
            period: None,
            fill: &fill,
        };
        build(&input).unwrap().save_to_buffer().unwrap()
    }

    #[test]
    fn blank_template_is_deterministic() {
        assert_eq!(blank(), blank());
    }

    #[test]
    fn live_check_formulas_use_schema_columns() {
        let p01 = LIVE_CHECKS[0].formula();
        // 标牌清理: 序号 A, 代码 B, 名称 C, 清理前 D, 摘除 E, 新增 F, 现有 G, 上墙 H.
        assert_eq!(
            p01,
            "=AND(ISNUMBER($G3),ISNUMBER($H3),ISNUMBER($D3),ISNUMBER($E3),ISNUMBER($F3),$G3+$H3<>$D3-$E3+$F3)"
        );
        let d01 = LIVE_CHECKS[2].formula();
        assert!(d01.ends_with("$E3>$D3)"), "{d01}");
    }

    #[test]
    fn kind_rules_read_well() {
        let p = Policy::default_rules();
        assert_eq!(kind_rule(Kind::Count, &p), "须为0或正整数");
        assert_eq!(kind_rule(Kind::Star, &p), "须为1到5的整数");
        assert_eq!(kind_rule(Kind::Score, &p), "须为0到100之间的数,最多1位小数");
        assert!(kind_rule(Kind::Category, &p).contains(&p.categories[0]));
    }

    #[test]
    fn long_category_lists_go_to_a_hidden_sheet() {
        let mut policy = Policy::default_rules();
        policy.categories = (0..40).map(|i| format!("很长的类别名称{i}")).collect();
        let fill = Fill::default();
        let input = TemplateInput {
            policy: &policy,
            period: None,
            fill: &fill,
        };
        let bytes = build(&input).unwrap().save_to_buffer().unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut wb = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut wb)
            .unwrap();
        assert!(
            wb.contains(r#"name="_lists" sheetId="9" state="hidden""#),
            "{wb}"
        );
        let mut sheet = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name("xl/worksheets/sheet4.xml").unwrap(),
            &mut sheet,
        )
        .unwrap();
        assert!(sheet.contains("'_lists'!$A$2:$A$41"), "{sheet}");
    }
}
