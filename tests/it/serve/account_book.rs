//! `huizong accounts`: the accounts workbook made once, new townships
//! added, passwords reset.

use super::*;

#[test]
fn accounts_command_makes_the_workbook_once_adds_new_townships_and_resets() {
    use calamine::Reader;
    let work = Workdir::new();
    let ws = work.path("ws");
    std::fs::create_dir_all(&ws).unwrap();
    for f in ["county.toml", "roster.xlsx"] {
        std::fs::copy(project(SAMPLES).join(f), ws.join(f)).unwrap();
    }
    let o = work.run(&["accounts", ws.to_str().unwrap()]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let book = ws.join("账号_示范县.xlsx");
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&book).unwrap();
    let range = wb.worksheet_range("账号").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(
        rows[0],
        vec!["乡镇(街道)代码", "乡镇(街道)", "用户名", "密码", "登录地址"]
    );
    assert_eq!(rows.len(), 1 + 1 + 8);
    assert_eq!(rows[1][0], "");
    assert_eq!(rows[1][2], "county");
    assert!(rows[2..].iter().all(|r| r[0] == r[2] && r[0].len() == 9));
    let pw = |r: &Vec<String>| r[3].clone();
    assert!(rows[1..]
        .iter()
        .all(|r| pw(r).len() >= 10 && !pw(r).chars().any(|c| "0Oo1lIiL".contains(c))));
    // Print setup: A4, fit to width, header row repeated, page header and footer.
    let sheet = read_zip_text(&book, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("paperSize=\"9\""), "{sheet}");
    assert!(sheet.contains("fitToHeight=\"0\""));
    assert!(sheet.contains("第 &amp;P 页 共 &amp;N 页"));
    assert!(sheet.contains("党群服务中心月报报送账号"));
    let wbxml = read_zip_text(&book, "xl/workbook.xml");
    assert!(wbxml.contains("_xlnm.Print_Titles"), "{wbxml}");
    // A second run: no new township, no new workbook.
    let o = work.run(&["accounts", ws.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(crate::common::stdout(&o).contains("没有新建"));
    // --reset prints one new password once.
    let o = work.run(&["accounts", ws.to_str().unwrap(), "--reset", "990101101"]);
    let out = crate::common::stdout(&o);
    assert!(o.status.success() && out.contains("新密码"), "{out}");
    let o = work.run(&["accounts", ws.to_str().unwrap(), "--reset", "990109999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(crate::common::stderr(&o).contains("没有账号"));
    // A township new in the roster gets a login in a new workbook.
    let mut rr = roster_rows(&ws.join("roster.xlsx"));
    let mut extra = rr[0].clone();
    extra.0 = "990101109".into();
    extra.1 = "新设镇".into();
    extra.2 = "990101109201".into();
    rr.push(extra);
    std::fs::remove_file(ws.join("roster.xlsx")).unwrap();
    huizong::kit::demo::write_roster(&ws.join("roster.xlsx"), &rr).unwrap();
    let o = work.run(&[
        "accounts",
        ws.to_str().unwrap(),
        "-o",
        work.path("新增.xlsx").to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", crate::common::stderr(&o));
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(work.path("新增.xlsx")).unwrap();
    let range = wb.worksheet_range("账号").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1][0], "990101109");
    // Chinese --help for both commands.
    for cmd in ["accounts", "serve"] {
        let o = work.run(&[cmd, "--help"]);
        let h = crate::common::stdout(&o);
        assert!(
            h.contains("用法") && h.contains("工作区") && h.contains("显示帮助"),
            "{h}"
        );
    }
}

/// The rows of a roster workbook (sheet 名册) as the demo kit writes them:
/// (township code, township, village code, village).
fn roster_rows(path: &Path) -> Vec<huizong::kit::demo::RosterRow> {
    use calamine::Reader;
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = wb.worksheet_range("名册").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect())
        .collect();
    let head = rows
        .iter()
        .position(|r| r.iter().any(|c| c == "乡镇(街道)代码"))
        .unwrap();
    let col = |name: &str| rows[head].iter().position(|c| c == name).unwrap();
    let (tc, tn, vc, vn) = (
        col("乡镇(街道)代码"),
        col("乡镇(街道)"),
        col("村(社区)代码"),
        col("村(社区)名称"),
    );
    rows[head + 1..]
        .iter()
        .filter(|r| !r[vc].is_empty())
        .map(|r| (r[tc].clone(), r[tn].clone(), r[vc].clone(), r[vn].clone()))
        .collect()
}
