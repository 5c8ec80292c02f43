//! The columns the county's figures are named by: 汇总's columns in the
//! order of `outputs.md` ([`SUMMARY_COLUMNS`]), the 环比 figures, and the
//! header constants every writer shares.

use crate::finding::Code;
use crate::schema::{self, Col, Kind, SheetId, SheetSpec};

/// 乡镇(街道)代码.
pub(crate) const TOWNSHIP_CODE: &str = "乡镇(街道)代码";
/// 乡镇(街道).
pub(crate) const TOWNSHIP: &str = "乡镇(街道)";
/// 县(市、区)代码 (city or province runs).
pub(crate) const COUNTY_CODE: &str = "县(市、区)代码";
/// 县(市、区) (city or province runs).
pub(crate) const COUNTY: &str = "县(市、区)";
/// 报送状态.
pub(crate) const STATUS: &str = "报送状态";
/// 村(社区)数.
pub(crate) const VILLAGES: &str = "村(社区)数";
/// 摘牌率 = 累计摘除数 / 清理前标牌数.
pub(crate) const REMOVAL_RATE: &str = "摘牌率";
/// 负面清单标牌数 (P03 findings).
pub(crate) const NEGATIVE_SIGNS: &str = "负面清单标牌数";
/// 目录外未备案标牌数 (P04 findings).
pub(crate) const UNFILED_SIGNS: &str = "目录外未备案标牌数";
/// 服务面积占比 = 服务 / (服务 + 办公).
pub(crate) const SERVICE_SHARE: &str = "服务面积占比";
/// 集中办公村数.
pub(crate) const SHARED_OFFICE_VILLAGES: &str = "集中办公村数";
/// 七个有达标村数.
pub(crate) const SEVEN_VILLAGES: &str = "七个有达标村数";
/// 错误数.
pub(crate) const ERRORS: &str = "错误数";
/// 提示数.
pub(crate) const WARNINGS: &str = "提示数";
/// 村(社区)代码 (from the schema).
pub(crate) const VILLAGE_CODE: &str = "村(社区)代码";
/// 村(社区)名称 (from the schema).
pub(crate) const VILLAGE_NAME: &str = "村(社区)名称";
/// 环比提示: the H codes of a village.
pub(crate) const MOM_FLAGS: &str = "环比提示";
/// Suffixes of the 环比 columns.
pub(crate) const THIS_PERIOD: &str = "本期";
pub(crate) const LAST_PERIOD: &str = "上期";
pub(crate) const CHANGE: &str = "变动";
/// Label of the 合计 row and suffix of a county's subtotal row.
pub(crate) const TOTAL_LABEL: &str = "合计";
pub(crate) const SUBTOTAL_SUFFIX: &str = "小计";

/// The H codes shown in 环比提示, in this order.
pub(crate) const MOM_CODES: [Code; 5] = [Code::H01, Code::H02, Code::H03, Code::H04, Code::H05];

/// One column of 汇总.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SummaryCol {
    TownshipCode,
    Township,
    Status,
    Villages,
    /// The sum of a schema column over the used villages.
    Sum(SheetId, Col),
    RemovalRate,
    NegativeSigns,
    UnfiledSigns,
    ServiceShare,
    SharedOffice,
    Seven,
    Errors,
    Warnings,
}

impl SummaryCol {
    /// The exact header of `outputs.md`.
    pub(crate) fn header(self) -> &'static str {
        match self {
            SummaryCol::TownshipCode => TOWNSHIP_CODE,
            SummaryCol::Township => TOWNSHIP,
            SummaryCol::Status => STATUS,
            SummaryCol::Villages => VILLAGES,
            SummaryCol::Sum(sheet, col) => header_of(sheet, col),
            SummaryCol::RemovalRate => REMOVAL_RATE,
            SummaryCol::NegativeSigns => NEGATIVE_SIGNS,
            SummaryCol::UnfiledSigns => UNFILED_SIGNS,
            SummaryCol::ServiceShare => SERVICE_SHARE,
            SummaryCol::SharedOffice => SHARED_OFFICE_VILLAGES,
            SummaryCol::Seven => SEVEN_VILLAGES,
            SummaryCol::Errors => ERRORS,
            SummaryCol::Warnings => WARNINGS,
        }
    }

    /// A figure that is summed (into 合计 and subtotals) over used townships.
    pub(crate) fn is_figure(self) -> bool {
        matches!(
            self,
            SummaryCol::Villages
                | SummaryCol::Sum(..)
                | SummaryCol::NegativeSigns
                | SummaryCol::UnfiledSigns
                | SummaryCol::SharedOffice
                | SummaryCol::Seven
        )
    }

    #[cfg(test)]
    /// A share, recomputed from sums (never summed).
    pub(crate) fn is_ratio(self) -> bool {
        matches!(self, SummaryCol::RemovalRate | SummaryCol::ServiceShare)
    }
}

/// The 汇总 columns, in the order of `outputs.md`.
pub(crate) const SUMMARY_COLUMNS: [SummaryCol; 26] = [
    SummaryCol::TownshipCode,
    SummaryCol::Township,
    SummaryCol::Status,
    SummaryCol::Villages,
    SummaryCol::Sum(SheetId::Signs, Col::SignsBefore),
    SummaryCol::Sum(SheetId::Signs, Col::SignsRemoved),
    SummaryCol::Sum(SheetId::Signs, Col::SignsNow),
    SummaryCol::Sum(SheetId::Signs, Col::WallRules),
    SummaryCol::RemovalRate,
    SummaryCol::NegativeSigns,
    SummaryCol::UnfiledSigns,
    SummaryCol::Sum(SheetId::Rooms, Col::RoomsTotal),
    SummaryCol::Sum(SheetId::Rooms, Col::RoomsMerged),
    SummaryCol::Sum(SheetId::Rooms, Col::RoomsNew),
    SummaryCol::Sum(SheetId::Rooms, Col::AreaService),
    SummaryCol::Sum(SheetId::Rooms, Col::AreaOffice),
    SummaryCol::ServiceShare,
    SummaryCol::SharedOffice,
    SummaryCol::Seven,
    SummaryCol::Sum(SheetId::Duty, Col::Cadres),
    SummaryCol::Sum(SheetId::Duty, Col::OnDuty),
    SummaryCol::Sum(SheetId::Duty, Col::Managers),
    SummaryCol::Sum(SheetId::Duty, Col::Activities),
    SummaryCol::Sum(SheetId::Duty, Col::Participants),
    SummaryCol::Errors,
    SummaryCol::Warnings,
];

#[cfg(test)]
/// The 汇总 headers, in order.
pub(crate) fn summary_headers() -> Vec<&'static str> {
    SUMMARY_COLUMNS.iter().map(|c| c.header()).collect()
}

/// The stock and cumulative figures compared in 环比, in order.
pub(crate) const MOM_FIGURES: [(SheetId, Col); 10] = [
    (SheetId::Signs, Col::SignsBefore),
    (SheetId::Signs, Col::SignsRemoved),
    (SheetId::Signs, Col::SignsFiled),
    (SheetId::Signs, Col::SignsNow),
    (SheetId::Signs, Col::WallRules),
    (SheetId::Rooms, Col::RoomsTotal),
    (SheetId::Rooms, Col::RoomsMerged),
    (SheetId::Rooms, Col::RoomsNew),
    (SheetId::Rooms, Col::AreaService),
    (SheetId::Duty, Col::Cadres),
];

/// The schema header of a column of a data sheet.
pub(crate) fn header_of(sheet: SheetId, col: Col) -> &'static str {
    spec_of(sheet).columns[spec_of(sheet).index_of(col)].header
}

pub(super) fn spec_of(sheet: SheetId) -> &'static SheetSpec {
    schema::data_sheet(sheet).unwrap_or_else(|| panic!("{sheet:?} is not a data sheet"))
}

/// Is a schema kind written as a number?
pub(super) fn is_number(kind: Kind) -> bool {
    kind.numeric().is_some()
}
