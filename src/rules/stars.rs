//! Stars and funding within one return (T02: money spent against money given).

use super::Context;
use crate::finding::{Code, Finding};
use crate::model::Return;
use crate::schema::{Col, SheetId};

pub(crate) fn check(ret: &Return, _ctx: &Context, out: &mut Vec<Finding>) {
    let Some(t) = ret.table(SheetId::Stars) else {
        return;
    };
    for row in &t.rows {
        if let (Some(given), Some(spent)) =
            (t.num(row, Col::FundsLastYear), t.num(row, Col::FundsSpent))
        {
            if spent > given {
                out.push(t.finding(
                    Finding::new(
                        Code::T02,
                        format!("本年度已支出经费 {spent} 元,超过上年度奖励经费 {given} 元。请核对,或在“情况说明”中说明资金来源"),
                    ),
                    row,
                    Col::FundsSpent,
                ));
            }
        }
    }
}
