//! Tests of the county's figures over fixture batches.

use super::fixtures::*;
use super::*;
use crate::batch::Status;
use crate::finding::Level;
use crate::schema::{self, Col, SheetId};
use polars::prelude::*;

fn f64_at(df: &DataFrame, name: &str, row: usize) -> Option<f64> {
    df.column(name).unwrap().f64().unwrap().get(row)
}

fn str_at(df: &DataFrame, name: &str, row: usize) -> Option<String> {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .get(row)
        .map(str::to_string)
}

#[test]
fn fixture_statuses_are_as_meant() {
    let j = june();
    let st: Vec<(String, Status)> = j
        .batch
        .townships
        .iter()
        .map(|t| (t.code.clone(), t.status))
        .collect();
    assert_eq!(
        st,
        [
            (A.to_string(), Status::Used),
            (B.to_string(), Status::Rejected),
            (C.to_string(), Status::NotSent)
        ]
    );
    let codes: Vec<&str> = j.batch.findings().iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["P03", "P04", "M01"], "{:#?}", j.batch.findings());
}

#[test]
fn village_frame_has_used_villages_only_in_order() {
    let j = june();
    let df = village_frame(&j.batch, SheetId::Signs).unwrap();
    let mut want = vec![TOWNSHIP_CODE, TOWNSHIP];
    want.extend(schema::SIGNS.columns.iter().map(|c| c.header));
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names, want);
    assert_eq!(df.height(), 3);
    for (i, v) in j.a.villages.iter().enumerate() {
        assert_eq!(str_at(&df, TOWNSHIP_CODE, i).as_deref(), Some(A));
        assert_eq!(str_at(&df, TOWNSHIP, i).as_deref(), Some("白砂镇"));
        assert_eq!(str_at(&df, VILLAGE_CODE, i), Some(v.code.clone()));
        assert_eq!(
            f64_at(&df, "累计摘除数", i),
            Some(v.removed as f64),
            "row {i}"
        );
    }
    // 标牌明细: one row per sign, the added ones last of their village.
    let detail = village_frame(&j.batch, SheetId::SignDetail).unwrap();
    let signs: usize = j.a.villages.iter().map(|v| v.signs.len()).sum();
    assert_eq!(detail.height(), signs + 2);
    let v0 = j.a.villages[0].signs.len();
    assert_eq!(
        str_at(&detail, "标牌名称", v0).as_deref(),
        Some("樟黄村廉洁工作站")
    );
    assert_eq!(
        str_at(&detail, "标牌名称", 0),
        Some(j.a.villages[0].signs[0].name.clone())
    );
    // Yes/no as 是/否, areas as numbers.
    let rooms = village_frame(&j.batch, SheetId::Rooms).unwrap();
    assert_eq!(str_at(&rooms, "干部集中办公", 0).as_deref(), Some("是"));
    assert_eq!(
        f64_at(&rooms, "服务场所面积(㎡)", 1),
        Some(j.a.villages[1].area_service_dm as f64 / 10.0)
    );
}

#[test]
fn summary_sums_used_townships_only() {
    let j = june();
    let s = summary(&j.batch).unwrap();
    let names: Vec<String> = s.get_column_names().iter().map(|s| s.to_string()).collect();
    assert_eq!(names, summary_headers());
    assert_eq!(
        summary_headers(),
        [
            "乡镇(街道)代码",
            "乡镇(街道)",
            "报送状态",
            "村(社区)数",
            "清理前标牌数",
            "累计摘除数",
            "现有标牌数",
            "上墙制度数",
            "摘牌率",
            "负面清单标牌数",
            "目录外未备案标牌数",
            "房间总数",
            "累计整合清理房间数",
            "累计新建特色功能室数",
            "服务场所面积(㎡)",
            "办公场所面积(㎡)",
            "服务面积占比",
            "集中办公村数",
            "七个有达标村数",
            "两委干部人数",
            "坐班轮值人数",
            "专管员人数",
            "本月特色活动场次",
            "参与群众人次",
            "错误数",
            "提示数"
        ]
    );
    assert_eq!(s.height(), 3);
    let vs = &j.a.villages;
    // Two signs were added to A's villages (清理前 and 现有 +1 each).
    let before = total(vs, |v| v.signs_before) + 2.0;
    let removed = total(vs, |v| v.removed);
    assert_eq!(str_at(&s, STATUS, 0).as_deref(), Some("已汇总"));
    assert_eq!(f64_at(&s, VILLAGES, 0), Some(3.0));
    assert_eq!(f64_at(&s, "清理前标牌数", 0), Some(before));
    assert_eq!(f64_at(&s, "累计摘除数", 0), Some(removed));
    assert_eq!(
        f64_at(&s, "现有标牌数", 0),
        Some(total(vs, |v| v.signs.len() as i64) + 2.0)
    );
    assert_eq!(f64_at(&s, REMOVAL_RATE, 0), Some(removed / before));
    assert_eq!(f64_at(&s, NEGATIVE_SIGNS, 0), Some(1.0));
    assert_eq!(f64_at(&s, UNFILED_SIGNS, 0), Some(1.0));
    assert_eq!(
        f64_at(&s, "房间总数", 0),
        Some(total(vs, |v| v.rooms_office + v.rooms_service))
    );
    let service = total(vs, |v| v.area_service_dm) / 10.0;
    let office = total(vs, |v| v.area_office_dm) / 10.0;
    let got = f64_at(&s, "服务场所面积(㎡)", 0).unwrap();
    assert!((got - service).abs() < 1e-9, "{got} vs {service}");
    let share = f64_at(&s, SERVICE_SHARE, 0).unwrap();
    assert!((share - service / (service + office)).abs() < 1e-12);
    assert_eq!(f64_at(&s, SHARED_OFFICE_VILLAGES, 0), Some(3.0));
    let seven = vs.iter().filter(|v| v.seven.iter().all(|b| *b)).count();
    assert_eq!(f64_at(&s, SEVEN_VILLAGES, 0), Some(seven as f64));
    assert_eq!(f64_at(&s, "两委干部人数", 0), Some(total(vs, |v| v.cadres)));
    assert_eq!(
        f64_at(&s, "参与群众人次", 0),
        Some(total(vs, |v| v.participants))
    );
    assert_eq!(f64_at(&s, ERRORS, 0), Some(0.0));
    assert_eq!(f64_at(&s, WARNINGS, 0), Some(2.0));

    // B: 退回, no figures, its error counted.
    assert_eq!(str_at(&s, TOWNSHIP, 1).as_deref(), Some("樟黄镇"));
    assert_eq!(str_at(&s, STATUS, 1).as_deref(), Some("退回"));
    for c in SUMMARY_COLUMNS
        .iter()
        .filter(|c| c.is_figure() || c.is_ratio())
    {
        assert_eq!(f64_at(&s, c.header(), 1), None, "{}", c.header());
        assert_eq!(f64_at(&s, c.header(), 2), None, "{}", c.header());
    }
    assert_eq!(f64_at(&s, ERRORS, 1), Some(1.0));
    assert_eq!(f64_at(&s, WARNINGS, 1), Some(0.0));
    // C: 未报送, zero counts.
    assert_eq!(str_at(&s, TOWNSHIP_CODE, 2).as_deref(), Some(C));
    assert_eq!(str_at(&s, STATUS, 2).as_deref(), Some("未报送"));
    assert_eq!(f64_at(&s, ERRORS, 2), Some(0.0));
    assert_eq!(f64_at(&s, WARNINGS, 2), Some(0.0));
}

#[test]
fn total_row_sums_used_figures_and_all_counts() {
    let j = june();
    let s = summary(&j.batch).unwrap();
    let t = total_row(&s, &j.batch).unwrap();
    assert_eq!(t.height(), 1);
    assert_eq!(t.get_column_names(), s.get_column_names());
    let vs = &j.a.villages;
    let before = total(vs, |v| v.signs_before) + 2.0;
    let removed = total(vs, |v| v.removed);
    assert_eq!(str_at(&t, TOWNSHIP_CODE, 0), None);
    assert_eq!(str_at(&t, TOWNSHIP, 0).as_deref(), Some("合计"));
    assert_eq!(str_at(&t, STATUS, 0).as_deref(), Some("已汇总 1/3"));
    assert_eq!(f64_at(&t, "清理前标牌数", 0), Some(before));
    assert_eq!(f64_at(&t, REMOVAL_RATE, 0), Some(removed / before));
    assert_eq!(f64_at(&t, VILLAGES, 0), Some(3.0));
    assert_eq!(f64_at(&t, ERRORS, 0), Some(1.0));
    assert_eq!(f64_at(&t, WARNINGS, 0), Some(2.0));
    let b_errors = j
        .batch
        .findings()
        .iter()
        .filter(|f| f.level == Level::Error)
        .count();
    assert_eq!(b_errors, 1);
}

#[test]
fn total_recomputes_ratios_from_sums_with_include_errors() {
    // With --include-errors B counts: 2 used of 3 expected, and the
    // rate of the total is sum/sum, not a sum of rates.
    let j = june();
    let files: Vec<_> = j.batch.files.into_iter().map(|f| f.loaded).collect();
    let exp = expected(&[(A, "白砂镇"), (B, "樟黄镇"), (C, "溪口乡")]);
    let batch = crate::batch::decide(JUNE, files, &exp, true);
    let s = summary(&batch).unwrap();
    let t = total_row(&s, &batch).unwrap();
    assert_eq!(str_at(&s, STATUS, 1).as_deref(), Some("退回(已计入)"));
    assert_eq!(str_at(&t, STATUS, 0).as_deref(), Some("已汇总 2/3"));
    let all: Vec<_> = j.a.villages.iter().chain(&j.b.villages).cloned().collect();
    let before = total(&all, |v| v.signs_before) + 2.0;
    let removed = total(&all, |v| v.removed);
    assert_eq!(f64_at(&t, "清理前标牌数", 0), Some(before));
    assert_eq!(f64_at(&t, REMOVAL_RATE, 0), Some(removed / before));
    assert_eq!(f64_at(&t, VILLAGES, 0), Some(5.0));
    let sum_of_rates = f64_at(&s, REMOVAL_RATE, 0).unwrap() + f64_at(&s, REMOVAL_RATE, 1).unwrap();
    assert_ne!(f64_at(&t, REMOVAL_RATE, 0), Some(sum_of_rates));
}

#[test]
fn a_previous_period_kept_for_comparison_keeps_sign_keys_and_month_over_month() {
    let mut m = two_months();
    let before = month_over_month(&m.june, &m.may).unwrap();
    let ret = m.may.files[0].loaded.ret.as_mut().unwrap();
    let whole = ret.table(SheetId::SignDetail).unwrap().clone();
    let signs: usize = m.before.iter().map(|v| v.signs.len()).sum();
    assert_eq!(whole.rows.len(), signs);
    ret.keep_for_comparison();
    // Every sign row, at its row, with its village code and sign name
    // and nothing else.
    let t = ret.table(SheetId::SignDetail).unwrap();
    assert_eq!(t.spec.columns.len(), 2);
    assert_eq!(t.rows.len(), signs);
    for (r, w) in t.rows.iter().zip(&whole.rows) {
        assert_eq!(r.row, w.row);
        assert_eq!(t.code(r), whole.code(w));
        assert_eq!(t.text(r, Col::SignName), whole.text(w, Col::SignName));
        assert_eq!(t.field_at(r, 2), None);
    }
    assert_eq!(t.col_of(Col::SignName), whole.col_of(Col::SignName));
    // The village sheets are untouched: 环比 is the same.
    let after = month_over_month(&m.june, &m.may).unwrap();
    assert!(after.equals_missing(&before));
}

#[test]
fn a_slimmed_previous_period_keeps_its_villages_and_month_over_month() {
    let mut m = two_months();
    let before = month_over_month(&m.june, &m.may).unwrap();
    let ret = m.may.files[0].loaded.ret.as_mut().unwrap();
    let before_table = ret.table(SheetId::SignDetail).unwrap().clone();
    let rows = &before_table.rows;
    let signs: usize = m.before.iter().map(|v| v.signs.len()).sum();
    assert_eq!(rows.len(), signs);
    ret.keep_after_comparison();
    // The first sign row of each of May's three villages, in order,
    // every cell as it was.
    let t = ret.table(SheetId::SignDetail).unwrap();
    let codes: Vec<&str> = t.rows.iter().filter_map(|r| t.code(r)).collect();
    assert_eq!(
        codes,
        [format!("{A}201"), format!("{A}202"), format!("{A}203")]
    );
    for r in &t.rows {
        let first = rows
            .iter()
            .find(|x| before_table.code(x) == t.code(r))
            .unwrap();
        assert_eq!(r.row, first.row);
        assert!(t.fields(r).eq(before_table.fields(first)));
    }
    let after = month_over_month(&m.june, &m.may).unwrap();
    assert!(after.equals_missing(&before));
}

#[test]
fn month_over_month_joins_both_periods() {
    let m = two_months();
    let df = month_over_month(&m.june, &m.may).unwrap();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(names.len(), 4 + 3 * 10 + 1);
    assert_eq!(
        &names[..7],
        [
            "乡镇(街道)代码",
            "乡镇(街道)",
            "村(社区)代码",
            "村(社区)名称",
            "清理前标牌数本期",
            "清理前标牌数上期",
            "清理前标牌数变动"
        ]
    );
    assert_eq!(names.last().map(String::as_str), Some("环比提示"));
    assert!(names.contains(&"服务场所面积(㎡)变动".to_string()));
    assert!(names.contains(&"两委干部人数本期".to_string()));
    let codes: Vec<Option<String>> = (0..df.height())
        .map(|i| str_at(&df, VILLAGE_CODE, i))
        .collect();
    let want: Vec<Option<String>> = (201..=204).map(|n| Some(format!("{A}{n}"))).collect();
    assert_eq!(codes, want);
    let flags: Vec<Option<String>> = (0..4).map(|i| str_at(&df, MOM_FLAGS, i)).collect();
    assert_eq!(
        flags,
        [
            Some("".into()),
            Some("H03".into()),
            Some("H04".into()),
            Some("H04".into())
        ]
    );
    // 202: 清理前 +1.
    let (b, a) = (&m.before[1], &m.after[1]);
    assert_eq!(
        f64_at(&df, "清理前标牌数本期", 1),
        Some(a.signs_before as f64)
    );
    assert_eq!(
        f64_at(&df, "清理前标牌数上期", 1),
        Some(b.signs_before as f64)
    );
    assert_eq!(f64_at(&df, "清理前标牌数变动", 1), Some(1.0));
    assert_eq!(
        f64_at(&df, "累计摘除数变动", 1),
        Some((a.removed - b.removed) as f64)
    );
    // 203 only last period, 204 only this period; names and townships
    // filled from whichever period has them.
    assert_eq!(f64_at(&df, "清理前标牌数本期", 2), None);
    assert_eq!(
        f64_at(&df, "清理前标牌数上期", 2),
        Some(m.before[2].signs_before as f64)
    );
    assert_eq!(f64_at(&df, "清理前标牌数变动", 2), None);
    assert_eq!(str_at(&df, VILLAGE_NAME, 2), Some(m.before[2].name.clone()));
    assert_eq!(str_at(&df, TOWNSHIP_CODE, 2).as_deref(), Some(A));
    assert_eq!(str_at(&df, TOWNSHIP, 2).as_deref(), Some("白砂镇"));
    assert_eq!(f64_at(&df, "清理前标牌数上期", 3), None);
    assert_eq!(str_at(&df, VILLAGE_NAME, 3).as_deref(), Some("新安村"));
    assert_eq!(
        f64_at(&df, "两委干部人数本期", 3),
        Some(m.after[2].cadres as f64)
    );
}

#[test]
fn counties_get_subtotals_not_counted_in_the_total() {
    let j = june();
    let mut batch = j.batch;
    // Make B a township of a second county of a city (code 9901).
    batch.townships[1].county_code = Some("990102".into());
    batch.townships[1].county_name = Some("样板区".into());
    batch.townships[2].county_code = None;
    batch.townships[2].county_name = None;
    let s = summary_by_county(&batch).unwrap();
    let names: Vec<String> = s.get_column_names().iter().map(|s| s.to_string()).collect();
    assert_eq!(&names[..2], ["县(市、区)代码", "县(市、区)"]);
    assert_eq!(&names[2..], summary_headers());
    type Line = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Line> = (0..s.height())
        .map(|i| {
            (
                str_at(&s, COUNTY_CODE, i),
                str_at(&s, TOWNSHIP_CODE, i),
                str_at(&s, TOWNSHIP, i),
                str_at(&s, STATUS, i),
            )
        })
        .collect();
    let o = |s: &str| Some(s.to_string());
    assert_eq!(
        rows,
        [
            (o("990101"), o(A), o("白砂镇"), o("已汇总")),
            (o("990101"), o(C), o("溪口乡"), o("未报送")),
            (o("990101"), None, o("示范县小计"), o("已汇总 1/2")),
            (o("990102"), o(B), o("樟黄镇"), o("退回")),
            (o("990102"), None, o("样板区小计"), o("已汇总 0/1")),
        ]
    );
    let before = total(&j.a.villages, |v| v.signs_before) + 2.0;
    assert_eq!(f64_at(&s, "清理前标牌数", 2), Some(before));
    assert_eq!(f64_at(&s, ERRORS, 4), Some(1.0));
    let t = total_row(&s, &batch).unwrap();
    assert_eq!(f64_at(&t, "清理前标牌数", 0), Some(before));
    assert_eq!(f64_at(&t, ERRORS, 0), Some(1.0));
    assert_eq!(f64_at(&t, WARNINGS, 0), Some(2.0));
    assert_eq!(str_at(&t, COUNTY_CODE, 0), None);
    assert_eq!(str_at(&t, STATUS, 0).as_deref(), Some("已汇总 1/3"));
}
