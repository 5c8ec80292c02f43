//! Rooms, areas, duty and funds (M, D and T rules).

use super::*;

#[test]
fn m01_rooms_do_not_add_up() {
    case(
        |f| {
            let v = num(&get(f, SheetId::Rooms, 0, Col::RoomsOffice));
            set(f, SheetId::Rooms, 0, Col::RoomsOffice, n(v + 1.0));
        },
        &[],
        &[("M01", "error", "功能室!D3", V1)],
    );
}

#[test]
fn m02_office_share_too_high() {
    case(
        |f| {
            let s = num(&get(f, SheetId::Rooms, 1, Col::AreaService));
            set(f, SheetId::Rooms, 1, Col::AreaOffice, n(s));
        },
        &[],
        &[("M02", "warning", "功能室!J4", V2)],
    );
}

#[test]
fn m03_no_shared_office_and_its_explanation() {
    case(
        |f| set(f, SheetId::Rooms, 2, Col::SharedOffice, t("否")),
        &[],
        &[("M03", "warning", "功能室!K5", V3)],
    );
    let f = case(
        |f| {
            set(f, SheetId::Rooms, 2, Col::SharedOffice, t("否"));
            f.rows.insert(
                SheetId::Explanations,
                vec![demo::row(
                    &schema::EXPLANATIONS,
                    vec![
                        (Col::RuleCode, t("M03")),
                        (Col::VillageCode, t(V3)),
                        (Col::Explanation, t("办公楼改造中,9月完成")),
                    ],
                )],
            );
        },
        &[],
        &[("M03", "warning", "功能室!K5", V3)],
    );
    assert_eq!(f[0]["explained"], true);
}

#[test]
fn m02_a_share_just_over_the_limit_never_reads_as_the_limit() {
    // 180.1 of 600.1 ㎡ is 30.0117 %: over 30 %, shown as 30.01 %.
    let f = case(
        |f| {
            set(f, SheetId::Rooms, 1, Col::AreaService, n(420.0));
            set(f, SheetId::Rooms, 1, Col::AreaOffice, n(180.1));
        },
        &[],
        &[("M02", "warning", "功能室!J4", V2)],
    );
    let m = f[0]["message"].as_str().unwrap();
    assert!(m.starts_with("办公场所面积占 30.01%,超过 30%。"), "{m}");
    // Exactly 30 % is within the limit.
    case(
        |f| {
            set(f, SheetId::Rooms, 1, Col::AreaService, n(420.0));
            set(f, SheetId::Rooms, 1, Col::AreaOffice, n(180.0));
        },
        &[],
        &[],
    );
}

#[test]
fn m04_areas_do_not_fit_rooms() {
    case(
        |f| {
            set(f, SheetId::Rooms, 0, Col::AreaService, n(0.0));
            set(f, SheetId::Rooms, 0, Col::AreaOffice, n(0.0));
        },
        &[],
        &[("M04", "warning", "功能室!D3", V1)],
    );
}

#[test]
fn d01_more_on_duty_than_cadres() {
    case(
        |f| {
            let c = num(&get(f, SheetId::Duty, 0, Col::Cadres));
            set(f, SheetId::Duty, 0, Col::OnDuty, n(c + 1.0));
        },
        &[],
        &[("D01", "error", "坐班值守!E3", V1)],
    );
}

#[test]
fn d02_more_days_than_the_month() {
    case(
        |f| set(f, SheetId::Duty, 1, Col::DutyDays, n(31.0)),
        &[],
        &[("D02", "error", "坐班值守!G4", V2)],
    );
}

#[test]
fn d03_cadres_out_of_range() {
    case(
        |f| {
            set(f, SheetId::Duty, 0, Col::Cadres, n(2.0));
            set(f, SheetId::Duty, 0, Col::OnDuty, n(2.0));
        },
        &[],
        &[("D03", "warning", "坐班值守!D3", V1)],
    );
}

#[test]
fn d04_activities_without_people() {
    case(
        |f| set(f, SheetId::Duty, 2, Col::Participants, n(0.0)),
        &[],
        &[("D04", "warning", "坐班值守!K5", V3)],
    );
}

#[test]
fn d04_no_activity_has_no_crowd_per_activity() {
    // No activity this month, one person counted: nothing per activity to
    // be too many.
    case(
        |f| {
            set(f, SheetId::Duty, 2, Col::Activities, n(0.0));
            set(f, SheetId::Duty, 2, Col::Participants, n(1.0));
        },
        &[],
        &[],
    );
}

#[test]
fn d05_no_manager() {
    case(
        |f| set(f, SheetId::Duty, 0, Col::Managers, n(0.0)),
        &[],
        &[("D05", "warning", "坐班值守!F3", V1)],
    );
}

#[test]
fn t02_spent_more_than_given() {
    case(
        |f| {
            set(f, SheetId::Stars, 0, Col::FundsLastYear, n(10000.0));
            set(f, SheetId::Stars, 0, Col::FundsSpent, n(12000.5));
        },
        &[],
        &[("T02", "warning", "星级申报!H3", V1)],
    );
}
