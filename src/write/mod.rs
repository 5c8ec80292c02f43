//! Writers, one per workbook, plus the shared styles and the atomic save.

pub mod atomic;
pub mod county;
pub mod feedback;
pub mod style;
pub mod template;
pub mod tiers;

/// A file name built from user text (a township or file name) that cannot
/// escape its folder: no path separators, `..`, control or Windows-reserved
/// characters, no reserved device names, at most 120 characters.
pub fn safe_file_name(name: &str) -> String {
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
    s.chars().take(120).collect()
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
}
