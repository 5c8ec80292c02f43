//! Why the pre-scan refuses a file, as a value: every check returns a
//! [`Refusal`], and this file alone turns one into the S01/S06 finding the
//! user reads, so that each message is written once and a check cannot
//! word its own.

use super::limits::{
    MAX_CELL_TEXT_BYTES, MAX_CONTINUE_RECORDS, MAX_DENSE_CELLS, MAX_DENSE_CELLS_TOTAL,
    MAX_ODS_MATERIALISED, MAX_SHEETS, MAX_XML_DEPTH, MAX_XML_EVENT_BYTES, MAX_ZIP_ENTRIES, MIB,
};
use crate::finding::{Code, Finding};
use std::io;

/// What the pre-scan found that keeps a file from being read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    // ------------------------------------------------ S01: cannot be opened
    /// Zero bytes.
    EmptyFile,
    /// A WPS `.et`/`.ett` file.
    WpsEt,
    /// Password-protected (any format).
    Encrypted,
    /// Neither zip nor compound file: what it is instead, for the message.
    NotWorkbook(&'static str),
    /// Another office document (Word, PowerPoint, OpenDocument text).
    OfficeDocument(&'static str),
    /// A zip archive holding no workbook.
    ZipWithoutWorkbook,
    /// Broken in a way only saving it again can mend.
    Damaged(Damage),

    // ------------------------------------------------ S06: too large
    /// Over {max_file_mb} on disk.
    FileTooLarge {
        bytes: u64,
        max_mb: u64,
    },
    /// The zip directory declares more than {max_inflated_mb}.
    DeclaredInflateTooLarge {
        mb: u64,
        max_mb: u64,
    },
    /// Reading the parts inflated more than {max_inflated_mb}.
    InflateTooLarge {
        max_mb: u64,
    },
    TooManySheets,
    /// A sheet with more than {max_rows} non-empty rows.
    TooManyRows {
        sheet: String,
        max_rows: u64,
    },
    /// The dense grid calamine would build for one sheet (xls, ods).
    DenseTooBig {
        sheet: String,
        rows: u64,
        cols: u64,
    },
    /// The grid an xls DIMENSIONS record declares.
    DeclaredDenseTooBig {
        sheet: String,
        rows: u64,
        cols: u64,
    },
    /// More non-empty cells in the file than its budget.
    TooManyCells {
        max: u64,
    },
    /// The dense grids of all sheets together.
    DenseTotalTooBig,
    /// Cells calamine's ODS reader would materialise for one sheet.
    OdsMaterialised {
        sheet: String,
    },

    // ------------------------------------------------ S06: suspicious
    TooManyParts(usize),
    /// A shared-string count out of proportion to its part (or too many).
    SharedStringCount(u64),
    /// A stretch of one part longer than one XML event may be.
    LongStretch {
        part: String,
    },
    TooDeep {
        part: String,
    },
    /// A part inflating past its declared size (a zip bomb's lie); `part`
    /// names it, ready to stand before 解压后.
    BiggerThanDeclared {
        part: String,
    },
    /// Text materialised from references past its budget.
    RepeatedText,
    FormulaTooComplex,
    /// `<text:s text:c>` with this many spaces.
    OdsSpaces(u64),
    TooManyContinues,
}

/// What is broken, for [`Refusal::Damaged`]'s message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Damage {
    ZipTruncated,
    ZipDirectory,
    /// The zip crate refused to open this part.
    PartUnreadable(String),
    /// This part failed while inflating.
    PartNotInflatable(String),
    /// Malformed XML in a part calamine parses.
    PartMalformed(String),
    /// The workbook part (its path) is missing.
    MissingWorkbook(String),
    MissingPackageRels,
    /// A part calamine needs (its path) is missing.
    MissingPart(String),
    /// A sheet (its name) has no relationship to a part.
    SheetWithoutPart(String),
    /// A sheet (its name) of a kind calamine does not know.
    SheetKindUnknown(String),
    MissingSheetPart {
        sheet: String,
        path: String,
    },
    /// An xlsb record longer than its part.
    RecordTooLong,
    /// ODS `content.xml` with unbalanced or unclosed tags.
    OdsUnbalanced,
    Cfb,
    BiffRecordCut,
    /// A MergeCells record cut short, in this sheet.
    MergeCellsCut(String),
    Dimensions,
    /// A FORMULA record cut short, in this sheet.
    FormulaCut(String),
    BoundSheet,
    /// A globals record (its type) cut short.
    GlobalsRecordCut(u16),
    /// A sheet (its name) whose position is past the end of the stream.
    SheetOutsideFile(String),
}

impl From<Damage> for Refusal {
    fn from(d: Damage) -> Refusal {
        Refusal::Damaged(d)
    }
}

const RESAVE: &str = "请用 Excel 或 WPS 打开后「另存为」Excel 工作簿(.xlsx),再重新报送。";
const TRIM: &str = "请只保留月报模板中的工作表和数据,删除图片、多余的行列和格式后,用 Excel 或 WPS 另存为 .xlsx 再报送。";

impl From<Refusal> for Finding {
    fn from(r: Refusal) -> Finding {
        let damaged = |detail: String| {
            Finding::new(
                Code::S01,
                format!("文件已损坏({detail}),无法打开。{RESAVE}"),
            )
        };
        let too_large = |detail: String| {
            Finding::new(Code::S06, format!("文件过大,无法安全读取:{detail}。{TRIM}"))
        };
        let suspicious = |detail: String| {
            Finding::new(
                Code::S06,
                format!("文件结构异常,无法安全读取:{detail}。{RESAVE}"),
            )
        };
        match r {
            Refusal::EmptyFile => Finding::new(
                Code::S01,
                "文件是空的(0 字节),不是 Excel 工作簿,可能保存或传送时出错。请用 Excel 或 WPS 重新另存为 .xlsx 后报送。",
            ),
            Refusal::WpsEt => Finding::new(
                Code::S01,
                "该文件是 WPS 表格专用格式(.et/.ett),本工具无法读取。请在 WPS 中打开,用「另存为」选择 Excel 工作簿(.xlsx)后重新报送。",
            ),
            Refusal::Encrypted => Finding::new(
                Code::S01,
                "文件设置了打开密码(已加密),本工具无法读取。请在 Excel 或 WPS 中去掉密码后另存为 .xlsx,再重新报送。",
            ),
            Refusal::NotWorkbook(kind) => Finding::new(
                Code::S01,
                format!("该文件不是 Excel 工作簿(实际是{kind}),可能只是改了扩展名。请用 Excel 或 WPS 打开原表格,另存为 .xlsx 后重新报送。"),
            ),
            Refusal::OfficeDocument(kind) => Finding::new(
                Code::S01,
                format!("该文件是{kind},不是 Excel 工作簿。请把数据填入月报模板(Excel 表格),用 Excel 或 WPS 另存为 .xlsx 后重新报送。"),
            ),
            Refusal::ZipWithoutWorkbook => Finding::new(
                Code::S01,
                "该文件是一个压缩包(zip),里面没有 Excel 工作簿,不是 Excel 工作簿。请直接报送用 Excel 或 WPS 另存的 .xlsx 文件,不要打包压缩。",
            ),
            Refusal::Damaged(d) => damaged(damage_detail(d)),
            Refusal::FileTooLarge { bytes, max_mb } => too_large(format!(
                "文件大小 {:.1} MB,超过允许的 {max_mb} MB",
                bytes as f64 / MIB as f64
            )),
            Refusal::DeclaredInflateTooLarge { mb, max_mb } => {
                too_large(format!("解压后约 {mb} MB,超过允许的 {max_mb} MB"))
            }
            Refusal::InflateTooLarge { max_mb } => {
                too_large(format!("解压后超过允许的 {max_mb} MB"))
            }
            Refusal::TooManySheets => too_large(format!("工作表超过 {MAX_SHEETS} 个")),
            Refusal::TooManyRows { sheet, max_rows } => too_large(format!(
                "工作表「{sheet}」的非空数据超过 {max_rows} 行,超出月报的合理规模"
            )),
            Refusal::DenseTooBig { sheet, rows, cols } => too_large(format!(
                "工作表「{sheet}」的数据区域达 {rows} 行 × {cols} 列,超过 {MAX_DENSE_CELLS} 个单元格的安全上限(常见原因:在很远的单元格里误填了内容)"
            )),
            Refusal::DeclaredDenseTooBig { sheet, rows, cols } => too_large(format!(
                "工作表「{sheet}」声明的数据区域达 {rows} 行 × {cols} 列,超过 {MAX_DENSE_CELLS} 个单元格的安全上限"
            )),
            Refusal::TooManyCells { max } => too_large(format!("非空单元格超过 {max} 个")),
            Refusal::DenseTotalTooBig => too_large(format!(
                "各工作表的数据区域合计超过 {MAX_DENSE_CELLS_TOTAL} 个单元格"
            )),
            Refusal::OdsMaterialised { sheet } => too_large(format!(
                "工作表「{sheet}」展开后的单元格超过 {MAX_ODS_MATERIALISED} 个"
            )),
            Refusal::TooManyParts(n) => suspicious(format!(
                "文件内部有 {n} 个部件,超过 {MAX_ZIP_ENTRIES} 个"
            )),
            Refusal::SharedStringCount(n) => {
                suspicious(format!("共享字符串表声明了 {n} 个字符串,与文件大小不符"))
            }
            Refusal::LongStretch { part } => suspicious(format!(
                "部件 {part} 中有单段超过 {} MB 的内容",
                MAX_XML_EVENT_BYTES / MIB
            )),
            Refusal::TooDeep { part } => suspicious(format!(
                "部件 {part} 的 XML 嵌套超过 {MAX_XML_DEPTH} 层"
            )),
            Refusal::BiggerThanDeclared { part } => suspicious(format!(
                "{part}解压后比它声明的大小更大(疑似“压缩炸弹”)"
            )),
            Refusal::RepeatedText => suspicious(format!(
                "大量单元格重复引用很长的文字或公式,展开后超过 {} MB",
                MAX_CELL_TEXT_BYTES / MIB
            )),
            Refusal::FormulaTooComplex => suspicious("公式过长或过于复杂".to_string()),
            Refusal::OdsSpaces(n) => suspicious(format!("单元格中声明了 {n} 个连续空格")),
            Refusal::TooManyContinues => suspicious(format!(
                "一条记录后跟着超过 {MAX_CONTINUE_RECORDS} 条续接记录"
            )),
        }
    }
}

fn damage_detail(d: Damage) -> String {
    match d {
        Damage::ZipTruncated => "压缩结构不完整,可能下载或复制时被截断".to_string(),
        Damage::ZipDirectory => "压缩目录无法读取".to_string(),
        Damage::PartUnreadable(part) => format!("部件 {part} 无法读取"),
        Damage::PartNotInflatable(part) => format!("部件 {part} 无法解压"),
        Damage::PartMalformed(part) => format!("部件 {part} 的内容格式错误"),
        Damage::MissingWorkbook(path) => format!("缺少工作簿主体 {path}"),
        Damage::MissingPackageRels => "缺少 _rels/.rels,找不到工作簿主体".to_string(),
        Damage::MissingPart(path) => format!("缺少 {path}"),
        Damage::SheetWithoutPart(sheet) => format!("工作表「{sheet}」找不到对应的部件"),
        Damage::SheetKindUnknown(sheet) => format!("工作表「{sheet}」的类型无法识别"),
        Damage::MissingSheetPart { sheet, path } => {
            format!("缺少工作表「{sheet}」的部件 {path}")
        }
        Damage::RecordTooLong => "记录长度超出部件大小".to_string(),
        Damage::OdsUnbalanced => {
            "content.xml 中的标记没有正确配对或没有结束,文件不完整".to_string()
        }
        Damage::Cfb => "复合文档结构错误".to_string(),
        Damage::BiffRecordCut => "工作簿记录不完整".to_string(),
        Damage::MergeCellsCut(sheet) => format!("工作表「{sheet}」中有不完整的合并单元格记录"),
        Damage::Dimensions => "工作表尺寸记录错误".to_string(),
        Damage::FormulaCut(sheet) => format!("工作表「{sheet}」中有不完整的公式记录"),
        Damage::BoundSheet => "工作表目录记录错误".to_string(),
        Damage::GlobalsRecordCut(typ) => format!("记录 0x{typ:04X} 不完整"),
        Damage::SheetOutsideFile(sheet) => format!("工作表「{sheet}」的位置超出文件"),
    }
}

/// The zip crate's words when a part inflates past the size its directory
/// declares (zip 9.4.1, `crc32.rs`; Cargo.toml pins that version). The
/// error has no type of its own — an `InvalidData` I/O error, like a bad
/// checksum — so its text is all there is to tell a zip bomb's lie from
/// damage.
pub(crate) const ZIP_PAST_DECLARED_SIZE: &str =
    "File is larger than its declared uncompressed size";

/// Did a read stop because a part inflated past its declared size?
pub(crate) fn past_declared_size(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidData && e.to_string() == ZIP_PAST_DECLARED_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kit::handzip::{raw_zip, zeros_deflate, RawEntry};
    use std::io::{Cursor, Read};

    /// The one place the zip crate's error text is relied on: a part that
    /// inflates to 2,581 bytes while declaring 1,000.
    #[test]
    fn the_zip_crate_still_words_a_part_past_its_declared_size_the_same() {
        let z = raw_zip(&[RawEntry {
            name: "xl/worksheets/sheet1.xml".to_string(),
            deflated: true,
            data: zeros_deflate(10),
            crc: 0,
            size: 1000,
        }]);
        let mut a = zip::ZipArchive::new(Cursor::new(&z[..])).unwrap();
        let mut out = Vec::new();
        let e = a.by_index(0).unwrap().read_to_end(&mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert_eq!(e.to_string(), ZIP_PAST_DECLARED_SIZE);
        assert!(past_declared_size(&e));
    }

    #[test]
    fn a_bad_checksum_is_not_taken_for_a_lie_about_the_size() {
        let z = raw_zip(&[RawEntry {
            name: "a.bin".to_string(),
            deflated: true,
            data: zeros_deflate(10),
            crc: 0,
            size: 2581,
        }]);
        let mut a = zip::ZipArchive::new(Cursor::new(&z[..])).unwrap();
        let mut out = Vec::new();
        let e = a.by_index(0).unwrap().read_to_end(&mut out).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidData);
        assert!(!past_declared_size(&e));
    }
}
