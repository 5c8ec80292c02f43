//! Cadres on duty (D01–D05): the rota against the committee, days in the
//! month, activities and dedicated managers.

use super::Context;
use crate::finding::{Code, Finding};
use crate::model::Return;
use crate::schema::{Col, SheetId};
use rust_decimal::Decimal;

pub(crate) fn check(ret: &Return, ctx: &Context, out: &mut Vec<Finding>) {
    let limits = &ctx.policy.limits;
    let Some(t) = ret.table(SheetId::Duty) else {
        return;
    };
    for row in &t.rows {
        let n = |c| t.num(row, c);
        let cadres = n(Col::Cadres);
        if let (Some(c), Some(d)) = (cadres, n(Col::OnDuty)) {
            if d > c {
                out.push(t.finding(
                    Finding::new(
                        Code::D01,
                        format!("坐班轮值人数 {d} 多于两委干部人数 {c},请核对"),
                    ),
                    row,
                    Col::OnDuty,
                ));
            }
        }
        if let (Some(days), Some(p)) = (n(Col::DutyDays), ret.cover.period) {
            if days > Decimal::from(p.days()) {
                out.push(t.finding(
                    Finding::new(
                        Code::D02,
                        format!(
                            "本月坐班天数 {days} 超过 {} 月的 {} 天,请核对",
                            p.month,
                            p.days()
                        ),
                    ),
                    row,
                    Col::DutyDays,
                ));
            }
        }
        if let Some(c) = cadres {
            if c < Decimal::from(limits.cadres_min) || c > Decimal::from(limits.cadres_max) {
                out.push(t.finding(
                    Finding::new(
                        Code::D03,
                        format!(
                            "两委干部 {c} 人,不在通常的 {} 到 {} 人之间。请核对,如属实请在“情况说明”中说明",
                            limits.cadres_min, limits.cadres_max
                        ),
                    ),
                    row,
                    Col::Cadres,
                ));
            }
        }
        if let (Some(a), Some(p)) = (n(Col::Activities), n(Col::Participants)) {
            let none = a > Decimal::ZERO && p == Decimal::ZERO;
            // Without an activity there is no figure per activity.
            let crowd = a > Decimal::ZERO && p > a * Decimal::from(limits.max_per_activity);
            if none || crowd {
                let why = if none {
                    format!("开展了 {a} 场特色活动,参与群众人次却为 0")
                } else {
                    format!(
                        "{a} 场活动共 {p} 人次,平均每场超过 {} 人次",
                        limits.max_per_activity
                    )
                };
                out.push(t.finding(
                    Finding::new(Code::D04, format!("{why}。请核对活动场次和参与人次")),
                    row,
                    Col::Participants,
                ));
            }
        }
        if n(Col::Managers) == Some(Decimal::ZERO) {
            out.push(t.finding(
                Finding::new(
                    Code::D05,
                    "未配备党群服务中心专管员,请落实专管员;已配备的请填写人数",
                ),
                row,
                Col::Managers,
            ));
        }
    }
}
