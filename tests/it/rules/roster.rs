//! Against the county's roster (C04, C05, X04, X05, V08, V06).

use super::*;

#[test]
fn roster_matching_return_has_no_finding() {
    let (_, fill) = base();
    expect(&check_with_roster(&fill, |_| {}), &[]);
}

#[test]
fn c04_township_not_in_roster_skips_x05() {
    let (_, fill) = base();
    let f = check_with_roster(&fill, |rows| {
        for r in rows.iter_mut() {
            r.0 = "990101199".into();
            r.2 = format!("990101199{}", &r.2[9..]);
        }
    });
    expect(&f, &[("C04", "error", "基本信息!B5", "")]);
}

#[test]
fn c05_township_name_differs_from_roster() {
    let (_, fill) = base();
    let f = check_with_roster(&fill, |rows| {
        for r in rows.iter_mut() {
            r.1 = "白沙镇".into();
        }
    });
    expect(&f, &[("C05", "warning", "基本信息!B4", "")]);
    assert!(f[0]["message"].as_str().unwrap().contains("“白沙镇”"));
}

#[test]
fn x04_roster_village_missing_and_x05_village_not_in_roster() {
    let (_, fill) = base();
    let f = check_with_roster(&fill, |rows| {
        rows.push((
            "990101103".into(),
            "白砂镇".into(),
            "990101103299".into(),
            "新建村".into(),
        ));
        rows.retain(|r| r.2 != V3);
    });
    expect(
        &f,
        &[
            ("X05", "error", "标牌清理!B5", V3),
            ("X04", "error", "标牌清理", "990101103299"),
        ],
    );
}

#[test]
fn v08_against_roster_and_v06_names_the_township_the_roster_gives() {
    let (_, mut fill) = base();
    let other = "990101104201";
    for sheet in [
        SheetId::Signs,
        SheetId::Rooms,
        SheetId::Duty,
        SheetId::Stars,
    ] {
        set(&mut fill, sheet, 3, Col::VillageCode, t(other));
    }
    fill.rows
        .get_mut(&SheetId::SignDetail)
        .unwrap()
        .retain(|r| r[0] != t("990101103204"));
    let now = spec(SheetId::Signs).index_of(Col::SignsNow);
    let dropped = num(&fill.rows[&SheetId::Signs][3][now]);
    let removed = num(&get(&fill, SheetId::Signs, 3, Col::SignsRemoved));
    set(&mut fill, SheetId::Signs, 3, Col::SignsNow, n(0.0));
    set(
        &mut fill,
        SheetId::Signs,
        3,
        Col::SignsRemoved,
        n(removed + dropped),
    );
    set(&mut fill, SheetId::Rooms, 0, Col::VillageName, t("樟溪村"));
    let f = check_with_roster(&fill, |rows| {
        rows.retain(|r| r.2 != "990101103204");
        rows.push((
            "990101104".into(),
            "樟黄镇".into(),
            other.into(),
            "外镇村".into(),
        ));
    });
    expect(
        &f,
        &[
            ("V06", "error", "标牌清理!B6", other),
            ("V08", "warning", "功能室!C3", V1),
            ("V06", "error", "功能室!B6", other),
            ("V06", "error", "坐班值守!B6", other),
            ("V06", "error", "星级申报!B6", other),
        ],
    );
    assert!(
        f[0]["message"]
            .as_str()
            .unwrap()
            .contains("名册中它属于樟黄镇(990101104)"),
        "{}",
        f[0]["message"]
    );
}
