//! Shared formats: headers, fills for errors and warnings, number formats,
//! and a width helper that counts Chinese characters as two columns.
//!
//! Every format here is built fresh on each call (rust_xlsxwriter formats are
//! values; the workbook de-duplicates identical ones when it saves).

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder};

/// Light fill of header rows.
pub(crate) const HEADER_FILL: u32 = 0xDDEBF7;
/// A template cell carried over from last month: light grey.
pub(crate) const CARRIED_FILL: u32 = 0xE7E6E6;
/// Red fill of a cell with an error (Excel's "light red fill").
pub(crate) const ERROR_FILL: u32 = 0xFFC7CE;
/// Dark red text that goes with [`ERROR_FILL`].
pub(crate) const ERROR_FONT: u32 = 0x9C0006;
/// Yellow fill of a cell with a warning (Excel's "yellow fill").
pub(crate) const WARNING_FILL: u32 = 0xFFEB9C;
/// Dark yellow text that goes with [`WARNING_FILL`].
pub(crate) const WARNING_FONT: u32 = 0x9C5700;

/// Number formats used across the workbooks.
pub(crate) const NUM_TEXT: &str = "@";
pub(crate) const NUM_INTEGER: &str = "0";
pub(crate) const NUM_ONE_DECIMAL: &str = "0.0";
pub(crate) const NUM_PERCENT: &str = "0.0%";
pub(crate) const NUM_MONEY: &str = "#,##0";
pub(crate) const NUM_FACTOR: &str = "0.000000";
pub(crate) const NUM_DATE: &str = "yyyy-mm-dd";
pub(crate) const NUM_DATETIME: &str = "yyyy-mm-dd hh:mm:ss";

/// Header cells: bold, light fill, thin border, wrapped, centred.
pub(crate) fn header() -> Format {
    Format::new()
        .set_bold()
        .set_background_color(Color::RGB(HEADER_FILL))
        .set_border(FormatBorder::Thin)
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
}

/// A sheet's title row: bold, larger, centred.
pub(crate) fn title() -> Format {
    Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
}

/// A bold label (section headings in instructions, cover labels).
pub(crate) fn bold() -> Format {
    Format::new().set_bold()
}

/// Wrapped text, aligned to the top (long instructions, messages).
pub(crate) fn wrap() -> Format {
    Format::new().set_text_wrap().set_align(FormatAlign::Top)
}

/// An input cell: unlocked, so it can be edited on a protected sheet.
pub(crate) fn unlocked() -> Format {
    Format::new().set_unlocked()
}

/// Text number format `@`: what is typed stays text (codes, phone numbers).
pub(crate) fn text() -> Format {
    Format::new().set_num_format(NUM_TEXT)
}

/// An unlocked text input cell.
pub(crate) fn text_unlocked() -> Format {
    text().set_unlocked()
}

/// Whole numbers.
pub(crate) fn integer() -> Format {
    Format::new().set_num_format(NUM_INTEGER)
}

/// One decimal (areas, scores).
pub(crate) fn one_decimal() -> Format {
    Format::new().set_num_format(NUM_ONE_DECIMAL)
}

/// Percent with one decimal (shares, rates).
pub(crate) fn percent() -> Format {
    Format::new().set_num_format(NUM_PERCENT)
}

/// Whole yuan with thousands separators.
pub(crate) fn money() -> Format {
    Format::new().set_num_format(NUM_MONEY)
}

/// A date cell shown as `2024-06-28`.
pub(crate) fn date() -> Format {
    Format::new().set_num_format(NUM_DATE)
}

/// A date-time cell shown as `2024-06-28 09:30:00`.
pub(crate) fn datetime() -> Format {
    Format::new().set_num_format(NUM_DATETIME)
}

/// Add the red error fill (and dark red text) to a format.
pub(crate) fn with_error_fill(f: Format) -> Format {
    f.set_background_color(Color::RGB(ERROR_FILL))
        .set_font_color(Color::RGB(ERROR_FONT))
}

/// Add the yellow warning fill (and dark yellow text) to a format.
pub(crate) fn with_warning_fill(f: Format) -> Format {
    f.set_background_color(Color::RGB(WARNING_FILL))
        .set_font_color(Color::RGB(WARNING_FONT))
}

/// A cell with an error: red fill.
pub(crate) fn error_fill() -> Format {
    with_error_fill(Format::new())
}

/// Is this character drawn two columns wide (CJK, full-width forms)?
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F      // Hangul Jamo
        | 0x2E80..=0x303E    // CJK radicals, punctuation
        | 0x3041..=0x33FF    // kana, CJK compatibility (㎡)
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xA000..=0xA4CF    // Yi
        | 0xAC00..=0xD7A3    // Hangul syllables
        | 0xF900..=0xFAFF    // CJK compatibility ideographs
        | 0xFE30..=0xFE4F    // CJK compatibility forms
        | 0xFF00..=0xFF60    // full-width forms
        | 0xFFE0..=0xFFE6    // full-width signs
        | 0x2018..=0x201F    // curly quotes, wide in Chinese fonts
        | 0x2014 | 0x2026    // em dash, ellipsis
        | 0x20000..=0x3FFFD) // CJK extensions B–G
}

/// Display width of a text in Excel's column units: CJK and full-width
/// characters count 2, everything else 1. The widest line counts.
pub(crate) fn text_width(s: &str) -> f64 {
    // Most cells are one line of ASCII (codes, figures): one per byte.
    if s.is_ascii() && !s.contains('\n') {
        return s.len() as f64;
    }
    s.lines()
        .map(|line| {
            line.chars()
                .map(|c| if is_wide(c) { 2 } else { 1 })
                .sum::<u32>()
        })
        .max()
        .unwrap_or(0) as f64
}

/// A width `text_width(s)` never exceeds, found without decoding a
/// character: each byte counts one unit and each continuation byte takes
/// half a unit off, which gives a character of 1, 2, 3 or 4 bytes 1, 1.5, 2
/// or 2.5 units — never less than its width (1, 1, 2, 2). Exact for text
/// all ASCII or all CJK, so a text that cannot widen a column is told so
/// without being measured.
pub(crate) fn width_bound(s: &str) -> f64 {
    let continuation = s.bytes().filter(|b| (*b as i8) < -64).count();
    (s.len() - continuation / 2) as f64
}

/// A column width that fits the widest of `texts`, plus a little padding,
/// kept within `min..=max`.
pub(crate) fn fit_width<'a>(texts: impl IntoIterator<Item = &'a str>, min: f64, max: f64) -> f64 {
    let widest = texts.into_iter().map(text_width).fold(0.0, f64::max);
    (widest + 2.0).clamp(min, max)
}

/// How many lines a text needs in a wrapped cell `width` units wide.
pub(crate) fn wrapped_lines(s: &str, width: f64) -> u32 {
    let usable = (width - 1.0).max(1.0);
    s.lines()
        .map(|line| {
            let w = text_width(line);
            ((w / usable).ceil() as u32).max(1)
        })
        .sum::<u32>()
        .max(1)
}

/// Cut a text to Excel's cell limit of 32,767 UTF-16 units (on a character
/// boundary). Returns the text unchanged when it fits.
pub(crate) fn cut_to_excel_limit(s: &str) -> std::borrow::Cow<'_, str> {
    cut_utf16(s, EXCEL_MAX_TEXT)
}

/// Excel's limit on the characters in one cell.
pub(crate) const EXCEL_MAX_TEXT: usize = 32_767;

/// Cut a text to at most `max` UTF-16 units, on a character boundary.
pub(crate) fn cut_utf16(s: &str, max: usize) -> std::borrow::Cow<'_, str> {
    // A character never takes more UTF-16 units than UTF-8 bytes.
    if s.len() <= max {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut units = 0usize;
    for (i, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return std::borrow::Cow::Owned(s[..i].to_string());
        }
    }
    std::borrow::Cow::Borrowed(s)
}

/// Write text as text (never a formula), cut to Excel's limit; empty text
/// writes nothing.
pub(crate) fn write_text(
    ws: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    col: u16,
    s: &str,
    format: &Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    if !s.is_empty() {
        ws.write_string_with_format(row, col, cut_to_excel_limit(s), format)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_counts_double() {
        assert_eq!(text_width("abc"), 3.0);
        assert_eq!(text_width("村(社区)代码"), 12.0);
        assert_eq!(text_width("服务场所面积(㎡)"), 16.0);
        assert_eq!(text_width("１２"), 4.0);
        assert_eq!(text_width("第一行\nab"), 6.0);
        assert_eq!(text_width("ab\ncdef"), 4.0);
    }

    /// The bound is never below the measured width, and is the width for
    /// text all ASCII or all CJK.
    #[test]
    fn width_bound_is_never_below_the_width() {
        for s in [
            "",
            "abc",
            "330102001001",
            "党群服务中心",
            "村(社区)代码",
            "服务场所面积(㎡)",
            "１２",
            "第一行\nab",
            "é½ü",
            "𠀀𠀁",
            "😀a",
            "中文, mixed 文字 “引号”…",
        ] {
            assert!(width_bound(s) >= text_width(s), "{s}");
        }
        assert_eq!(width_bound("330102001001"), 12.0);
        assert_eq!(width_bound("党群服务中心"), 12.0);
    }

    #[test]
    fn widths_are_clamped() {
        assert_eq!(fit_width(["序号"], 6.0, 30.0), 6.0);
        assert_eq!(fit_width(["990101103207"], 6.0, 30.0), 14.0);
        assert_eq!(fit_width(["很长".repeat(40).as_str()], 6.0, 30.0), 30.0);
        assert_eq!(wrapped_lines("一二三四五", 6.0), 2);
    }

    #[test]
    fn long_text_is_cut_on_a_char_boundary() {
        let s = "字".repeat(EXCEL_MAX_TEXT + 5);
        let cut = cut_to_excel_limit(&s);
        assert_eq!(cut.chars().count(), EXCEL_MAX_TEXT);
        let emoji = "😀".repeat(20_000); // two UTF-16 units each
        assert_eq!(cut_to_excel_limit(&emoji).chars().count(), 16_383);
        assert!(matches!(
            cut_to_excel_limit("短"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
