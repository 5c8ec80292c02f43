//! Every column the tool writes, declared once by its header: its look
//! (number format, wrapping) and so its width. A column shown in several
//! workbooks (乡镇(街道)代码, 错误数, 说明, 档次经费(元) …) looks the same in
//! each. A return's own columns take the look of their schema kind; the
//! 环比 columns follow the figure they compare.

use crate::aggregate::{CHANGE, LAST_PERIOD, MOM_FIGURES, THIS_PERIOD};
use crate::schema::{self, Kind};
use crate::write::grid::ColFmt;

/// Columns that are not a return's own, with their look.
const DECLARED: &[(&str, ColFmt)] = &[
    // Places and statuses.
    ("乡镇(街道)代码", ColFmt::Text),
    ("乡镇(街道)", ColFmt::Text),
    ("县(市、区)代码", ColFmt::Text),
    ("县(市、区)", ColFmt::Text),
    ("报送状态", ColFmt::Text),
    ("状态", ColFmt::Text),
    ("月份", ColFmt::Text),
    ("已汇总", ColFmt::Text),
    // 汇总 and 进度 figures.
    ("村(社区)数", ColFmt::Integer),
    ("摘牌率", ColFmt::Percent),
    ("负面清单标牌数", ColFmt::Integer),
    ("目录外未备案标牌数", ColFmt::Integer),
    ("服务面积占比", ColFmt::Percent),
    ("集中办公村数", ColFmt::Integer),
    ("七个有达标村数", ColFmt::Integer),
    ("错误数", ColFmt::Integer),
    ("提示数", ColFmt::Integer),
    ("已说明提示数", ColFmt::Integer),
    // Files and findings.
    ("文件", ColFmt::Text),
    ("SHA-256", ColFmt::Text),
    ("填报人", ColFmt::Text),
    ("联系电话", ColFmt::Text),
    ("填报日期", ColFmt::Date),
    ("序号", ColFmt::Integer),
    ("工作表", ColFmt::Text),
    ("单元格", ColFmt::Text),
    ("规则编号", ColFmt::Text),
    ("级别", ColFmt::Text),
    ("说明", ColFmt::Wrap(60.0)),
    ("原值", ColFmt::Text),
    ("已说明", ColFmt::Text),
    ("环比提示", ColFmt::Text),
    // Ratings and money.
    ("区级评定得分", ColFmt::OneDecimal),
    ("综合得分", ColFmt::OneDecimal),
    ("测算星级", ColFmt::Integer),
    ("降星原因", ColFmt::Wrap(30.0)),
    ("核定星级", ColFmt::Integer),
    ("星级", ColFmt::Text),
    ("档次经费(元)", ColFmt::Money),
    ("核拨经费(元)", ColFmt::Money),
    ("每村档次经费(元)", ColFmt::Money),
    ("5星", ColFmt::Integer),
    ("4星", ColFmt::Integer),
    ("3星", ColFmt::Integer),
    ("2星", ColFmt::Integer),
    ("1星", ColFmt::Integer),
    ("0星(未定级)", ColFmt::Integer),
    ("待评定", ColFmt::Integer),
    ("不予评定", ColFmt::Integer),
    // Label/value tables (预算, 规则): a value carries its own look.
    ("项目", ColFmt::Text),
    ("类别", ColFmt::Text),
    ("数值", ColFmt::Text),
    ("值", ColFmt::Text),
];

/// The look of a return column's kind.
pub(crate) fn look_of_kind(kind: Kind) -> ColFmt {
    match kind {
        Kind::Area | Kind::Score => ColFmt::OneDecimal,
        Kind::Money => ColFmt::Money,
        Kind::Count | Kind::Star => ColFmt::Integer,
        _ => ColFmt::Text,
    }
}

/// The look of the column headed `header`. Every header the tool writes is
/// declared (a test writes every workbook and checks); an undeclared one
/// is text.
pub(crate) fn look(header: &str) -> ColFmt {
    if let Some((_, look)) = DECLARED.iter().find(|(h, _)| *h == header) {
        return *look;
    }
    let own = schema::DATA_SHEETS
        .iter()
        .flat_map(|s| s.columns.iter())
        .find(|c| c.header == header);
    if let Some(c) = own {
        return look_of_kind(c.kind);
    }
    for (sheet, col) in MOM_FIGURES {
        let spec = schema::data_sheet(sheet).expect("a data sheet");
        let column = &spec.columns[spec.index_of(col)];
        if [THIS_PERIOD, LAST_PERIOD, CHANGE]
            .iter()
            .any(|s| header.strip_suffix(s) == Some(column.header))
        {
            return look_of_kind(column.kind);
        }
    }
    debug_assert!(false, "output column “{header}” is not declared");
    ColFmt::Text
}

/// The looks of a row of headers.
pub(crate) fn looks<S: AsRef<str>>(headers: &[S]) -> Vec<ColFmt> {
    headers.iter().map(|h| look(h.as_ref())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_look_per_column_wherever_it_is_shown() {
        assert_eq!(look("摘牌率"), ColFmt::Percent);
        assert_eq!(look("服务面积占比"), ColFmt::Percent);
        assert_eq!(look("服务场所面积(㎡)"), ColFmt::OneDecimal);
        assert_eq!(look("服务场所面积(㎡)变动"), ColFmt::OneDecimal);
        assert_eq!(look("清理前标牌数上期"), ColFmt::Integer);
        assert_eq!(look("群众代表评议得分"), ColFmt::OneDecimal);
        assert_eq!(look("上年度奖励经费(元)"), ColFmt::Money);
        assert_eq!(look("村(社区)数"), ColFmt::Integer);
        assert_eq!(look("村(社区)名称"), ColFmt::Text);
        assert_eq!(look("乡镇(街道)代码"), ColFmt::Text);
        assert_eq!(look("说明"), ColFmt::Wrap(60.0));
        // Declared once: no header twice in the table.
        for (i, (h, _)) in DECLARED.iter().enumerate() {
            assert!(
                DECLARED[i + 1..].iter().all(|(o, _)| o != h),
                "{h} declared twice"
            );
        }
    }
}
