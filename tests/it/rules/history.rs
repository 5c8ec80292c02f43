//! Against the previous month's return (H rules).

use super::*;

/// Check a mutated return against the unmutated base as previous period.
fn case_with_previous(
    mutate: impl FnOnce(&mut Fill),
    want: &[(&str, &str, &str, &str)],
) -> Vec<Json> {
    let w = Workdir::new();
    let (_, prev) = base();
    write(&w, "prev.xlsx", &prev);
    let mut fill = prev.clone();
    mutate(&mut fill);
    write(&w, "r.xlsx", &fill);
    let (_, f) = check(&w, "r.xlsx", &["--previous", "prev.xlsx"]);
    expect(&f, want);
    f
}

#[test]
fn unchanged_return_against_previous_has_no_finding() {
    case_with_previous(|_| {}, &[]);
}

#[test]
fn h01_sign_rebound_and_it_hides_p04() {
    let (_, fill) = base();
    let rows = fill.rows[&SheetId::SignDetail].len();
    let policy = Policy::default_rules();
    let has = |f: &Fill, name: &str| {
        f.rows[&SheetId::SignDetail].iter().any(|r| matches!((&r[0], &r[1]), (Value::Text(c), Value::Text(s)) if c == V1 && policy.match_sign(s) == policy.match_sign(name)))
    };
    let names: Vec<String> = policy.signs.iter().map(|s| s.name.clone()).collect();
    let new_sign = names.iter().find(|n| !has(&fill, n)).unwrap().clone();
    let new_sign = new_sign.as_str();
    case_with_previous(
        |f| {
            add_sign(f, 0, V1, new_sign, Value::Empty, Value::Empty);
            add_sign(f, 0, V1, "乡村振兴促进会", Value::Empty, Value::Empty);
            add_sign(f, 0, V1, "乡贤理事会", Value::Empty, t("示备〔2024〕5号"));
            // Counted as newly added boards rather than a changed baseline.
            let b = num(&get(f, SheetId::Signs, 0, Col::SignsBefore));
            let a = num(&get(f, SheetId::Signs, 0, Col::SignsFiled));
            set(f, SheetId::Signs, 0, Col::SignsBefore, n(b - 3.0));
            set(f, SheetId::Signs, 0, Col::SignsFiled, n(a + 3.0));
        },
        &[
            ("H01", "warning", &format!("标牌明细!C{}", rows + 3), V1),
            ("H01", "warning", &format!("标牌明细!C{}", rows + 4), V1),
        ],
    );
}

#[test]
fn h02_cumulative_figure_fell() {
    case_with_previous(
        |f| {
            // Taken down one fewer, one more rule on the wall: P01 holds.
            let r = num(&get(f, SheetId::Signs, 1, Col::SignsRemoved));
            let w = num(&get(f, SheetId::Signs, 1, Col::WallRules));
            set(f, SheetId::Signs, 1, Col::SignsRemoved, n(r - 1.0));
            set(f, SheetId::Signs, 1, Col::WallRules, n(w + 1.0));
        },
        &[("H02", "error", "标牌清理!E4", V2)],
    );
}

#[test]
fn h03_baseline_changed() {
    case_with_previous(
        |f| {
            for col in [Col::SignsBefore, Col::SignsRemoved] {
                let v = num(&get(f, SheetId::Signs, 0, col));
                set(f, SheetId::Signs, 0, col, n(v + 2.0));
            }
        },
        &[("H03", "warning", "标牌清理!D3", V1)],
    );
}

#[test]
fn h04_village_gone_without_roster() {
    case_with_previous(
        |f| {
            for sheet in [
                SheetId::Signs,
                SheetId::Rooms,
                SheetId::Duty,
                SheetId::Stars,
            ] {
                f.rows.get_mut(&sheet).unwrap().remove(3);
            }
            f.rows
                .get_mut(&SheetId::SignDetail)
                .unwrap()
                .retain(|r| r[0] != t("990101103204"));
        },
        &[("H04", "warning", "标牌清理", "990101103204")],
    );
}

#[test]
fn h05_stock_jumped_but_signs_coming_down_is_fine() {
    case_with_previous(
        |f| {
            for col in [Col::RoomsTotal, Col::RoomsService] {
                let v = num(&get(f, SheetId::Rooms, 0, col));
                set(f, SheetId::Rooms, 0, col, n(v + 10.0));
            }
            // 现有标牌数 falling a lot is the campaign working: no H05.
            let rows = f.rows.get_mut(&SheetId::SignDetail).unwrap();
            let before = rows.len();
            let mut dropped = 0;
            rows.retain(|r| {
                let drop = r[0] == t(V2) && dropped < 6 && r[4] == Value::Empty;
                dropped += drop as i32;
                !drop
            });
            let dropped = (before - rows.len()) as f64;
            let now = num(&get(f, SheetId::Signs, 1, Col::SignsNow));
            let removed = num(&get(f, SheetId::Signs, 1, Col::SignsRemoved));
            set(f, SheetId::Signs, 1, Col::SignsNow, n(now - dropped));
            set(
                f,
                SheetId::Signs,
                1,
                Col::SignsRemoved,
                n(removed + dropped),
            );
        },
        &[("H05", "warning", "功能室!D3", V1)],
    );
}
