//! Findings are data: every rule produces `Finding`s that are collected,
//! sorted and written, never raised as errors.

use serde::Serialize;
use std::fmt;
use std::sync::Arc;

/// Severity of a finding (`rules.md` "Severities").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Fatal,
    Error,
    Warning,
}

impl Level {
    /// The Chinese word users read.
    pub(crate) fn zh(self) -> &'static str {
        match self {
            Level::Fatal => "无法读取",
            Level::Error => "错误",
            Level::Warning => "提示",
        }
    }
    /// Counted in 错误数 (error or fatal) rather than 提示数.
    pub(crate) fn is_error(self) -> bool {
        matches!(self, Level::Fatal | Level::Error)
    }
}

macro_rules! codes {
    ($($code:ident => $level:ident, $title:literal;)*) => {
        /// Every rule code of `rules.md`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $($code),* }

        /// The rule table: every code with its level (titles: [`Code::title`]).
        pub const RULES: &[Rule] = &[$(Rule { code: Code::$code, level: Level::$level }),*];

        impl Code {
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$code => stringify!($code)),* }
            }
            pub(crate) fn parse(s: &str) -> Option<Code> {
                match s { $(stringify!($code) => Some(Code::$code),)* _ => None }
            }
            pub(crate) fn level(self) -> Level {
                match self { $(Code::$code => Level::$level),* }
            }
            pub(crate) fn title(self) -> &'static str {
                match self { $(Code::$code => $title),* }
            }
        }
    };
}

/// A rule of the table.
#[derive(Debug)]
pub struct Rule {
    pub code: Code,
    pub level: Level,
}

codes! {
    S01 => Fatal, "文件无法作为工作簿打开";
    S02 => Fatal, "缺少必需的工作表";
    S03 => Fatal, "找不到表头或缺少必需的列";
    S04 => Warning, "无法识别的列";
    S05 => Warning, "模板版本过旧或缺失";
    S06 => Fatal, "文件过大或结构过深,无法安全读取";
    S07 => Warning, "文字超过 Excel 单元格上限";
    C01 => Fatal, "乡镇(街道)代码缺失或不是9位";
    C02 => Fatal, "填报期间缺失或无法识别";
    C03 => Fatal, "填报期间不是本次汇总的月份";
    C04 => Error, "乡镇(街道)代码不属于本单位或不在名册中";
    C05 => Warning, "乡镇(街道)名称与名册不一致";
    C06 => Error, "基本信息缺项或格式不对";
    V01 => Error, "必填单元格为空";
    V02 => Error, "不是数字";
    V03 => Error, "负数";
    V04 => Error, "超出允许范围或小数位过多";
    V05 => Error, "是/否单元格填写不规范";
    V06 => Error, "村(社区)代码不是12位或不属于本乡镇";
    V07 => Error, "同一工作表中村(社区)代码重复";
    V08 => Warning, "村(社区)名称不一致";
    V10 => Error, "Excel 错误值或公式没有保存结果";
    X01 => Error, "村(社区)在各表中不齐全";
    X02 => Error, "标牌明细行数与现有标牌数不符";
    X03 => Error, "合计行与各村之和不符";
    X04 => Error, "名册中的村(社区)未填报";
    X05 => Error, "村(社区)不在名册中";
    P01 => Error, "标牌数量勾稽关系不平";
    P02 => Error, "累计摘除数大于可摘除总数";
    P03 => Warning, "负面清单标牌仍在悬挂";
    P04 => Warning, "目录外标牌未备案";
    P05 => Warning, "上墙制度过多";
    P06 => Warning, "功能室标牌过多";
    P07 => Warning, "类别与目录不符";
    P08 => Warning, "同一标牌重复填报";
    M01 => Error, "办公用房数与服务用房数之和不等于房间总数";
    M02 => Warning, "办公面积占比过高";
    M03 => Warning, "干部未集中办公";
    M04 => Warning, "面积与房间数不匹配";
    D01 => Error, "坐班轮值人数超过两委干部人数";
    D02 => Error, "坐班天数超过当月天数";
    D03 => Warning, "两委干部人数异常";
    D04 => Warning, "活动参与人次异常";
    D05 => Warning, "未配备专管员";
    T01 => Warning, "缺少区级评定得分";
    T02 => Warning, "已支出经费超过上年度奖励经费";
    Y01 => Warning, "同一乡镇多份报表,已被替代";
    Y03 => Error, "同一乡镇多份报表且填报日期相同、数据不同";
    H01 => Warning, "牌子反弹";
    H02 => Error, "累计数减少";
    H03 => Warning, "清理前标牌数变动";
    H04 => Warning, "村(社区)与上期不一致";
    H05 => Warning, "存量数据大幅变动";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Where in a workbook a finding points, for sorting and for the feedback
/// workbook: sheet order (template order), 0-based row and column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Pos {
    pub sheet_order: u8,
    pub row: u32,
    pub col: u32,
}

/// One finding: what, where, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    /// Shared by every finding of a file (a month with findings holds tens
    /// of thousands of them until its workbooks are written).
    pub file: Arc<str>,
    pub township: Option<Arc<str>>,
    pub sheet: Option<Arc<str>>,
    pub cell: Option<String>,
    pub village: Option<Arc<str>>,
    pub code: Code,
    pub level: Level,
    pub explained: bool,
    pub value: Option<Arc<str>>,
    /// Shared with every equal message of the batch once it is read
    /// ([`share_strings`]): a catalogue that differs from what the
    /// townships write gives the same message in hundreds of returns.
    pub message: Arc<str>,
    #[serde(skip)]
    pub pos: Option<Pos>,
}

impl Finding {
    /// A finding with the level the rule table gives its code.
    pub fn new(code: Code, message: impl Into<Arc<str>>) -> Finding {
        Finding {
            file: Arc::from(""),
            township: None,
            sheet: None,
            cell: None,
            village: None,
            code,
            level: code.level(),
            explained: false,
            value: None,
            message: message.into(),
            pos: None,
        }
    }

    /// Anchor the finding at a cell (0-based row/col) of a sheet.
    pub fn at(mut self, sheet: &str, sheet_order: u8, row: u32, col: u32) -> Finding {
        self.sheet = Some(shared_sheet_name(sheet));
        self.cell = Some(crate::schema::cell_ref(row, col));
        self.pos = Some(Pos {
            sheet_order,
            row,
            col,
        });
        self
    }

    /// Name a sheet without a cell (anchor blank).
    pub(crate) fn on_sheet(mut self, sheet: &str, sheet_order: u8) -> Finding {
        self.sheet = Some(shared_sheet_name(sheet));
        self.pos = Some(Pos {
            sheet_order,
            row: u32::MAX,
            col: u32::MAX,
        });
        self
    }

    pub fn village(mut self, code: impl Into<Arc<str>>) -> Finding {
        self.village = Some(code.into());
        self
    }

    pub fn value(mut self, value: impl Into<Arc<str>>) -> Finding {
        self.value = Some(value.into());
        self
    }

    /// `标牌清理!F7`, or just the sheet, or nothing.
    pub(crate) fn location(&self) -> String {
        match (&self.sheet, &self.cell) {
            (Some(s), Some(c)) => format!("{s}!{c}"),
            (Some(s), None) => s.to_string(),
            _ => String::new(),
        }
    }

    /// Sort key of `outputs.md`: township code (none last), file, sheet in
    /// template order, row, column, rule code.
    pub(crate) fn sort_key(&self) -> impl Ord + '_ {
        let pos = self.pos.unwrap_or(Pos {
            sheet_order: 0,
            row: 0,
            col: 0,
        });
        (
            self.township.is_none(),
            self.township.as_deref().unwrap_or(""),
            &*self.file,
            pos.sheet_order,
            pos.row,
            pos.col,
            self.code,
        )
    }
}

/// Mark `findings` as of `file` and `township`, one shared copy of each
/// for all of them.
pub(crate) fn stamp(findings: &mut [Finding], file: &str, township: Option<&str>) {
    let file: Arc<str> = Arc::from(file);
    let township: Option<Arc<str>> = township.map(Arc::from);
    for f in findings {
        f.file = file.clone();
        f.township = township.clone();
    }
}

/// Make the equal messages, villages and values of `findings` one shared copy
/// each. A month's findings are held until its workbooks are written, and
/// most of their bytes are messages that repeat from return to return.
pub(crate) fn share_strings<'a>(findings: impl IntoIterator<Item = &'a mut Finding>) {
    let mut seen: std::collections::HashSet<Arc<str>> = Default::default();
    let mut share = |s: &mut Arc<str>| match seen.get(&**s) {
        Some(first) => *s = first.clone(),
        None => {
            seen.insert(s.clone());
        }
    };
    for f in findings {
        share(&mut f.message);
        for s in [&mut f.village, &mut f.value].into_iter().flatten() {
            share(s);
        }
    }
}

/// A sheet's name for a finding: the template's sheets' names are shared
/// by all the findings on them rather than copied into each.
fn shared_sheet_name(sheet: &str) -> Arc<str> {
    static NAMES: std::sync::LazyLock<Vec<Arc<str>>> = std::sync::LazyLock::new(|| {
        crate::schema::ALL_SHEETS
            .iter()
            .map(|id| Arc::from(crate::schema::sheet_name(*id)))
            .collect()
    });
    NAMES
        .iter()
        .find(|n| ***n == *sheet)
        .cloned()
        .unwrap_or_else(|| Arc::from(sheet))
}

/// Sort findings (or references to them) into the order every output uses.
pub(crate) fn sort<F: std::borrow::Borrow<Finding>>(findings: &mut [F]) {
    findings.sort_by(|a, b| a.borrow().sort_key().cmp(&b.borrow().sort_key()));
}

/// How many findings of each kind a set holds, counted one way wherever a
/// total is shown (the screen, the feedback workbook, the service's pages).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    /// Fatal and error findings.
    pub(crate) errors: usize,
    /// Warnings, explained or not.
    pub(crate) warnings: usize,
    /// The warnings explained in 情况说明.
    pub(crate) explained: usize,
}

impl Tally {
    pub(crate) fn of<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Tally {
        let mut t = Tally::default();
        for f in findings {
            if f.level.is_error() {
                t.errors += 1;
            } else {
                t.warnings += 1;
                t.explained += usize::from(f.explained);
            }
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Equal messages, villages and values of different returns end up as
    /// one copy; the findings read the same as before.
    #[test]
    fn equal_strings_are_shared_and_read_the_same() {
        let make = |file: &str, message: &str, village: &str| {
            let mut f = vec![Finding::new(Code::P07, message.to_string())
                .village(village.to_string())
                .value("便民商业".to_string())];
            stamp(&mut f, file, Some("990101101"));
            f
        };
        let message =
            "类别填的是“便民商业”,而目录中“党员活动室”的类别是“功能室”。请改为“功能室”或留空";
        let mut a = make("a.xlsx", message, "990101101201");
        let mut b = make("b.xlsx", message, "990101101201");
        let mut c = make("c.xlsx", "另一条说明", "990101101202");
        let before: Vec<Finding> = [&a, &b, &c].into_iter().flatten().cloned().collect();
        assert!(!Arc::ptr_eq(&a[0].message, &b[0].message));
        share_strings(a.iter_mut().chain(&mut b).chain(&mut c));
        assert!(Arc::ptr_eq(&a[0].message, &b[0].message));
        assert!(Arc::ptr_eq(
            a[0].village.as_ref().unwrap(),
            b[0].village.as_ref().unwrap()
        ));
        assert!(Arc::ptr_eq(
            a[0].value.as_ref().unwrap(),
            c[0].value.as_ref().unwrap()
        ));
        assert!(!Arc::ptr_eq(&a[0].message, &c[0].message));
        let after: Vec<Finding> = [&a, &b, &c].into_iter().flatten().cloned().collect();
        assert_eq!(after, before);
        assert_eq!(&*c[0].message, "另一条说明");
        assert_eq!(c[0].village.as_deref(), Some("990101101202"));
    }

    #[test]
    fn every_code_round_trips_and_levels_follow_the_spec() {
        for r in RULES {
            assert_eq!(Code::parse(r.code.as_str()), Some(r.code));
            assert_eq!(r.code.level(), r.level);
        }
        assert_eq!(Code::S06.level(), Level::Fatal);
        assert_eq!(Code::P03.level(), Level::Warning);
        assert_eq!(Code::H02.level(), Level::Error);
        assert_eq!(Code::parse("Y02"), None, "Y02 is retired");
    }

    #[test]
    fn a_tally_counts_fatal_as_error_and_explained_among_warnings() {
        let mut explained = Finding::new(Code::P03, "负面清单标牌");
        explained.explained = true;
        let findings = [
            Finding::new(Code::S06, "疑似压缩炸弹"),
            Finding::new(Code::P01, "勾稽不平"),
            Finding::new(Code::P07, "类别不符"),
            explained,
        ];
        assert_eq!(
            Tally::of(&findings),
            Tally {
                errors: 2,
                warnings: 2,
                explained: 1
            }
        );
        assert_eq!(Tally::of(&findings[..0]), Tally::default());
    }
}
