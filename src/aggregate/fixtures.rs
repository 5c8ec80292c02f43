//! Batches built from real returns (demo data → template → reader →
//! rules → `batch::decide`), for the tests of this module and the writers.

use crate::batch::{self, Batch, Expected};
use crate::kit::demo::{self, Rng, Township, Village};
use crate::model::{Loaded, Return};
use crate::policy::Policy;
use crate::read::normalise::{Date, Period};
use crate::rules::{self, Context};
use crate::schema::{self, Col, SheetId};
use crate::write::template::{self, Fill, TemplateInput, Value};
use std::path::Path;

pub(crate) const JUNE: Period = Period {
    year: 2024,
    month: 6,
};
pub(crate) const MAY: Period = Period {
    year: 2024,
    month: 5,
};
/// The clean township (used), the one with an error (退回) and the
/// expected one that sent nothing (未报送).
pub(crate) const A: &str = "990101103";
pub(crate) const B: &str = "990101104";
pub(crate) const C: &str = "990101105";
pub(crate) const FILE_A: &str = "990101103_白砂镇.xlsx";
pub(crate) const FILE_B: &str = "990101104_樟黄镇.xlsx";

pub(crate) fn township(code: &str, name: &str, n: usize, period: Period, seed: u64) -> Township {
    let policy = Policy::default_rules();
    let mut rng = Rng::new(seed);
    let names = demo::village_names(n, false, &mut rng);
    let villages: Vec<(String, String)> = names
        .into_iter()
        .enumerate()
        .map(|(i, v)| (format!("{code}{:03}", 201 + i), v))
        .collect();
    demo::township("示范县", code, name, &villages, period, &policy, &mut rng)
}

fn num(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        other => panic!("not a number: {other:?}"),
    }
}

/// Add a hanging sign to village row `k`, keeping P01 and X02 balanced.
pub(crate) fn add_sign(fill: &mut Fill, k: usize, code: &str, name: &str) {
    let row = demo::row(
        &schema::SIGN_DETAIL,
        vec![
            (Col::VillageCode, Value::Text(code.into())),
            (Col::SignName, Value::Text(name.into())),
        ],
    );
    fill.rows.get_mut(&SheetId::SignDetail).unwrap().push(row);
    for c in [Col::SignsNow, Col::SignsBefore] {
        bump(fill, SheetId::Signs, k, c, 1.0);
    }
}

/// Add `by` to a number of village row `k`.
pub(crate) fn bump(fill: &mut Fill, sheet: SheetId, k: usize, c: Col, by: f64) {
    let i = schema::data_sheet(sheet).unwrap().index_of(c);
    let cell = &mut fill.rows.get_mut(&sheet).unwrap()[k][i];
    *cell = Value::Number(num(cell) + by);
}

/// Write, read and check one return as `consolidate` does.
pub(crate) fn load(name: &str, fill: &Fill, period: Period, previous: Option<&Return>) -> Loaded {
    let policy = Policy::default_rules();
    let input = TemplateInput {
        policy: &policy,
        period: Some(period),
        fill,
    };
    let bytes = template::build(&input).unwrap().save_to_buffer().unwrap();
    let mut loaded = crate::read::read_bytes(name, Path::new(name), &bytes, &policy, Some(period));
    let ctx = Context {
        policy: &policy,
        office_code: Some("990101"),
        roster: None,
        previous,
        placements: None,
    };
    rules::check_loaded(&mut loaded, &ctx);
    loaded
}

pub(crate) fn expected(codes: &[(&str, &str)]) -> Vec<Expected> {
    codes
        .iter()
        .map(|(c, n)| Expected {
            code: c.to_string(),
            name: n.to_string(),
            county_code: Some("990101".into()),
            county_name: Some("示范县".into()),
        })
        .collect()
}

/// The June batch: A used (with one P03 and one P04 sign on its first
/// two villages), B 退回 (M01 on its first village), C 未报送.
pub(crate) struct June {
    pub batch: Batch,
    /// A's villages as generated (before the two added signs).
    pub a: Township,
    pub b: Township,
}

pub(crate) fn june() -> June {
    let a = township(A, "白砂镇", 3, JUNE, 11);
    let b = township(B, "樟黄镇", 2, JUNE, 12);
    let mut fa = demo::fill(&a);
    add_sign(&mut fa, 0, &a.villages[0].code, "樟黄村廉洁工作站");
    add_sign(&mut fa, 1, &a.villages[1].code, "乡村振兴促进会");
    let mut fb = demo::fill(&b);
    bump(&mut fb, SheetId::Rooms, 0, Col::RoomsTotal, 1.0);
    let files = vec![load(FILE_A, &fa, JUNE, None), load(FILE_B, &fb, JUNE, None)];
    let exp = expected(&[(A, "白砂镇"), (B, "樟黄镇"), (C, "溪口乡")]);
    June {
        batch: batch::decide(JUNE, files, &exp, false),
        a,
        b,
    }
}

/// Sum of a figure over villages.
pub(crate) fn total(vs: &[Village], f: impl Fn(&Village) -> i64) -> f64 {
    vs.iter().map(f).sum::<i64>() as f64
}

/// May and June of township A: 201 and 202 in both months (202's
/// 清理前标牌数 +1 in June: H03), 203 only in May, 204 only in June (H04
/// for both).
pub(crate) struct TwoMonths {
    pub may: Batch,
    pub june: Batch,
    pub before: Vec<Village>,
    pub after: Vec<Village>,
}

pub(crate) fn two_months() -> TwoMonths {
    let policy = Policy::default_rules();
    let may_t = township(A, "白砂镇", 3, MAY, 21);
    let may_loaded = load(FILE_A, &demo::fill(&may_t), MAY, None);
    let prev_ret = may_loaded.ret.clone().expect("May reads");
    let mut rng = Rng::new(5);
    let mut june_t = may_t.clone();
    june_t.period = JUNE;
    june_t.fill_date = Date::new(2024, 6, 25).unwrap();
    june_t.villages = may_t.villages[..2]
        .iter()
        .map(|v| demo::next_month(v, JUNE, &mut rng))
        .collect();
    june_t.villages[1].signs_before += 1;
    june_t.villages[1].removed += 1;
    june_t.villages.push(demo::village(
        format!("{A}204"),
        "新安村".into(),
        JUNE,
        &policy,
        &mut rng,
    ));
    let june_loaded = load(FILE_A, &demo::fill(&june_t), JUNE, Some(&prev_ret));
    let exp = expected(&[(A, "白砂镇")]);
    TwoMonths {
        may: batch::decide(MAY, vec![may_loaded], &exp, false),
        june: batch::decide(JUNE, vec![june_loaded], &exp, false),
        before: may_t.villages,
        after: june_t.villages,
    }
}
