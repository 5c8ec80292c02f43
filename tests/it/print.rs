//! What a county clerk prints (`outputs.md` "Presentation"): the samples'
//! county, tier and feedback workbooks and the template, rendered to PDF by
//! LibreOffice — 汇总 on one page, every page of a table with its first and
//! last header (so no sheet is wider than a page and headers repeat),
//! every page numbered — and their page setup and chart axes as openpyxl
//! reads them.

use crate::common::{copy_samples, openpyxl, project, require_program, stderr, Workdir};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Render `xlsx` to PDF with LibreOffice; the PDF's path.
fn render(w: &Workdir, xlsx: &Path) -> PathBuf {
    let out = w.path("pdf");
    let o = Command::new("soffice")
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(&out)
        .arg(xlsx)
        .env("HOME", w.root())
        .output()
        .expect("run soffice");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out.join(xlsx.with_extension("pdf").file_name().unwrap())
}

/// Each page's text.
fn pages(pdf: &Path) -> Vec<String> {
    let o = Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(o.status.success());
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let mut p: Vec<String> = text.split('\u{c}').map(str::to_string).collect();
    if p.last().is_some_and(|l| l.trim().is_empty()) {
        p.pop();
    }
    p
}

/// The sheet a page belongs to: the page header's right part (`&A`).
fn sheet_of(page: &str) -> String {
    let first = page.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    first.split_whitespace().last().unwrap_or("").to_string()
}

/// Check a PDF: every page numbered `第 N 页 共 M 页`; pages per sheet.
fn pages_per_sheet(pdf: &Path) -> (Vec<String>, BTreeMap<String, usize>) {
    let p = pages(pdf);
    let m = p.len();
    let mut per = BTreeMap::new();
    for (i, page) in p.iter().enumerate() {
        // pdftotext spaces the footer as the layout falls.
        let footer = format!("第{}页共{m}页", i + 1);
        let squeezed: String = page.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            squeezed.contains(&footer),
            "page {} of {pdf:?} lacks “{footer}”",
            i + 1
        );
        *per.entry(sheet_of(page)).or_insert(0) += 1;
    }
    (p, per)
}

/// Every page of `sheet` shows its first and last header (or a part of
/// one that fits on a line of a wrapped header).
fn headers_on_every_page(p: &[String], sheet: &str, first: &str, last: &str) {
    let on: Vec<&String> = p.iter().filter(|x| sheet_of(x) == sheet).collect();
    assert!(!on.is_empty(), "{sheet} printed");
    for (i, page) in on.iter().enumerate() {
        assert!(
            page.contains(first) && page.contains(last),
            "{sheet} page {}: headers {first}…{last} not both shown",
            i + 1
        );
    }
}

#[test]
fn county_tier_feedback_and_template_print_on_a4() {
    if !require_program("soffice") || !require_program("pdftotext") {
        return;
    }
    let w = Workdir::new();
    copy_samples(&w.path("ws"));
    let o = w.run(&["consolidate", "ws", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = w.path("ws/输出/2024-06");

    let (p, per) = pages_per_sheet(&render(&w, &out.join("县级汇总_示范县_2024-06.xlsx")));
    assert_eq!(per["汇总"], 1, "汇总 on one page: {per:?}");
    assert!(p.len() <= 30, "{} pages: {per:?}", p.len());
    for (sheet, first, last) in [
        ("汇总", "乡镇(街道)代码", "提示数"),
        ("标牌明细", "乡镇(街道)代码", "备案文号"),
        ("校验问题", "乡镇(街道)代码", "原值"),
        ("报送情况", "乡镇(街道)代码", "已说明"),
    ] {
        headers_on_every_page(&p, sheet, first, last);
    }
    assert!(
        p[0].contains("示范县2024年6月党群服务中心月报汇总"),
        "page header title"
    );

    let (p, per) = pages_per_sheet(&render(&w, &out.join("星级经费分档_示范县_2024-06.xlsx")));
    assert!(p.len() <= 12, "{} pages: {per:?}", p.len());
    headers_on_every_page(&p, "分档明细", "乡镇(街道)代码", "说明");
    // A partial split says so at the top of every page.
    assert!(
        p.iter().all(|x| x.contains("临时结果")),
        "临时结果 on every page"
    );

    let (p, per) = pages_per_sheet(&render(
        &w,
        &out.join("反馈/990101108_南浦街道_2024-06.xlsx"),
    ));
    assert_eq!(per["校验结果"], 1, "{per:?}");
    headers_on_every_page(&p, "校验结果", "序号", "已说明");

    let (p, per) = pages_per_sheet(&render(&w, &project("templates/乡镇月报模板.xlsx")));
    assert!(p.len() <= 12, "{} pages: {per:?}", p.len());
    headers_on_every_page(&p, "功能室", "序号", "便民超市");
}

#[test]
fn openpyxl_reads_the_page_setup_print_titles_and_chart_axes() {
    if !require_program("python3") {
        return;
    }
    let w = Workdir::new();
    copy_samples(&w.path("ws"));
    let o = w.run(&["consolidate", "ws", "--period", "2024-06", "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = w.path("ws/输出/2024-06");
    let script = r#"
import json, sys, openpyxl
out = {}
for path in sys.argv[1:]:
    wb = openpyxl.load_workbook(path)
    sheets = {}
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        ps = ws.page_setup
        sheets[ws.title] = {
            "paper": ps.paperSize, "orientation": ps.orientation,
            "fit_width": 1 if ps.fitToWidth is None else ps.fitToWidth,
            "fit_height": 1 if ps.fitToHeight is None else ps.fitToHeight,
            "fit": ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
            "titles": ws.print_title_rows,
            "header": ws.oddHeader.center.text, "footer": ws.oddFooter.center.text,
            "axes": [[c.y_axis.scaling.min, c.y_axis.scaling.max] for c in ws._charts],
        }
    out[path] = {"active": wb.active.title, "sheets": sheets}
print(json.dumps(out, ensure_ascii=False))
"#;
    let files = [
        out.join("县级汇总_示范县_2024-06.xlsx"),
        out.join("星级经费分档_示范县_2024-06.xlsx"),
        out.join("反馈/990101108_南浦街道_2024-06.xlsx"),
        project("templates/乡镇月报模板.xlsx"),
    ];
    let Some(out) = openpyxl(script, &files) else {
        return;
    };
    let got: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let book = |f: &PathBuf| &got[f.to_str().unwrap()];
    let opens_on = ["汇总", "分档明细", "校验结果", "填报说明"];
    let titles = [
        "示范县2024年6月党群服务中心月报汇总",
        "示范县2024年6月星级评定与经费分档(临时结果:已汇总 2/8 个乡镇,未评定的村不计入经费)",
        "南浦街道_2024-06.xlsx 校验结果",
        "乡镇(街道)党群服务中心月报",
    ];
    for ((f, first), title) in files.iter().zip(opens_on).zip(titles) {
        let b = book(f);
        assert_eq!(b["active"], first, "{f:?} opens on {first}");
        for (name, s) in b["sheets"].as_object().unwrap() {
            assert_eq!(s["paper"], 9, "{name}: A4");
            assert_eq!(s["fit"], true, "{name}: fit to page");
            assert_eq!(s["fit_width"], 1, "{name}: one page wide");
            assert_eq!(s["footer"], "第 &P 页 共 &N 页", "{name}");
            assert_eq!(s["header"], title, "{name}: the workbook's title");
        }
    }
    let county = &book(&files[0])["sheets"];
    assert_eq!(county["汇总"]["fit_height"], 1, "汇总 on one page");
    assert_eq!(county["汇总"]["orientation"], "landscape");
    assert_eq!(county["汇总"]["titles"], "$1:$1");
    assert_eq!(
        county["汇总"]["axes"],
        serde_json::json!([[0.0, 1.0]]),
        "摘牌率 0–100 %"
    );
    assert_eq!(county["进度"]["axes"][0], serde_json::json!([0.0, 1.0]));
    assert_eq!(county["标牌明细"]["titles"], "$1:$1");
    let tier = &book(&files[1])["sheets"];
    assert_eq!(tier["分档明细"]["titles"], "$1:$2", "statement and header");
    assert_eq!(tier["星级分布"]["axes"][0][0], 0.0);
    let feedback = &book(&files[2])["sheets"];
    assert_eq!(feedback["校验结果"]["titles"], "$1:$3");
    assert_eq!(feedback["校验结果"]["orientation"], "landscape");
    let template = &book(&files[3])["sheets"];
    assert_eq!(template["功能室"]["titles"], "$1:$2");
    assert_eq!(template["填报说明"]["orientation"], "portrait");
}
