//! The township return's layout — sheets, headers, aliases, types and ranges —
//! written once, so the template writer, the reader and the rules agree.

/// Version written into the cover of every template this build makes.
pub const TEMPLATE_VERSION: &str = "2025.1";

/// The header every data sheet may carry for a running row number.
pub const ROW_NO_HEADER: &str = "序号";

/// Sheets of the return, in template order (the order also sorts findings).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SheetId {
    Guide,
    Cover,
    Signs,
    SignDetail,
    Rooms,
    Duty,
    Stars,
    Explanations,
}

/// What a column holds; decides parsing, the template's validation and X03.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// 12-digit village code, read as text.
    Code12,
    /// Free text.
    Text,
    /// A whole number ≥ 0.
    Count,
    /// A whole star level 1–5.
    Star,
    /// Floor area ≥ 0, at most one decimal.
    Area,
    /// Score 0–100, at most one decimal.
    Score,
    /// Yuan ≥ 0, at most two decimals (fen).
    Money,
    /// 是/否 and their variants.
    YesNo,
    /// 门外 / 室内.
    Place,
    /// One of the sign catalogue's categories (from the rules file).
    Category,
}

impl Kind {
    /// Number columns: the decimals allowed and the inclusive range.
    pub(crate) fn numeric(self) -> Option<NumSpec> {
        match self {
            Kind::Count => Some(NumSpec {
                decimals: 0,
                min: 0,
                max: None,
            }),
            Kind::Star => Some(NumSpec {
                decimals: 0,
                min: 1,
                max: Some(5),
            }),
            Kind::Area => Some(NumSpec {
                decimals: 1,
                min: 0,
                max: None,
            }),
            Kind::Score => Some(NumSpec {
                decimals: 1,
                min: 0,
                max: Some(100),
            }),
            Kind::Money => Some(NumSpec {
                decimals: 2,
                min: 0,
                max: None,
            }),
            Kind::Code12 | Kind::Text | Kind::YesNo | Kind::Place | Kind::Category => None,
        }
    }

    /// Columns a 合计/总计 row is checked in (X03): counts, areas and money.
    pub fn summable(self) -> bool {
        matches!(self, Kind::Count | Kind::Area | Kind::Money)
    }
}

/// Number limits of a numeric kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NumSpec {
    pub decimals: u32,
    pub min: i64,
    pub max: Option<i64>,
}

/// Accepted values of a 悬挂位置 cell.
pub(crate) const PLACES: &[&str] = &["门外", "室内"];

/// Every column of every data sheet, by meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Col {
    VillageCode,
    VillageName,
    SignsBefore,
    SignsRemoved,
    SignsFiled,
    SignsNow,
    WallRules,
    SignName,
    SignCategory,
    SignPlace,
    SignFiling,
    RoomsTotal,
    RoomsOffice,
    RoomsService,
    RoomsMerged,
    RoomsNew,
    AreaService,
    AreaOffice,
    SharedOffice,
    HasServiceCentre,
    HasPracticeStation,
    HasClinic,
    HasTraining,
    HasDayCare,
    HasChildCare,
    HasShop,
    Cadres,
    OnDuty,
    Managers,
    DutyDays,
    ExtendedHours,
    WeekendService,
    Activities,
    Participants,
    StarApplied,
    ScoreRepresentatives,
    ScoreTownship,
    FundsLastYear,
    FundsSpent,
    Remark,
    RuleCode,
    Explanation,
}

/// One column of a data sheet.
#[derive(Debug)]
pub struct Column {
    pub id: Col,
    pub header: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub required: bool,
    /// Plain-Chinese help for 填报说明 and the template's input message.
    pub help: &'static str,
}

/// One sheet the tool reads.
#[derive(Debug)]
pub struct SheetSpec {
    pub id: SheetId,
    pub name: &'static str,
    /// One row per village (as opposed to one per sign, or explanations).
    pub per_village: bool,
    /// Must the sheet be present (S02)?
    pub required: bool,
    pub columns: &'static [Column],
    pub help: &'static str,
}

impl SheetSpec {
    pub(crate) fn column(&self, id: Col) -> Option<(usize, &Column)> {
        self.columns.iter().enumerate().find(|(_, c)| c.id == id)
    }
    pub fn index_of(&self, id: Col) -> usize {
        self.column(id)
            .map(|(i, _)| i)
            .unwrap_or_else(|| panic!("{id:?} not in sheet {}", self.name))
    }
}

const fn col(
    id: Col,
    header: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
    help: &'static str,
) -> Column {
    Column {
        id,
        header,
        aliases,
        kind,
        required: true,
        help,
    }
}

const fn opt(
    id: Col,
    header: &'static str,
    aliases: &'static [&'static str],
    kind: Kind,
    help: &'static str,
) -> Column {
    Column {
        id,
        header,
        aliases,
        kind,
        required: false,
        help,
    }
}

const CODE_HELP: &str = "12位统计用区划代码,须以本乡镇(街道)代码开头,如 990101103207";
const NAME_HELP: &str = "村(社区)全称,与名册一致";

pub const SIGNS: SheetSpec = SheetSpec {
    id: SheetId::Signs,
    name: "标牌清理",
    per_village: true,
    required: true,
    help: "每个村(社区)一行,填写清牌摘牌工作的累计情况。须满足:现有标牌数 + 上墙制度数 = 清理前标牌数 − 累计摘除数 + 累计新增备案数。",
    columns: &[
        col(Col::VillageCode, "村(社区)代码", &["村代码", "社区代码"], Kind::Code12, CODE_HELP),
        col(Col::VillageName, "村(社区)名称", &["村(社区)", "村名", "社区名称"], Kind::Text, NAME_HELP),
        col(Col::SignsBefore, "清理前标牌数", &["原有标牌数"], Kind::Count, "清牌工作开始前悬挂的牌子和上墙制度总数(基数,一般不再变动),填整数"),
        col(Col::SignsRemoved, "累计摘除数", &["累计清理数"], Kind::Count, "清牌工作开始以来累计摘除的牌子数,填整数,只增不减"),
        col(Col::SignsFiled, "累计新增备案数", &["新增备案数"], Kind::Count, "清牌工作开始以来经准入备案新挂的牌子数,填整数"),
        col(Col::SignsNow, "现有标牌数", &["现存标牌数"], Kind::Count, "目前仍悬挂的牌子数(不含上墙制度),须等于“标牌明细”中该村的行数"),
        col(Col::WallRules, "上墙制度数", &["上墙制度"], Kind::Count, "目前上墙的制度、职责等数量,填整数"),
    ],
};

pub const SIGN_DETAIL: SheetSpec = SheetSpec {
    id: SheetId::SignDetail,
    name: "标牌明细",
    per_village: false,
    required: true,
    help:
        "每块仍悬挂的牌子一行。标牌名称按牌面如实填写;目录外的牌子和清牌后新挂的牌子须填备案文号。",
    columns: &[
        col(
            Col::VillageCode,
            "村(社区)代码",
            &["村代码"],
            Kind::Code12,
            CODE_HELP,
        ),
        col(
            Col::SignName,
            "标牌名称",
            &["牌子名称", "名称"],
            Kind::Text,
            "按牌面文字填写,如“樟黄村村民委员会”",
        ),
        opt(
            Col::SignCategory,
            "类别",
            &["标牌类别"],
            Kind::Category,
            "从下拉列表选择;不填则按挂牌指导目录归类",
        ),
        opt(
            Col::SignPlace,
            "悬挂位置",
            &["位置"],
            Kind::Place,
            "门外 或 室内",
        ),
        opt(
            Col::SignFiling,
            "备案文号",
            &["备案编号"],
            Kind::Text,
            "清牌后新挂的牌子、目录外的牌子须填准入备案文号",
        ),
    ],
};

/// 标牌明细 as a previous period keeps it: each sign row's village code and
/// sign name, all that H01 and the count of a village's sign rows compare
/// (`model::Return::keep_for_comparison`).
pub(crate) const SIGN_DETAIL_KEYS: SheetSpec = SheetSpec {
    columns: SIGN_DETAIL.columns.split_at(2).0,
    ..SIGN_DETAIL
};

// The two kept are code and name, whatever else the sheet's columns become.
const _: () = assert!(
    matches!(SIGN_DETAIL_KEYS.columns[0].id, Col::VillageCode)
        && matches!(SIGN_DETAIL_KEYS.columns[1].id, Col::SignName)
);

pub(crate) const ROOMS: SheetSpec = SheetSpec {
    id: SheetId::Rooms,
    name: "功能室",
    per_village: true,
    required: true,
    help:
        "每个村(社区)一行,填写功能室整合和“七个有”情况。须满足:办公用房数 + 服务用房数 = 房间总数。",
    columns: &[
        col(
            Col::VillageCode,
            "村(社区)代码",
            &["村代码"],
            Kind::Code12,
            CODE_HELP,
        ),
        col(
            Col::VillageName,
            "村(社区)名称",
            &["村名"],
            Kind::Text,
            NAME_HELP,
        ),
        col(
            Col::RoomsTotal,
            "房间总数",
            &[],
            Kind::Count,
            "党群服务中心房间总数,填整数",
        ),
        col(
            Col::RoomsOffice,
            "办公用房数",
            &[],
            Kind::Count,
            "用于办公的房间数,填整数",
        ),
        col(
            Col::RoomsService,
            "服务用房数",
            &[],
            Kind::Count,
            "用于服务群众的房间数,填整数",
        ),
        col(
            Col::RoomsMerged,
            "累计整合清理房间数",
            &["整合清理房间数"],
            Kind::Count,
            "累计整合清理的房间数,只增不减",
        ),
        col(
            Col::RoomsNew,
            "累计新建特色功能室数",
            &["新建特色功能室数"],
            Kind::Count,
            "累计新建的特色功能室数,只增不减",
        ),
        col(
            Col::AreaService,
            "服务场所面积(㎡)",
            &["服务场所面积", "服务面积(平方米)"],
            Kind::Area,
            "平方米,最多一位小数",
        ),
        col(
            Col::AreaOffice,
            "办公场所面积(㎡)",
            &["办公场所面积", "办公面积(平方米)"],
            Kind::Area,
            "平方米,最多一位小数",
        ),
        col(
            Col::SharedOffice,
            "干部集中办公",
            &["村干部集中办公"],
            Kind::YesNo,
            "村干部是否在一个大厅集中办公,选 是 或 否",
        ),
        col(
            Col::HasServiceCentre,
            "便民服务中心",
            &[],
            Kind::YesNo,
            "“七个有”之一,选 是 或 否",
        ),
        col(
            Col::HasPracticeStation,
            "新时代文明实践站",
            &["文明实践站"],
            Kind::YesNo,
            "“七个有”之一,选 是 或 否",
        ),
        col(
            Col::HasClinic,
            "标准化卫生室",
            &["卫生室"],
            Kind::YesNo,
            "“七个有”之一,选 是 或 否",
        ),
        col(
            Col::HasTraining,
            "技能培训中心",
            &["技能培训"],
            Kind::YesNo,
            "“七个有”之一,选 是 或 否",
        ),
        col(
            Col::HasDayCare,
            "日间照料中心",
            &["日间照料"],
            Kind::YesNo,
            "“七个有”之一,选 是 或 否",
        ),
        col(
            Col::HasChildCare,
            "托幼服务中心",
            &["托幼服务"],
            Kind::YesNo,
            "“七个有”之一,选 是 或 否",
        ),
        col(
            Col::HasShop,
            "便民超市及电商物流站点",
            &["便民超市", "电商物流站点"],
            Kind::YesNo,
            "“七个有”之一,选 是 或 否",
        ),
    ],
};

/// The "七个有": a village with all seven is 七个有达标.
pub(crate) const SEVEN_SERVICES: [Col; 7] = [
    Col::HasServiceCentre,
    Col::HasPracticeStation,
    Col::HasClinic,
    Col::HasTraining,
    Col::HasDayCare,
    Col::HasChildCare,
    Col::HasShop,
];

pub(crate) const DUTY: SheetSpec = SheetSpec {
    id: SheetId::Duty,
    name: "坐班值守",
    per_village: true,
    required: true,
    help: "每个村(社区)一行,填写本月两委干部坐班轮值情况。坐班轮值人数不能超过两委干部人数,坐班天数不能超过当月天数。",
    columns: &[
        col(Col::VillageCode, "村(社区)代码", &["村代码"], Kind::Code12, CODE_HELP),
        col(Col::VillageName, "村(社区)名称", &["村名"], Kind::Text, NAME_HELP),
        col(Col::Cadres, "两委干部人数", &["\"两委\"干部人数", "“两委”干部人数"], Kind::Count, "村“两委”干部总人数,填整数"),
        col(Col::OnDuty, "坐班轮值人数", &["坐班人数"], Kind::Count, "参加坐班轮值的干部人数,不超过两委干部人数"),
        col(Col::Managers, "专管员人数", &["专管员"], Kind::Count, "党群服务中心专管员人数,填整数"),
        col(Col::DutyDays, "本月坐班天数", &["坐班天数"], Kind::Count, "本月有干部坐班的天数,不超过当月天数"),
        col(Col::ExtendedHours, "延时服务", &[], Kind::YesNo, "是否提供延时服务,选 是 或 否"),
        col(Col::WeekendService, "错时预约服务", &["周末节假日服务"], Kind::YesNo, "是否提供周末、节假日错时预约服务,选 是 或 否"),
        col(Col::Activities, "本月特色活动场次", &["活动场次"], Kind::Count, "本月开展特色活动的场次,填整数"),
        col(Col::Participants, "参与群众人次", &["参与人次"], Kind::Count, "本月参与活动的群众人次,填整数"),
    ],
};

pub(crate) const STARS: SheetSpec = SheetSpec {
    id: SheetId::Stars,
    name: "星级申报",
    per_village: true,
    required: true,
    help: "每个村(社区)一行,填写申报星级和评议、考核得分。星级决定奖励经费档次。",
    columns: &[
        col(
            Col::VillageCode,
            "村(社区)代码",
            &["村代码"],
            Kind::Code12,
            CODE_HELP,
        ),
        col(
            Col::VillageName,
            "村(社区)名称",
            &["村名"],
            Kind::Text,
            NAME_HELP,
        ),
        col(
            Col::StarApplied,
            "申报星级",
            &[],
            Kind::Star,
            "申报的星级,填 1 到 5 的整数",
        ),
        col(
            Col::ScoreRepresentatives,
            "群众代表评议得分",
            &["代表评议得分"],
            Kind::Score,
            "0 到 100 分,最多一位小数",
        ),
        col(
            Col::ScoreTownship,
            "镇街考核得分",
            &["镇街打分"],
            Kind::Score,
            "0 到 100 分,最多一位小数",
        ),
        opt(
            Col::FundsLastYear,
            "上年度奖励经费(元)",
            &["上年度奖励经费"],
            Kind::Money,
            "元,可不填",
        ),
        opt(
            Col::FundsSpent,
            "本年度已支出经费(元)",
            &["本年度已支出经费"],
            Kind::Money,
            "元,可不填;不应超过上年度奖励经费",
        ),
        opt(Col::Remark, "备注", &[], Kind::Text, "其他需要说明的情况"),
    ],
};

pub const EXPLANATIONS: SheetSpec = SheetSpec {
    id: SheetId::Explanations,
    name: "情况说明",
    per_village: false,
    required: false,
    help: "可选。对“提示”类问题作出说明:填写规则编号(如 P05)、村(社区)代码和说明,县里核对后视为已说明。错误类问题不能用说明代替修改。",
    columns: &[
        col(Col::RuleCode, "规则编号", &[], Kind::Text, "提示的规则编号,如 P05"),
        col(Col::VillageCode, "村(社区)代码", &["村代码"], Kind::Code12, CODE_HELP),
        col(Col::Explanation, "说明", &[], Kind::Text, "说明原因"),
    ],
};

/// The data sheets, in template order.
pub const DATA_SHEETS: [&SheetSpec; 6] =
    [&SIGNS, &SIGN_DETAIL, &ROOMS, &DUTY, &STARS, &EXPLANATIONS];

/// The most columns a data sheet has.
pub(crate) const MAX_COLUMNS: usize = {
    let mut most = 0;
    let mut i = 0;
    while i < DATA_SHEETS.len() {
        if DATA_SHEETS[i].columns.len() > most {
            most = DATA_SHEETS[i].columns.len();
        }
        i += 1;
    }
    most
};

/// The four sheets with one row per village (X01).
pub const VILLAGE_SHEETS: [&SheetSpec; 4] = [&SIGNS, &ROOMS, &DUTY, &STARS];

pub fn data_sheet(id: SheetId) -> Option<&'static SheetSpec> {
    DATA_SHEETS.iter().copied().find(|s| s.id == id)
}

pub(crate) const GUIDE_SHEET: &str = "填报说明";
pub const COVER_SHEET: &str = "基本信息";

/// Sheet name → its id, for every sheet the template has.
pub fn sheet_name(id: SheetId) -> &'static str {
    match id {
        SheetId::Guide => GUIDE_SHEET,
        SheetId::Cover => COVER_SHEET,
        other => data_sheet(other).map(|s| s.name).unwrap_or(""),
    }
}

pub const ALL_SHEETS: [SheetId; 8] = [
    SheetId::Guide,
    SheetId::Cover,
    SheetId::Signs,
    SheetId::SignDetail,
    SheetId::Rooms,
    SheetId::Duty,
    SheetId::Stars,
    SheetId::Explanations,
];

/// Labels of the cover sheet 基本信息.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoverField {
    County,
    Township,
    TownshipCode,
    Period,
    Filler,
    Phone,
    Reviewer,
    FillDate,
    TemplateVersion,
}

#[derive(Debug)]
pub struct CoverSpec {
    pub id: CoverField,
    pub label: &'static str,
    pub required: bool,
    pub help: &'static str,
}

pub const COVER: [CoverSpec; 9] = [
    CoverSpec {
        id: CoverField::County,
        label: "县(市、区)",
        required: true,
        help: "县(市、区)名称",
    },
    CoverSpec {
        id: CoverField::Township,
        label: "乡镇(街道)",
        required: true,
        help: "乡镇(街道)名称,与名册一致",
    },
    CoverSpec {
        id: CoverField::TownshipCode,
        label: "乡镇(街道)代码",
        required: true,
        help: "9位统计用区划代码,如 990101103",
    },
    CoverSpec {
        id: CoverField::Period,
        label: "填报期间",
        required: true,
        help: "月份,如 2024-06",
    },
    CoverSpec {
        id: CoverField::Filler,
        label: "填报人",
        required: true,
        help: "填报人姓名",
    },
    CoverSpec {
        id: CoverField::Phone,
        label: "联系电话",
        required: true,
        help: "11位手机号,或带区号的固定电话,如 0597-1234567",
    },
    CoverSpec {
        id: CoverField::Reviewer,
        label: "审核人",
        required: false,
        help: "审核人姓名,可不填",
    },
    CoverSpec {
        id: CoverField::FillDate,
        label: "填报日期",
        required: true,
        help: "日期,如 2024-06-28",
    },
    CoverSpec {
        id: CoverField::TemplateVersion,
        label: "模板版本",
        required: false,
        help: "模板自带,请勿修改",
    },
];

pub(crate) fn cover_spec(id: CoverField) -> &'static CoverSpec {
    COVER
        .iter()
        .find(|c| c.id == id)
        .expect("every cover field has a spec")
}

/// Column letters of a 0-based column index (0 → A, 16383 → XFD).
pub(crate) fn col_letters(mut col: u32) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (col % 26) as u8);
        if col < 26 {
            break;
        }
        col = col / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

/// A1-style reference of a 0-based (row, col), as Excel shows it.
pub fn cell_ref(row: u32, col: u32) -> String {
    format!("{}{}", col_letters(col), row + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters_match_excel() {
        assert_eq!(cell_ref(0, 0), "A1");
        assert_eq!(cell_ref(6, 5), "F7");
        assert_eq!(col_letters(25), "Z");
        assert_eq!(col_letters(26), "AA");
        assert_eq!(col_letters(16383), "XFD");
    }

    #[test]
    fn every_sheet_header_and_alias_is_unique_within_its_sheet() {
        for sheet in DATA_SHEETS {
            let mut seen = std::collections::HashSet::new();
            for c in sheet.columns {
                for name in std::iter::once(&c.header).chain(c.aliases) {
                    let n = crate::read::normalise::header_key(name);
                    assert!(seen.insert(n.clone()), "{} 重复表头 {n}", sheet.name);
                }
            }
        }
    }
}
