//! Writers, one per workbook, plus the shared styles and the atomic save.

pub mod atomic;
pub(crate) mod columns;
pub(crate) mod county;
pub mod feedback;
pub(crate) mod grid;
pub(crate) mod page;
pub(crate) mod readme;
pub(crate) mod scratch;
pub(crate) mod set;
pub(crate) mod style;
pub mod template;
pub(crate) mod tiers;
pub(crate) mod workspace;

/// The custom document property that marks a workbook as one the tool
/// wrote for the county (`outputs.md`: own outputs are recognised by a
/// marker inside them, never by file name). Feedback workbooks carry none:
/// a township may correct one and send it back as its return.
pub const OUTPUT_MARKER: &str = "huizong 输出";

/// Which of the county's workbooks a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputKind {
    County,
    Tiers,
}

impl OutputKind {
    /// The marker's value, in words a clerk reads.
    pub fn marker(self) -> &'static str {
        match self {
            OutputKind::County => "县级汇总表",
            OutputKind::Tiers => "星级经费分档表",
        }
    }

    /// The kind a marker value names.
    pub fn from_marker(value: &str) -> Option<OutputKind> {
        [OutputKind::County, OutputKind::Tiers]
            .into_iter()
            .find(|k| k.marker() == value)
    }
}

/// Zip level of the county and tier workbooks, chosen by measurement
/// (README “性能”): at N = 2500 the county workbook took 8.7 s at level 1
/// (73 MB), 10.0 s at 3 (50 MB) and 11.8 s at rust_xlsxwriter's default 6
/// (42 MB). Writing is the one stage that cannot be spread over cores, so
/// speed wins over a smaller local file.
pub(crate) const ZIP_LEVEL: u8 = 1;

/// A file name built from user text (a township or file name) that cannot
/// escape its folder: no path separators, `..`, control or Windows-reserved
/// characters, no reserved device names, at most 120 characters and
/// [`MAX_FILE_NAME_BYTES`] bytes, the extension kept when it is cut.
pub(crate) fn safe_file_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    while s.contains("..") {
        s = s.replace("..", "_");
    }
    let s = s
        .trim_matches(|c: char| c == '.' || c.is_whitespace())
        .to_string();
    let stem = s.split('.').next().unwrap_or("").to_ascii_uppercase();
    let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
        || ((stem.starts_with("COM") || stem.starts_with("LPT")) && stem.len() == 4);
    let s = if s.is_empty() || reserved {
        format!("_{s}")
    } else {
        s
    };
    cut_file_name(&s)
}

/// Longest file name written, in UTF-8 bytes: file systems allow 255, and
/// the atomic save's temporary name adds up to 34 (`.<name>.<pid>.<n>.tmp`).
pub(crate) const MAX_FILE_NAME_BYTES: usize = 200;

/// At most 120 characters and [`MAX_FILE_NAME_BYTES`] bytes, cut from the
/// stem so a short extension (`.xlsx`) stays.
fn cut_file_name(s: &str) -> String {
    if s.chars().count() <= 120 && s.len() <= MAX_FILE_NAME_BYTES {
        return s.to_string();
    }
    let (stem, ext) = match s.rfind('.') {
        Some(i) if i > 0 && s.len() - i <= 10 => s.split_at(i),
        _ => (s, ""),
    };
    let (max_chars, max_bytes) = (120 - ext.chars().count(), MAX_FILE_NAME_BYTES - ext.len());
    let mut out = String::new();
    for c in stem.chars().take(max_chars) {
        if out.len() + c.len_utf8() > max_bytes {
            break;
        }
        out.push(c);
    }
    out + ext
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn file_names_cannot_escape() {
        assert_eq!(safe_file_name("../../etc/passwd"), "____etc_passwd");
        assert_eq!(safe_file_name("白砂镇\\x:y"), "白砂镇_x_y");
        assert_eq!(safe_file_name("CON.xlsx"), "_CON.xlsx");
        assert_eq!(safe_file_name("a\u{0}b"), "a_b");
        assert_eq!(safe_file_name(".."), "_");
        assert_eq!(
            safe_file_name("990101103_白砂镇_2024-06.xlsx"),
            "990101103_白砂镇_2024-06.xlsx"
        );
    }

    #[test]
    fn long_names_are_cut_keeping_the_extension() {
        let long = format!("990101103_{}_2024-06.xlsx", "镇".repeat(300));
        let s = safe_file_name(&long);
        assert!(s.len() <= super::MAX_FILE_NAME_BYTES, "{}", s.len());
        assert!(s.starts_with("990101103_镇镇"), "{s}");
        assert!(s.ends_with("镇.xlsx"), "{s}");
        let ascii = format!("{}.xlsx", "a".repeat(300));
        assert_eq!(safe_file_name(&ascii), format!("{}.xlsx", "a".repeat(115)));
    }
}
