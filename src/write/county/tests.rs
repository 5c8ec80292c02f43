//! Tests of the county workbook over fixture batches, read back with
//! calamine.

use super::*;
use crate::aggregate::fixtures::*;
use crate::read::normalise::Date;
use crate::write::grid::*;
use crate::write::style;
use calamine::{Data, Reader, Xlsx};
use std::io::Cursor;

fn county(code: &str) -> CountyConfig {
    CountyConfig {
        name: "示范县".into(),
        code: code.into(),
        budget: 1_000_000,
    }
}

fn bytes(
    county: &CountyConfig,
    batch: &Batch,
    previous: Option<&Batch>,
    policy: &Policy,
) -> Vec<u8> {
    let notes = vec!["未提供名册:未检查 X04、X05".to_string()];
    let mom = previous.map(|p| aggregate::month_over_month(batch, p).unwrap());
    let summary = summary_table(batch, county.code.len() < 6).unwrap();
    let input = CountyInput {
        county,
        period: JUNE,
        batch,
        month_over_month: mom.as_ref(),
        policy,
        tool_version: "0.1.0",
        notes: &notes,
        extra_findings: &[],
        summary: &summary,
        history: &[],
    };
    build(&input).unwrap().save_to_buffer().unwrap()
}

fn show(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) => format!("{f}"),
        Data::Int(i) => format!("{i}"),
        Data::Bool(b) => format!("{b}"),
        Data::DateTime(dt) => Date::from_serial(dt.as_f64())
            .map(|d| d.to_string())
            .unwrap_or_default(),
        other => format!("{other:?}"),
    }
}

/// Every row of a sheet as shown text.
fn sheet(wb: &mut Xlsx<Cursor<Vec<u8>>>, name: &str) -> Vec<Vec<String>> {
    let r = wb.worksheet_range(name).unwrap();
    assert_eq!(r.start(), Some((0, 0)), "{name} starts at A1");
    r.rows().map(|row| row.iter().map(show).collect()).collect()
}

fn open(b: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    Xlsx::new(Cursor::new(b)).unwrap()
}

#[test]
fn file_name_is_safe() {
    assert_eq!(file_name("示范县", JUNE), "县级汇总_示范县_2024-06.xlsx");
    assert_eq!(file_name("a/b", JUNE), "县级汇总_a_b_2024-06.xlsx");
}

#[test]
fn county_workbook_cells() {
    let j = june();
    let policy = Policy::default_rules();
    let b = bytes(&county("990101"), &j.batch, None, &policy);
    let mut wb = open(b);
    assert_eq!(
        wb.sheet_names(),
        [
            "说明",
            "汇总",
            "标牌清理",
            "标牌明细",
            "功能室",
            "坐班值守",
            "星级申报",
            "报送情况",
            "校验问题",
            "进度"
        ]
    );

    // 汇总: header, three townships, 合计.
    let s = sheet(&mut wb, "汇总");
    assert_eq!(s[0], aggregate::summary_headers());
    assert_eq!(s.len(), 5);
    let col = |h: &str| s[0].iter().position(|x| x == h).unwrap();
    let status: Vec<&str> = s[1..].iter().map(|r| r[col("报送状态")].as_str()).collect();
    assert_eq!(status, ["已汇总", "退回", "未报送", "已汇总 1/3"]);
    assert_eq!(s[4][0], "");
    assert_eq!(s[4][1], "合计");
    let before = total(&j.a.villages, |v| v.signs_before) + 2.0;
    assert_eq!(s[4][col("清理前标牌数")], format!("{before}"));
    assert_eq!(s[1][col("清理前标牌数")], format!("{before}"));
    assert_eq!(s[2][col("清理前标牌数")], "", "退回: no figures");
    let removed = total(&j.a.villages, |v| v.removed);
    assert_eq!(s[4][col("摘牌率")], format!("{}", removed / before));
    assert_eq!(s[4][col("错误数")], "1");
    assert_eq!(s[4][col("提示数")], "2");
    assert_eq!(s[2][col("错误数")], "1");
    assert_eq!(s[3][col("错误数")], "0");

    // Village sheets: the used township's rows only.
    let signs = sheet(&mut wb, "标牌清理");
    let mut want = vec!["乡镇(街道)代码".to_string(), "乡镇(街道)".to_string()];
    want.extend(schema::SIGNS.columns.iter().map(|c| c.header.to_string()));
    assert_eq!(signs[0], want);
    assert_eq!(signs.len(), 1 + 3);
    assert_eq!(signs[1][..3], [A, "白砂镇", j.a.villages[0].code.as_str()]);
    let detail = sheet(&mut wb, "标牌明细");
    let n: usize = j.a.villages.iter().map(|v| v.signs.len()).sum();
    assert_eq!(detail.len(), 1 + n + 2);

    // 报送情况.
    let r = sheet(&mut wb, "报送情况");
    assert_eq!(r[0], SUBMISSION_HEADERS);
    assert_eq!(r.len(), 4);
    let a = &j.a;
    assert_eq!(
        r[1],
        [
            A,
            "白砂镇",
            "已汇总",
            FILE_A,
            a.filler.as_str(),
            a.phone.as_str(),
            a.fill_date.to_string().as_str(),
            "0",
            "2",
            "0"
        ]
    );
    assert_eq!(r[2][..4], [B, "樟黄镇", "退回", FILE_B]);
    assert_eq!(r[2][4], j.b.filler);
    assert_eq!(r[2][7..], ["1", "0", "0"]);
    assert_eq!(r[3], [C, "溪口乡", "未报送", "", "", "", "", "0", "0", "0"]);

    // 校验问题: P03, P04 (A), M01 (B) at 功能室!D3 (序号 A, 代码 B, 名称 C, 房间总数 D).
    let f = sheet(&mut wb, "校验问题");
    assert_eq!(f[0], FINDING_HEADERS);
    assert_eq!(f.len(), 4);
    let codes: Vec<&str> = f[1..].iter().map(|r| r[6].as_str()).collect();
    assert_eq!(codes, ["P03", "P04", "M01"]);
    let m01 = &f[3];
    let rooms = j.b.villages[0].rooms_office + j.b.villages[0].rooms_service + 1;
    assert_eq!(
        m01[..8],
        [
            B,
            "樟黄镇",
            FILE_B,
            "功能室",
            "D3",
            j.b.villages[0].code.as_str(),
            "M01",
            "错误"
        ]
    );
    assert!(!m01[8].is_empty());
    assert_eq!(m01[9], rooms.to_string());
    assert_eq!(f[1][7], "提示");

    // 说明: county, period, date, rules hash, every file with its hash.
    let d = sheet(&mut wb, "说明");
    let text: Vec<String> = d.iter().map(|r| r.join("|")).collect();
    let all = text.join("\n");
    for want in [
        "县(市、区)|示范县",
        "汇总期间|2024-06",
        "文档日期|2024-06-01",
        "工具版本|huizong 0.1.0",
        "汇总情况|已汇总 1/3",
        "备注|未提供名册:未检查 X04、X05",
    ] {
        assert!(text.iter().any(|l| l.starts_with(want)), "{want} in\n{all}");
    }
    assert!(all.contains(&policy.sha256), "{all}");
    let header = text
        .iter()
        .position(|l| l.starts_with("文件|SHA-256|乡镇(街道)代码|乡镇(街道)|状态"))
        .expect("file table");
    assert_eq!(
        d[header + 1][..],
        [
            FILE_A,
            j.batch.files[0].loaded.sha256.as_str(),
            A,
            "白砂镇",
            "已汇总"
        ]
    );
    assert_eq!(d[header + 2][4], "退回");
    assert_eq!(d.len(), header + 3);
}

#[test]
fn data_sheets_show_numbers_in_text_columns_as_read() {
    // The reader gives text columns text; a table made otherwise (a
    // number in 备案文号) still shows the number as text, in its row.
    let mut j = june();
    let used = j.batch.townships[0].judged.unwrap();
    let ret = j.batch.files[used].loaded.ret.as_mut().unwrap();
    let t = ret
        .tables
        .iter_mut()
        .find(|t| t.id() == SheetId::SignDetail)
        .unwrap();
    let (i, _) = t.spec.column(crate::schema::Col::SignFiling).unwrap();
    let n = t.rows.len();
    let second = t.rows[1];
    t.set(
        &second,
        i,
        crate::model::Field::Ok(crate::model::Val::Num(rust_decimal::Decimal::new(125, 1))),
    );
    let policy = Policy::default_rules();
    let mut wb = open(bytes(&county("990101"), &j.batch, None, &policy));
    let r = wb.worksheet_range("标牌明细").unwrap();
    let col = 2 + i as u32;
    assert_eq!(r.get_value((2, col)), Some(&Data::String("12.5".into())));
    assert_eq!(r.get_value((1, col)), Some(&Data::Empty));
    assert_eq!(r.get_value((n as u32, 0)), Some(&Data::String(A.into())));
}

#[test]
fn same_input_same_bytes() {
    let j = june();
    let m = two_months();
    let policy = Policy::default_rules();
    let c = county("990101");
    assert_eq!(
        bytes(&c, &j.batch, None, &policy),
        bytes(&c, &j.batch, None, &policy)
    );
    assert_eq!(
        bytes(&c, &m.june, Some(&m.may), &policy),
        bytes(&c, &m.june, Some(&m.may), &policy)
    );
}

#[test]
fn previous_period_adds_month_over_month() {
    let m = two_months();
    let policy = Policy::default_rules();
    let mut wb = open(bytes(&county("990101"), &m.june, Some(&m.may), &policy));
    let names = wb.sheet_names();
    assert_eq!(names[7], "环比");
    assert_eq!(names[8], "报送情况");
    let s = sheet(&mut wb, "环比");
    assert_eq!(
        s[0][..5],
        [
            "乡镇(街道)代码",
            "乡镇(街道)",
            "村(社区)代码",
            "村(社区)名称",
            "清理前标牌数本期"
        ]
    );
    assert_eq!(s[0].last().map(String::as_str), Some("环比提示"));
    assert_eq!(s.len(), 5);
    let flags: Vec<&str> = s[1..].iter().map(|r| r.last().unwrap().as_str()).collect();
    assert_eq!(flags, ["", "H03", "H04", "H04"]);
    assert_eq!(s[2][6], "1", "清理前标牌数变动");
}

#[test]
fn city_summary_has_counties_and_subtotals() {
    let j = june();
    let mut batch = j.batch;
    batch.townships[1].county_code = Some("990102".into());
    batch.townships[1].county_name = Some("样板区".into());
    let policy = Policy::default_rules();
    let mut c = county("9901");
    c.name = "示范市".into();
    let mut wb = open(bytes(&c, &batch, None, &policy));
    let s = sheet(&mut wb, "汇总");
    let mut want = vec!["县(市、区)代码".to_string(), "县(市、区)".to_string()];
    want.extend(aggregate::summary_headers().iter().map(|h| h.to_string()));
    assert_eq!(s[0], want);
    let rows: Vec<[&str; 5]> = s[1..]
        .iter()
        .map(|r| [&r[0], &r[1], &r[2], &r[3], &r[4]].map(String::as_str))
        .collect();
    assert_eq!(
        rows,
        [
            ["990101", "示范县", A, "白砂镇", "已汇总"],
            ["990101", "示范县", C, "溪口乡", "未报送"],
            ["990101", "示范县", "", "示范县小计", "已汇总 1/2"],
            ["990102", "样板区", B, "樟黄镇", "退回"],
            ["990102", "样板区", "", "样板区小计", "已汇总 0/1"],
            ["", "", "", "合计", "已汇总 1/3"],
        ]
    );
    let col = s[0].iter().position(|h| h == "清理前标牌数").unwrap();
    let before = total(&j.a.villages, |v| v.signs_before) + 2.0;
    assert_eq!(s[3][col], format!("{before}"));
    assert_eq!(s[6][col], format!("{before}"), "subtotals not counted");
    let e = s[0].iter().position(|h| h == "错误数").unwrap();
    assert_eq!(s[6][e], "1");
}

#[test]
#[allow(clippy::single_range_in_vec_init)]
fn split_ranges_keep_a_header_row_each() {
    assert_eq!(split_ranges(0, 3), [0..0]);
    assert_eq!(split_ranges(2, 3), [0..2]);
    assert_eq!(split_ranges(5, 3), [0..2, 2..4, 4..5]);
    assert_eq!(split_ranges(4, 3), [0..2, 2..4]);
    assert_eq!(split_ranges(3, EXCEL_MAX_ROWS), [0..3]);
    assert_eq!(
        split_ranges(EXCEL_MAX_ROWS, EXCEL_MAX_ROWS),
        [0..EXCEL_MAX_ROWS - 1, EXCEL_MAX_ROWS - 1..EXCEL_MAX_ROWS]
    );
}

#[test]
fn long_tables_continue_on_numbered_sheets_and_text_stays_text() {
    let mut t = Table::new(&["村(社区)名称", "村(社区)数"]);
    for (i, s) in ["=1+1", "+86", "-x", "@a", "普通"].iter().enumerate() {
        t.push(vec![Cell::text(*s), Cell::count(i)], false);
    }
    let mut wb = Workbook::new();
    let make = |_: &()| Ok(("标牌明细", Box::new(t.clone()) as Box<SyncGrid>));
    let names = add_split_sheets(&mut wb, &[()], make, 3, &Looks::new(), "题").unwrap();
    assert_eq!(names, ["标牌明细", "标牌明细2", "标牌明细3"]);
    let b = wb.save_to_buffer().unwrap();
    let mut zip = zip::ZipArchive::new(Cursor::new(b.clone())).unwrap();
    for i in 1..=3 {
        let mut xml = String::new();
        std::io::Read::read_to_string(
            &mut zip.by_name(&format!("xl/worksheets/sheet{i}.xml")).unwrap(),
            &mut xml,
        )
        .unwrap();
        assert!(!xml.contains("<f>"), "{xml}");
        assert!(xml.contains("autoFilter"), "{xml}");
        assert!(xml.contains("state=\"frozen\""), "{xml}");
    }
    let mut x = open(b);
    assert_eq!(
        sheet(&mut x, "标牌明细"),
        [["村(社区)名称", "村(社区)数"], ["=1+1", "0"], ["+86", "1"]]
    );
    assert_eq!(
        sheet(&mut x, "标牌明细2"),
        [["村(社区)名称", "村(社区)数"], ["-x", "2"], ["@a", "3"]]
    );
    assert_eq!(
        sheet(&mut x, "标牌明细3"),
        [["村(社区)名称", "村(社区)数"], ["普通", "4"]]
    );
}

#[test]
fn long_text_is_cut() {
    let mut t = Table::new(&["说明"]);
    t.push(
        vec![Cell::text("字".repeat(style::EXCEL_MAX_TEXT + 10))],
        false,
    );
    let mut wb = Workbook::new();
    let make = |_: &()| Ok(("校验问题", Box::new(t.clone()) as Box<SyncGrid>));
    add_split_sheets(&mut wb, &[()], make, EXCEL_MAX_ROWS, &Looks::new(), "题").unwrap();
    let mut x = open(wb.save_to_buffer().unwrap());
    let s = sheet(&mut x, "校验问题");
    assert_eq!(s[1][0].chars().count(), style::EXCEL_MAX_TEXT);
}

#[test]
fn writes_atomically_into_a_folder() {
    let j = june();
    let policy = Policy::default_rules();
    let c = county("990101");
    let dir = tempfile::tempdir().unwrap();
    let summary = summary_table(&j.batch, false).unwrap();
    let input = CountyInput {
        county: &c,
        period: JUNE,
        batch: &j.batch,
        month_over_month: None,
        policy: &policy,
        tool_version: "0.1.0",
        notes: &[],
        extra_findings: &[],
        summary: &summary,
        history: &[],
    };
    let set = OutputSet::new();
    let path = write_into(&input, dir.path(), &set).unwrap();
    assert_eq!(path, dir.path().join("县级汇总_示范县_2024-06.xlsx"));
    assert!(!path.exists(), "in place only when the set is");
    set.commit().unwrap();
    assert!(std::fs::read(&path).unwrap().starts_with(b"PK"));
}

#[test]
fn submissions_list_superseded_y03_and_orphans() {
    let mut a = township(A, "白砂镇", 2, JUNE, 31);
    a.fill_date = Date::new(2024, 6, 25).unwrap();
    let mut old = a.clone();
    old.fill_date = Date::new(2024, 6, 20).unwrap();
    old.villages[0].wall_rules += 1;
    old.villages[0].signs_before += 1;
    let b = township(B, "樟黄镇", 2, JUNE, 32);
    let mut b2 = b.clone();
    b2.villages[1].cadres += 1;
    let policy = Policy::default_rules();
    let garbage = crate::read::read_bytes(
        "坏文件.xlsx",
        Path::new("坏文件.xlsx"),
        b"not a workbook",
        &policy,
        Some(JUNE),
    );
    let old_name = "990101103_白砂镇_旧.xlsx";
    let b2_name = "990101104_樟黄镇_改.xlsx";
    let mut files = vec![
        load(FILE_A, &crate::kit::demo::fill(&a), JUNE, None),
        load(old_name, &crate::kit::demo::fill(&old), JUNE, None),
        load(FILE_B, &crate::kit::demo::fill(&b), JUNE, None),
        load(b2_name, &crate::kit::demo::fill(&b2), JUNE, None),
        garbage,
    ];
    files.sort_by(|x, y| x.file.cmp(&y.file));
    let exp = expected(&[(A, "白砂镇"), (B, "樟黄镇"), (C, "溪口乡")]);
    let batch = crate::batch::decide(JUNE, files, &exp, false);
    let mut wb = open(bytes(&county("990101"), &batch, None, &policy));
    let r = sheet(&mut wb, "报送情况");
    let heads: Vec<[&str; 4]> = r[1..]
        .iter()
        .map(|x| [&x[0], &x[1], &x[2], &x[3]].map(String::as_str))
        .collect();
    let both = format!("{FILE_B}、{b2_name}");
    assert_eq!(
        heads,
        [
            [A, "白砂镇", "已汇总", FILE_A],
            [B, "樟黄镇", "退回", both.as_str()],
            [C, "溪口乡", "未报送", ""],
            [A, "白砂镇", "已替代", old_name],
            ["", "", "无法读取", "坏文件.xlsx"],
        ]
    );
    // Y03: no cover shown; one Y03 per file counted.
    assert_eq!(r[2][4..], ["", "", "", "2", "0", "0"]);
    // The superseded file: its Y01 is an open warning.
    assert_eq!(r[4][4], old.filler);
    assert_eq!(r[4][6], "2024-06-20");
    assert_eq!(r[4][7..], ["0", "1", "0"]);
    assert_eq!(r[5][7..], ["1", "0", "0"]);
    // The township row counts the superseded file's Y01 too.
    assert_eq!(r[1][7..], ["0", "1", "0"]);

    let f = sheet(&mut wb, "校验问题");
    let codes: Vec<(&str, &str, &str)> = f[1..]
        .iter()
        .map(|x| (x[0].as_str(), x[2].as_str(), x[6].as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (A, old_name, "Y01"),
            (B, FILE_B, "Y03"),
            (B, b2_name, "Y03"),
            ("", "坏文件.xlsx", "S01"),
        ]
    );
    assert_eq!(f[4][7], "无法读取");

    let d = sheet(&mut wb, "说明");
    let at = d.iter().position(|x| x[0] == "文件").unwrap();
    let statuses: Vec<(&str, &str)> = d[at + 1..]
        .iter()
        .map(|x| (x[0].as_str(), x[4].as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            (FILE_A, "已汇总"),
            (old_name, "已替代"),
            (FILE_B, "退回"),
            (b2_name, "退回"),
            ("坏文件.xlsx", "无法读取"),
        ]
    );
    let s = sheet(&mut wb, "汇总");
    assert_eq!(s[4][2], "已汇总 1/3");
}

#[test]
fn an_empty_batch_still_makes_a_workbook() {
    let batch = Batch {
        period: JUNE,
        files: Vec::new(),
        townships: Vec::new(),
        orphans: Vec::new(),
        ignored: Vec::new(),
    };
    let policy = Policy::default_rules();
    let mut wb = open(bytes(&county("990101"), &batch, Some(&batch), &policy));
    assert_eq!(wb.sheet_names().len(), 11);
    let s = sheet(&mut wb, "汇总");
    assert_eq!(s.len(), 2);
    assert_eq!(s[1][1], "合计");
    assert_eq!(s[1][2], "已汇总 0/0");
    assert_eq!(sheet(&mut wb, "环比").len(), 1);
    assert_eq!(sheet(&mut wb, "标牌明细").len(), 1);
}
