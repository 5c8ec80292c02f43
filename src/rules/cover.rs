//! C04 and C05: the township against the office's code and the roster.

use super::Context;
use crate::finding::{Code, Finding};
use crate::model::{sheet_order, Return};
use crate::read::normalise::clean;
use crate::schema::{CoverField, SheetId};

pub(crate) fn check(ret: &Return, ctx: &Context, out: &mut Vec<Finding>) {
    let cover = &ret.cover;
    let Some(code) = cover.township_code.as_deref() else {
        return;
    };
    let at = |id: CoverField, f: Finding| match cover.rows.get(&id) {
        Some(row) => f.at(&cover.sheet, sheet_order(SheetId::Cover), *row, 1),
        None => f.on_sheet(&cover.sheet, sheet_order(SheetId::Cover)),
    };
    if let Some(office) = ctx.office_code {
        if !code.starts_with(office) {
            out.push(
                at(
                    CoverField::TownshipCode,
                    Finding::new(
                        Code::C04,
                        format!("乡镇(街道)代码 {code} 不以本单位代码 {office} 开头,不属于本次汇总范围。请核对代码"),
                    ),
                )
                .value(code),
            );
            return;
        }
    }
    let Some(roster) = ctx.roster else { return };
    match roster.townships.get(code) {
        None => out.push(
            at(
                CoverField::TownshipCode,
                Finding::new(
                    Code::C04,
                    format!("乡镇(街道)代码 {code} 不在名册中。请核对代码,或请县里更新名册"),
                ),
            )
            .value(code),
        ),
        Some(name) => {
            if let Some(given) = &cover.township {
                if clean(given) != *name {
                    out.push(
                        at(
                            CoverField::Township,
                            Finding::new(
                                Code::C05,
                                format!("乡镇(街道)名称“{given}”与名册中代码 {code} 的名称“{name}”不一致,请核对"),
                            ),
                        )
                        .value(given.clone()),
                    );
                }
            }
        }
    }
}
