//! The committed hostile fixtures (tests/fixtures/hostile): how each is
//! made, what it must give, and the test that rewrites them and their
//! README from this table.

use super::kit::*;
use super::Format;
use crate::finding::Code;
use crate::kit::handzip::bomb_xlsx;

type Expected = Result<Format, Code>;

/// The committed files under tests/fixtures/hostile: name, expected
/// outcome, what it is (中文 / English).
fn fixture_table() -> Vec<(&'static str, Expected, &'static str, &'static str)> {
    vec![
        (
            "empty.xlsx",
            Err(Code::S01),
            "空文件(0 字节)",
            "empty file (0 bytes)",
        ),
        (
            "pdf_renamed.xlsx",
            Err(Code::S01),
            "PDF 改了扩展名",
            "a PDF renamed to .xlsx",
        ),
        (
            "png_renamed.xlsx",
            Err(Code::S01),
            "PNG 图片改了扩展名",
            "a PNG picture renamed to .xlsx",
        ),
        (
            "csv_renamed.xlsx",
            Err(Code::S01),
            "CSV 文本改了扩展名",
            "CSV text renamed to .xlsx",
        ),
        (
            "docx_renamed.xlsx",
            Err(Code::S01),
            "Word 文档改了扩展名",
            "a Word .docx renamed to .xlsx",
        ),
        (
            "zip_no_workbook.xlsx",
            Err(Code::S01),
            "没有工作簿的 zip 压缩包",
            "a zip holding no workbook",
        ),
        (
            "missing_sheet_part.xlsx",
            Err(Code::S01),
            "workbook.xml 引用的工作表部件缺失",
            "workbook.xml names a sheet part that is missing",
        ),
        (
            "truncated.xlsx",
            Err(Code::S01),
            "被截去一半的 xlsx",
            "an xlsx cut in half",
        ),
        (
            "encrypted.xlsx",
            Err(Code::S01),
            "设置了打开密码(加密的复合文档)",
            "password-protected (encrypted CFB package)",
        ),
        (
            "wps.et",
            Err(Code::S01),
            "WPS 表格 .et 文件(按扩展名)",
            "a WPS .et file (by its extension)",
        ),
        (
            "xls_filepass.xls",
            Err(Code::S01),
            "带 FILEPASS 记录的加密 .xls",
            "an .xls with a FILEPASS record",
        ),
        (
            "zip_bomb.xlsx",
            Err(Code::S06),
            "约 150 MB 的零,声明只有 1000 字节(压缩炸弹)",
            "~150 MB of zeros declared as 1,000 bytes (zip bomb)",
        ),
        (
            "huge_sst.xlsx",
            Err(Code::S06),
            "共享字符串表声明 10^11 个字符串",
            "sharedStrings uniqueCount = 10^11",
        ),
        (
            "too_many_rows.xlsx",
            Err(Code::S06),
            "5001 行非空数据",
            "5,001 non-empty rows",
        ),
        (
            "deep_nesting.xlsx",
            Ok(Format::Xlsx),
            "工作表内 XML 嵌套 100 层(流式读取不受影响)",
            "XML nested 100 deep inside a worksheet (harmless to the streaming reader)",
        ),
        (
            "shared_formula_index.xlsx",
            Ok(Format::Xlsx),
            "共享公式编号 si=4000000000(公式不展开,无害)",
            "shared formula si = 4,000,000,000 (formulas are not expanded: harmless)",
        ),
        (
            "ods_repeated_content.ods",
            Err(Code::S06),
            "有内容的行重复 1048576 次、列重复 16384 次",
            "a row with content repeated 1,048,576 × 16,384",
        ),
        (
            "xls_far_cell.xls",
            Err(Code::S06),
            "A1 和 IV65536 各有一个数(稠密网格 1670 万格)",
            "cells at A1 and IV65536 (16.7M-cell dense grid)",
        ),
        (
            "xls_huge_dimensions.xls",
            Err(Code::S06),
            "DIMENSIONS 声明 100 万行 × 200 列",
            "DIMENSIONS claims 1,000,000 × 200",
        ),
        (
            "stray_far_cell.xlsx",
            Ok(Format::Xlsx),
            "A1 和 XFD1048576 各有内容,按稀疏方式读取,应接受",
            "cells at A1 and XFD1048576: read sparsely, accepted",
        ),
        (
            "ods_trailing_empty.ods",
            Ok(Format::Ods),
            "LibreOffice 式的空行尾部重复,应接受",
            "LibreOffice-style repeated empty tail: accepted",
        ),
    ]
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    match name {
        "empty.xlsx" => Vec::new(),
        "pdf_renamed.xlsx" => b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n".to_vec(),
        "png_renamed.xlsx" => b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\0IEND\xaeB`\x82".to_vec(),
        "csv_renamed.xlsx" => "县(市、区),乡镇(街道),乡镇(街道)代码,填报期间\n示范县,白砂镇,990101103,2024-06\n".as_bytes().to_vec(),
        "docx_renamed.xlsx" => docx_like(),
        "zip_no_workbook.xlsx" => zip_of(&[("说明.txt", "请查收附件".as_bytes())]),
        "missing_sheet_part.xlsx" => missing_sheet_xlsx(),
        "truncated.xlsx" => truncated_xlsx(),
        "encrypted.xlsx" => encrypted_ooxml(),
        "wps.et" => small_xlsx(),
        "xls_filepass.xls" => {
            let mut fp = vec![1u8, 0];
            fp.extend([0u8; 52]);
            xls(&[rec(0x002F, &fp)], &[number(0, 0, 1.0)])
        }
        "zip_bomb.xlsx" => bomb_xlsx(150 * 1024 * 1024 / 258, 1000),
        "huge_sst.xlsx" => huge_sst_xlsx(),
        "too_many_rows.xlsx" => many_rows_xlsx(5001),
        "deep_nesting.xlsx" => deep_xlsx(100),
        "shared_formula_index.xlsx" => shared_formula_xlsx("4000000000"),
        "ods_repeated_content.ods" => ods(&format!("{ODS_ROW}{ODS_HUGE_CONTENT}")),
        "xls_far_cell.xls" => xls(&[], &[number(0, 0, 1.0), number(65535, 255, 2.0)]),
        "xls_huge_dimensions.xls" => {
            xls(&[], &[dimensions((0, 1_000_000), (0, 200)), number(0, 0, 1.0)])
        }
        "stray_far_cell.xlsx" => stray_far_cell_xlsx(),
        "ods_trailing_empty.ods" => ods(&format!("{ODS_ROW}{ODS_EMPTY_TAIL}")),
        other => panic!("no fixture {other}"),
    }
}

fn fixture_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile")
}

fn fixture_outcome(name: &str, bytes: &[u8]) -> Expected {
    outcome(name, bytes).map_err(|f| f.code)
}

#[test]
fn generated_fixtures_give_their_expected_outcome() {
    for (name, expected, _, _) in fixture_table() {
        assert_eq!(
            fixture_outcome(name, &fixture_bytes(name)),
            expected,
            "{name}"
        );
    }
}

#[test]
fn committed_fixtures_give_their_expected_outcome() {
    for (name, expected, _, _) in fixture_table() {
        let path = fixture_dir().join(name);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (run write_hostile_fixtures)", path.display()));
        let limit = if name == "zip_bomb.xlsx" { 200 } else { 50 } * 1024;
        assert!(bytes.len() < limit, "{name} is {} bytes", bytes.len());
        assert_eq!(fixture_outcome(name, &bytes), expected, "{name}");
    }
}

/// Regenerates tests/fixtures/hostile and its README:
/// `cargo test --lib read::prescan -- --ignored write_hostile_fixtures`.
#[test]
#[ignore]
fn write_hostile_fixtures() {
    let dir = fixture_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let mut readme = String::from(
        "# Hostile input fixtures / 异常输入样例\n\n\
         Small files that the reader must reject (S01: cannot be opened; S06: too large \
         or too deep to read safely) or accept: `read::prescan` before calamine sees them, \
         and the cell budgets and declared part sizes while calamine streams an xlsx \
         worksheet. Regenerate with \
         `cargo test --lib read::prescan -- --ignored write_hostile_fixtures`; \
         `committed_fixtures_give_their_expected_outcome` checks them.\n\n\
         这些小文件用于检验读取前的安全预检:S01 表示无法作为工作簿打开,S06 表示过大或结构过深、无法安全读取。\n\n\
         | file | 说明 | what it is | expected |\n|---|---|---|---|\n",
    );
    for (name, expected, zh, en) in fixture_table() {
        let bytes = fixture_bytes(name);
        std::fs::write(dir.join(name), &bytes).unwrap();
        let exp = match expected {
            Ok(f) => format!("accepted ({f:?})"),
            Err(c) => c.as_str().to_string(),
        };
        readme.push_str(&format!("| `{name}` | {zh} | {en} | {exp} |\n"));
    }
    std::fs::write(dir.join("README.md"), readme).unwrap();
}
