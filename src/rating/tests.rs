//! Tests of the rating: the worked cases of `rules.md`, the money within
//! the budget, and the tier sheet over fixture batches.

use super::star::*;
use super::*;
use crate::aggregate::fixtures::*;
use crate::batch::Status;
use crate::finding::Code;
use crate::policy::DEFAULT_RULES;
use crate::schema;
use crate::schema::{Col, SheetId};
use std::collections::BTreeSet;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn codes(list: &[Code]) -> BTreeSet<Code> {
    list.iter().copied().collect()
}

/// One case: scores, applied star, findings → composite, measured,
/// final star, 降星原因.
struct Case {
    what: &'static str,
    rep: &'static str,
    town: &'static str,
    county: &'static str,
    applied: u8,
    found: &'static [Code],
    composite: &'static str,
    measured: u8,
    star: u8,
    reasons: &'static str,
}

#[allow(clippy::too_many_arguments)]
const fn case(
    what: &'static str,
    scores: [&'static str; 3],
    applied: u8,
    found: &'static [Code],
    composite: &'static str,
    measured: u8,
    star: u8,
    reasons: &'static str,
) -> Case {
    Case {
        what,
        rep: scores[0],
        town: scores[1],
        county: scores[2],
        applied,
        found,
        composite,
        measured,
        star,
        reasons,
    }
}

/// Hand-computed with weights 0.3 / 0.3 / 0.4 and thresholds
/// 90 / 80 / 70 / 60 / 50 (the shipped rules).
const DEFAULT_CASES: &[Case] = &[
    // Each threshold exactly at, and just below, its boundary.
    case("5 at", ["90", "90", "90"], 5, &[], "90.0", 5, 5, ""),
    case(
        "5 below",
        ["89.9", "89.9", "89.9"],
        5,
        &[],
        "89.9",
        4,
        4,
        "",
    ),
    case("4 at", ["80", "80", "80"], 5, &[], "80.0", 4, 4, ""),
    case(
        "4 below",
        ["79.9", "79.9", "79.9"],
        5,
        &[],
        "79.9",
        3,
        3,
        "",
    ),
    case("3 at", ["70", "70", "70"], 5, &[], "70.0", 3, 3, ""),
    case(
        "3 below",
        ["69.9", "69.9", "69.9"],
        5,
        &[],
        "69.9",
        2,
        2,
        "",
    ),
    case("2 at", ["60", "60", "60"], 5, &[], "60.0", 2, 2, ""),
    case(
        "2 below",
        ["59.9", "59.9", "59.9"],
        5,
        &[],
        "59.9",
        1,
        1,
        "",
    ),
    case("1 at", ["50", "50", "50"], 5, &[], "50.0", 1, 1, ""),
    case(
        "1 below: 未定级",
        ["49.9", "49.9", "49.9"],
        5,
        &[],
        "49.9",
        0,
        0,
        "",
    ),
    case("all zero", ["0", "0", "0"], 3, &[], "0.0", 0, 0, ""),
    case(
        "all hundred",
        ["100", "100", "100"],
        5,
        &[],
        "100.0",
        5,
        5,
        "",
    ),
    // The one-decimal rounding decides the star.
    // 27 + 27.03 + 35.92 = 89.95 → 90.0
    case(
        "89.95 rounds up to 5",
        ["90", "90.1", "89.8"],
        5,
        &[],
        "90.0",
        5,
        5,
        "",
    ),
    // 26.97 + 26.97 + 36 = 89.94 → 89.9
    case(
        "89.94 stays 4",
        ["89.9", "89.9", "90"],
        5,
        &[],
        "89.9",
        4,
        4,
        "",
    ),
    // 23.94 + 23.97 + 32.04 = 79.95 → 80.0
    case(
        "79.95 rounds up to 4",
        ["79.8", "79.9", "80.1"],
        5,
        &[],
        "80.0",
        4,
        4,
        "",
    ),
    // 23.97 + 23.97 + 32 = 79.94 → 79.9
    case(
        "79.94 stays 3",
        ["79.9", "79.9", "80"],
        5,
        &[],
        "79.9",
        3,
        3,
        "",
    ),
    // 20.94 + 20.97 + 28.04 = 69.95 → 70.0
    case(
        "69.95 rounds up to 3",
        ["69.8", "69.9", "70.1"],
        5,
        &[],
        "70.0",
        3,
        3,
        "",
    ),
    // 25.29 + 25.32 + 33.64 = 84.25 → 84.3 (half away from zero, not to even)
    case(
        "84.25 half away from zero",
        ["84.3", "84.4", "84.1"],
        5,
        &[],
        "84.3",
        4,
        4,
        "",
    ),
    // 25.2 + 25.35 + 33.64 = 84.19 → 84.2
    case("84.19", ["84", "84.5", "84.1"], 5, &[], "84.2", 4, 4, ""),
    // Applied below the measured star.
    case(
        "applied 3 of measured 5",
        ["95", "95", "95"],
        3,
        &[],
        "95.0",
        5,
        3,
        "",
    ),
    case(
        "applied 1 of measured 4",
        ["85", "85", "85"],
        1,
        &[],
        "85.0",
        4,
        1,
        "",
    ),
    // Applied above the measured star changes nothing.
    case(
        "applied 5 of measured 2",
        ["65", "65", "65"],
        5,
        &[],
        "65.0",
        2,
        2,
        "",
    ),
    // Each default cap.
    case(
        "P03 caps at 2",
        ["95", "95", "95"],
        5,
        &[Code::P03],
        "95.0",
        5,
        2,
        "负面清单标牌(P03)→降至2星",
    ),
    case(
        "H01 caps at 3",
        ["95", "95", "95"],
        5,
        &[Code::H01],
        "95.0",
        5,
        3,
        "牌子反弹(H01)→降至3星",
    ),
    case(
        "M03 caps at 3",
        ["85", "85", "85"],
        4,
        &[Code::M03],
        "85.0",
        4,
        3,
        "干部未集中办公(M03)→降至3星",
    ),
    // A cap not below the star is not applied (nor named).
    case(
        "M03 above the star",
        ["75", "75", "75"],
        5,
        &[Code::M03],
        "75.0",
        3,
        3,
        "",
    ),
    case(
        "P03 below applied",
        ["95", "95", "95"],
        2,
        &[Code::P03],
        "95.0",
        5,
        2,
        "",
    ),
    // Two caps: both named, highest first; the lowest wins.
    case(
        "M03 and P03",
        ["95", "95", "95"],
        5,
        &[Code::P03, Code::M03],
        "95.0",
        5,
        2,
        "干部未集中办公(M03)→降至3星;负面清单标牌(P03)→降至2星",
    ),
    // A finding without a cap changes nothing.
    case(
        "D05 has no default cap",
        ["95", "95", "95"],
        5,
        &[Code::D05, Code::P04],
        "95.0",
        5,
        5,
        "",
    ),
];

#[test]
fn default_rules_table() {
    let p = Policy::default_rules();
    for c in DEFAULT_CASES {
        let r = rate(
            &p,
            d(c.rep),
            d(c.town),
            d(c.county),
            c.applied,
            &codes(c.found),
        );
        assert_eq!(r.composite.to_string(), c.composite, "{}", c.what);
        assert_eq!(r.measured, c.measured, "{}", c.what);
        assert_eq!(r.applied, c.applied, "{}", c.what);
        assert_eq!(r.star, c.star, "{}", c.what);
        assert_eq!(r.reasons, c.reasons, "{}", c.what);
        assert!(
            r.note.ends_with(&format!("核定{}星", c.star)),
            "{}: {}",
            c.what,
            r.note
        );
    }
}

#[test]
fn notes_say_how_the_star_was_reached() {
    let p = Policy::default_rules();
    // 25.2 + 25.35 + 33.64 = 84.19 → 84.2
    let r = rate(&p, d("84"), d("84.5"), d("84.1"), 5, &codes(&[Code::P03]));
    assert_eq!(
        r.note,
        "综合得分84.2→测算4星;申报5星;负面清单标牌(P03)→降至2星;核定2星"
    );
    // Held at what was applied for: not "lowered", and no cap named.
    let r = rate(&p, d("95"), d("95"), d("95"), 3, &codes(&[]));
    assert_eq!(
        r.note,
        "综合得分95.0→测算5星;申报3星,以申报星级为限;核定3星"
    );
    assert_eq!(r.reasons, "");
    // Both: held at the application, then capped by a finding.
    let r = rate(&p, d("95"), d("95"), d("95"), 3, &codes(&[Code::P03]));
    assert_eq!(
        r.note,
        "综合得分95.0→测算5星;申报3星,以申报星级为限;负面清单标牌(P03)→降至2星;核定2星"
    );
    let r = rate(&p, d("40"), d("40"), d("40"), 3, &codes(&[]));
    assert_eq!(
        r.note,
        "综合得分40.0→未达1星门槛,未定级(0星);申报3星;核定0星"
    );
}

#[test]
fn money_within_the_budget_is_the_tier() {
    let (paid, b) = allocate(&[50_000, 30_000, 0, 20_000], 120_000, 100);
    assert_eq!(paid, [50_000, 30_000, 0, 20_000]);
    assert_eq!(
        b,
        Budget {
            budget: 120_000,
            tier_total: 100_000,
            exceeded: false,
            scale: Decimal::ONE,
            round_to: 100,
            paid: 100_000,
            left_over: 20_000,
        }
    );
    // Exactly the budget is not exceeded.
    let (paid, b) = allocate(&[50_000, 50_000], 100_000, 100);
    assert_eq!(paid, [50_000, 50_000]);
    assert!(!b.exceeded);
    assert_eq!(b.left_over, 0);
}

#[test]
fn money_over_the_budget_is_scaled_down_in_whole_units() {
    // S = 105,000 > B = 100,000; each floor(t × B / (S × 100)) × 100:
    // 50,000 → 476.19 → 47,600; 30,000 → 285.71 → 28,500;
    // 20,000 → 190.47 → 19,000; 5,000 → 47.61 → 4,700.
    let (paid, b) = allocate(&[50_000, 30_000, 20_000, 5_000, 0], 100_000, 100);
    assert_eq!(paid, [47_600, 28_500, 19_000, 4_700, 0]);
    assert!(b.exceeded);
    assert_eq!(b.tier_total, 105_000);
    assert_eq!(b.paid, 99_800);
    assert_eq!(b.left_over, 200);
    assert_eq!(b.scale_shown().to_string(), "0.952381");
    // Rounding to 1 yuan: 50,000 × 100,000 / 105,000 = 47,619.04 → 47,619.
    let (paid, b) = allocate(&[50_000, 30_000, 20_000, 5_000], 100_000, 1);
    assert_eq!(paid, [47_619, 28_571, 19_047, 4_761]);
    assert_eq!(b.paid, 99_998);
    assert_eq!(b.left_over, 2);
    // A budget of 0 pays nothing.
    let (paid, b) = allocate(&[50_000], 0, 100);
    assert_eq!(paid, [0]);
    assert_eq!((b.paid, b.left_over), (0, 0));
}

#[test]
fn total_paid_never_exceeds_the_budget() {
    let mut seed = 7u64;
    let mut next = |m: u64| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % m
    };
    let per = [0i64, 5_000, 10_000, 20_000, 30_000, 50_000];
    for _ in 0..300 {
        let n = next(200) as usize + 1;
        let tiers: Vec<i64> = (0..n).map(|_| per[next(6) as usize]).collect();
        let budget = next(3_000_000) as i64;
        let round_to = [1, 10, 100, 1000][next(4) as usize];
        let (paid, b) = allocate(&tiers, budget, round_to);
        let total: i64 = paid.iter().sum();
        assert!(total as i128 <= b.budget, "{total} > {budget}");
        assert_eq!(total as i128, b.paid);
        assert_eq!(b.left_over, b.budget - b.paid);
        for (p, t) in paid.iter().zip(&tiers) {
            assert!(p <= t);
            if b.exceeded {
                assert_eq!(p % round_to, 0);
            }
        }
    }
}

/// A rules file with nothing in common with the defaults.
fn custom_rules() -> Policy {
    let text = DEFAULT_RULES
        .replacen(
            "weights    = { representatives = 0.3, township = 0.3, county = 0.4 }",
            "weights    = { representatives = 0.5, township = 0.2, county = 0.3 }",
            1,
        )
        .replacen(
            "thresholds = { \"5\" = 90, \"4\" = 80, \"3\" = 70, \"2\" = 60, \"1\" = 50 }",
            "thresholds = { \"5\" = 95, \"4\" = 85.5, \"3\" = 75, \"2\" = 65, \"1\" = 40 }",
            1,
        )
        .replacen(
            "caps       = { P03 = 2, H01 = 3, M03 = 3 }",
            "caps       = { D05 = 1 }",
            1,
        )
        .replacen(
            "per_star = { \"5\" = 50000, \"4\" = 30000, \"3\" = 20000, \"2\" = 10000, \"1\" = 5000, \"0\" = 0 }",
            "per_star = { \"5\" = 80000, \"4\" = 40000, \"3\" = 15000, \"2\" = 8000, \"1\" = 3000, \"0\" = 1000 }",
            1,
        )
        .replacen("round_to = 100", "round_to = 1000", 1);
    let p = Policy::parse(&text, "custom.toml").unwrap();
    assert_eq!(p.caps.len(), 1, "every replacement applied");
    assert_eq!(p.per_star[0], 1000);
    assert_eq!(p.round_to, 1000);
    assert_eq!(p.thresholds[3], d("85.5"));
    assert_eq!(p.weights.county.0, d("0.3"));
    p
}

#[test]
fn a_custom_rules_file_is_followed_not_the_defaults() {
    let p = custom_rules();
    let cases: &[Case] = &[
        // 45 + 16 + 30 = 91.0: 4 stars here (5 under the defaults: 27 + 24 + 40).
        case("weights", ["90", "80", "100"], 5, &[], "91.0", 4, 4, ""),
        // 42.75 + 17.1 + 25.65 = 85.5: exactly the custom 4-star threshold.
        case(
            "4 at 85.5",
            ["85.5", "85.5", "85.5"],
            5,
            &[],
            "85.5",
            4,
            4,
            "",
        ),
        // 42.7 + 17.08 + 25.62 = 85.4 → 3.
        case(
            "4 below",
            ["85.4", "85.4", "85.4"],
            5,
            &[],
            "85.4",
            3,
            3,
            "",
        ),
        // 45 = 1 star here (0 under the defaults).
        case("1 at 40", ["45", "45", "45"], 5, &[], "45.0", 1, 1, ""),
        case(
            "0 below 40",
            ["39.9", "39.9", "39.9"],
            5,
            &[],
            "39.9",
            0,
            0,
            "",
        ),
        // 97 → 5 stars; the custom cap D05 → 1, P03 no longer caps.
        case(
            "D05 caps at 1",
            ["97", "97", "97"],
            5,
            &[Code::D05],
            "97.0",
            5,
            1,
            "未配备专管员(D05)→降至1星",
        ),
        case(
            "P03 not a cap here",
            ["97", "97", "97"],
            5,
            &[Code::P03, Code::H01, Code::M03],
            "97.0",
            5,
            5,
            "",
        ),
    ];
    for c in cases {
        let r = rate(
            &p,
            d(c.rep),
            d(c.town),
            d(c.county),
            c.applied,
            &codes(c.found),
        );
        assert_eq!(r.composite.to_string(), c.composite, "{}", c.what);
        assert_eq!((r.measured, r.star), (c.measured, c.star), "{}", c.what);
        assert_eq!(r.reasons, c.reasons, "{}", c.what);
    }
    // Money per star and round_to of the file: S = 80,000 + 40,000 +
    // 1,000 = 121,000 > B = 100,000; floor(t × B / (S × 1000)) × 1000:
    // 80,000 → 66.11 → 66,000; 40,000 → 33.05 → 33,000; 1,000 → 0.82 → 0.
    let tiers: Vec<i64> = [5usize, 4, 0].iter().map(|s| p.per_star[*s]).collect();
    assert_eq!(tiers, [80_000, 40_000, 1_000]);
    let (paid, b) = allocate(&tiers, 100_000, p.round_to);
    assert_eq!(paid, [66_000, 33_000, 0]);
    assert_eq!((b.paid, b.left_over), (99_000, 1_000));
}

fn no_scores() -> CountyScores {
    CountyScores {
        file: "county_scores.xlsx".into(),
        sheet: "区级评定".into(),
        ..CountyScores::default()
    }
}

fn row<'a>(t: &'a Tiers, code: &str) -> &'a TierRow {
    t.rows.iter().find(|r| r.village_code == code).unwrap()
}

#[test]
fn the_tier_sheet_of_a_batch() {
    // A used (P03 on its first village), B 退回, C 未报送 (no villages
    // known: no roster, no previous period).
    let j = june();
    let p = Policy::default_rules();
    let a: Vec<&str> = j.a.villages.iter().map(|v| v.code.as_str()).collect();
    let b: Vec<&str> = j.b.villages.iter().map(|v| v.code.as_str()).collect();
    let mut scores = no_scores();
    scores.scores.insert(a[0].into(), d("99"));
    scores.scores.insert(a[1].into(), d("99"));
    scores.blanks.insert(a[2].into(), (3, 2));
    scores.scores.insert(b[0].into(), d("99"));
    let input = TierInput {
        batch: &j.batch,
        previous: None,
        roster: None,
        scores: &scores,
        policy: &p,
        budget: 1_000_000,
    };
    let t = tiers(&input);
    let got: Vec<(&str, &str, RowStatus)> = t
        .rows
        .iter()
        .map(|r| (&*r.township_code, r.village_code.as_str(), r.status))
        .collect();
    assert_eq!(
        got,
        [
            (A, a[0], RowStatus::Rated),
            (A, a[1], RowStatus::Rated),
            (A, a[2], RowStatus::Pending),
            (B, b[0], RowStatus::NotRated),
            (B, b[1], RowStatus::NotRated),
        ]
    );
    // Village 0 hangs a negative-list sign: capped at 2.
    let v0 = &j.a.villages[0];
    let r0 = row(&t, a[0]);
    let (rep, town) = (
        Decimal::new(v0.score_rep, 1),
        Decimal::new(v0.score_town, 1),
    );
    let want = rate(&p, rep, town, d("99"), v0.star as u8, &codes(&[Code::P03]));
    assert_eq!(
        (r0.rep, r0.town, r0.county),
        (Some(rep), Some(town), Some(d("99")))
    );
    assert_eq!(r0.composite, Some(want.composite));
    assert_eq!(r0.star, Some(want.star));
    assert!(want.star <= 2);
    assert_eq!(r0.tier, p.per_star[want.star as usize]);
    assert_eq!(r0.paid, r0.tier);
    assert_eq!(r0.note, want.note);
    // 待评定: blank money, no star, T01 at the blank cell.
    let r2 = row(&t, a[2]);
    assert_eq!((r2.composite, r2.measured, r2.star), (None, None, None));
    assert_eq!((r2.tier, r2.paid), (0, 0));
    assert_eq!(r2.applied, Some(j.a.villages[2].star as u8));
    assert!(r2.note.contains("待评定"), "{}", r2.note);
    assert_eq!(t.findings.len(), 1);
    assert_eq!(t.findings[0].code, Code::T01);
    assert_eq!(t.findings[0].location(), "区级评定!C4");
    assert_eq!(t.findings[0].township.as_deref(), Some(A));
    assert_eq!(t.findings[0].village.as_deref(), Some(a[2]));
    // 不予评定 takes precedence over 待评定 and over a county score.
    let rb = row(&t, b[0]);
    assert_eq!(rb.county, Some(d("99")));
    assert_eq!(
        (rb.composite, rb.star, rb.applied, rb.rep),
        (None, None, None, None)
    );
    assert_eq!((rb.tier, rb.paid), (0, 0));
    assert!(rb.note.contains("退回"), "{}", rb.note);
    // Tallies: C has a row with nothing in it.
    let towns: Vec<(&str, usize, usize, usize)> = t
        .townships
        .iter()
        .map(|x| (x.code.as_str(), x.villages, x.pending, x.not_rated))
        .collect();
    assert_eq!(towns, [(A, 3, 1, 0), (B, 2, 0, 2), (C, 0, 0, 0)]);
    assert_eq!(t.total.villages, 5);
    assert_eq!(t.total.by_star.iter().sum::<usize>(), 2);
    assert_eq!(
        t.budget.paid,
        t.rows.iter().map(|r| r.paid as i128).sum::<i128>()
    );
    assert!(!t.budget.exceeded);
}

#[test]
fn include_errors_rates_the_rejected_township_and_a_roster_adds_its_villages() {
    let j = june();
    let mut batch = j.batch;
    for t in &mut batch.townships {
        if t.status == Status::Rejected {
            t.status = Status::UsedWithErrors;
        }
    }
    let p = Policy::default_rules();
    let b: Vec<&str> = j.b.villages.iter().map(|v| v.code.as_str()).collect();
    let mut scores = no_scores();
    scores.scores.insert(b[0].into(), d("99"));
    scores.scores.insert(b[1].into(), d("99"));
    let roster = Roster::new(
        j.b.villages
            .iter()
            .map(|v| (v.code.clone(), v.name.clone()))
            .chain([(format!("{C}201"), "新村".to_string())])
            .map(|(code, name)| crate::rules::RosterEntry {
                township_code: code[..9].to_string(),
                township_name: if code.starts_with(C) {
                    "溪口乡"
                } else {
                    "樟黄镇"
                }
                .into(),
                village_code: code,
                village_name: name,
            }),
    );
    let input = TierInput {
        batch: &batch,
        previous: None,
        roster: Some(&roster),
        scores: &scores,
        policy: &p,
        budget: 0,
    };
    let t = tiers(&input);
    let rb = row(&t, b[0]);
    assert_eq!(rb.status, RowStatus::Rated);
    assert!(
        rb.note.starts_with("报表有错误,经县里决定仍计入;"),
        "{}",
        rb.note
    );
    // Budget 0: rated, but nothing paid.
    assert_eq!(rb.paid, 0);
    assert!(t.budget.exceeded || rb.tier == 0);
    let rc = row(&t, &format!("{C}201"));
    assert_eq!(
        (rc.status, &*rc.township_name),
        (RowStatus::NotRated, "溪口乡")
    );
    assert!(rc.note.contains("未报送"), "{}", rc.note);
    // A's villages are not in the roster but were found in a return.
    assert!(t.rows.iter().any(|r| &*r.township_code == A));
    // Sorted by township code, then village code.
    let keys: Vec<(&str, &str)> = t
        .rows
        .iter()
        .map(|r| (&*r.township_code, r.village_code.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
}

#[test]
fn without_a_roster_last_periods_villages_are_expected() {
    // May: 201, 202, 203; June: 201, 202, 204.
    let m = two_months();
    let p = Policy::default_rules();
    let mut scores = no_scores();
    for v in m.before.iter().chain(&m.after) {
        scores.scores.insert(v.code.clone(), d("90"));
    }
    let t = tiers(&TierInput {
        batch: &m.june,
        previous: Some(&m.may),
        roster: None,
        scores: &scores,
        policy: &p,
        budget: 1_000_000,
    });
    let got: Vec<(&str, RowStatus)> = t
        .rows
        .iter()
        .map(|r| (&r.village_code[9..], r.status))
        .collect();
    assert_eq!(
        got,
        [
            ("201", RowStatus::Rated),
            ("202", RowStatus::Rated),
            ("203", RowStatus::NotRated),
            ("204", RowStatus::Rated),
        ]
    );
    let r203 = &t.rows[2];
    assert_eq!(r203.village_name, m.before[2].name);
    assert!(r203.note.contains("星级申报中没有该村"), "{}", r203.note);
    assert!(t.findings.is_empty());
}

#[test]
fn a_custom_cap_applies_to_a_batch() {
    // Village 2 of township A has no manager (D05); custom caps = {D05 = 1}.
    let a_t = township(A, "白砂镇", 3, JUNE, 11);
    let mut fill = crate::kit::demo::fill(&a_t);
    add_sign(&mut fill, 0, &a_t.villages[0].code, "樟黄村廉洁工作站");
    bump(
        &mut fill,
        SheetId::Duty,
        2,
        Col::Managers,
        -(a_t.villages[2].managers as f64),
    );
    let applied = schema::STARS.index_of(Col::StarApplied);
    for row in fill.rows.get_mut(&SheetId::Stars).unwrap() {
        row[applied] = crate::write::template::Value::Number(5.0);
    }
    let files = vec![load(FILE_A, &fill, JUNE, None)];
    assert!(files[0].findings.iter().any(|f| f.code == Code::D05));
    let batch = crate::batch::decide(JUNE, files, &expected(&[(A, "白砂镇")]), false);
    let p = custom_rules();
    let mut scores = no_scores();
    for v in &a_t.villages {
        scores.scores.insert(v.code.clone(), d("100"));
    }
    let t = tiers(&TierInput {
        batch: &batch,
        previous: None,
        roster: None,
        scores: &scores,
        policy: &p,
        budget: 10_000_000,
    });
    let (r0, r2) = (&t.rows[0], &t.rows[2]);
    // P03 is no cap under these rules.
    assert_eq!(r0.reasons, "");
    assert_eq!(r2.star, Some(1));
    assert_eq!(r2.reasons, "未配备专管员(D05)→降至1星");
    assert_eq!(r2.tier, 3_000);
    for r in &t.rows {
        let s = r.star.unwrap();
        assert_eq!(r.tier, p.per_star[s as usize]);
        assert_eq!(r.paid, r.tier);
    }
}
