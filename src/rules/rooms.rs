//! Rooms (M01–M04): room counts, office vs service floor area, shared hall.

use super::Context;
use crate::finding::{Code, Finding};
use crate::model::Return;
use crate::schema::{Col, SheetId};
use rust_decimal::Decimal;

pub(crate) fn check(ret: &Return, ctx: &Context, out: &mut Vec<Finding>) {
    let limits = &ctx.policy.limits;
    let Some(t) = ret.table(SheetId::Rooms) else {
        return;
    };
    for row in &t.rows {
        let n = |c| t.num(row, c);
        let total = n(Col::RoomsTotal);
        if let (Some(total), Some(office), Some(service)) =
            (total, n(Col::RoomsOffice), n(Col::RoomsService))
        {
            if office + service != total {
                out.push(t.finding(
                    Finding::new(
                        Code::M01,
                        format!(
                            "办公用房数 {office} + 服务用房数 {service} = {},不等于房间总数 {total}。请核对",
                            office + service
                        ),
                    ),
                    row,
                    Col::RoomsTotal,
                ));
            }
        }
        let (service_area, office_area) = (n(Col::AreaService), n(Col::AreaOffice));
        if let (Some(s), Some(o)) = (service_area, office_area) {
            let sum = s + o;
            if sum > Decimal::ZERO && o > limits.max_office_share.0 * sum {
                let share = over(
                    o / sum * Decimal::from(100),
                    limits.max_office_share.0 * Decimal::from(100),
                );
                out.push(t.finding(
                    Finding::new(
                        Code::M02,
                        format!(
                            "办公场所面积占 {share}%,超过 {}%。应“服务空间最大化、办公场所最小化”,请压缩办公面积或在“情况说明”中说明",
                            (limits.max_office_share.0 * Decimal::from(100)).normalize()
                        ),
                    ),
                    row,
                    Col::AreaOffice,
                ));
            }
            if let Some(total) = total {
                let too_small = total > Decimal::ZERO && sum == Decimal::ZERO;
                let too_large = total > Decimal::ZERO && sum > limits.max_area_per_room.0 * total;
                if too_small || too_large {
                    let why = if too_small {
                        format!("房间总数为 {total},但服务和办公面积都是 0")
                    } else {
                        format!(
                            "平均每间 {} ㎡,超过 {} ㎡",
                            over(sum / total, limits.max_area_per_room.0).normalize(),
                            limits.max_area_per_room.0.normalize()
                        )
                    };
                    out.push(t.finding(
                        Finding::new(
                            Code::M04,
                            format!("{why}。请核对面积(单位为平方米)和房间数"),
                        ),
                        row,
                        Col::RoomsTotal,
                    ));
                }
            }
        }
        if t.flag(row, Col::SharedOffice) == Some(false) {
            out.push(t.finding(
                Finding::new(
                    Code::M03,
                    "村干部未集中办公。应在一个大厅集中办公、面对面服务群众;已整改的请改为“是”",
                ),
                row,
                Col::SharedOffice,
            ));
        }
    }
}

/// `value` (over `limit`) rounded to one decimal place — or to as many
/// more as it takes not to read as the limit itself (30.02 %, not 30.0 %
/// "over 30 %").
fn over(value: Decimal, limit: Decimal) -> Decimal {
    (1..=6)
        .map(|dp| value.round_dp(dp))
        .find(|shown| *shown > limit)
        .unwrap_or(value)
}
