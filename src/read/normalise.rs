//! Text and value normalisation of `returns.md`: full-width folding, header
//! and sign keys, codes, numbers, yes/no, months, dates and phone numbers.

use rust_decimal::Decimal;
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Map the full-width forms U+FF01–U+FF5E to ASCII and U+3000 to a space —
/// nothing else (not NFKC: `㎡` stays `㎡`).
pub(crate) fn fold(s: &str) -> String {
    fold_cow(s).into_owned()
}

/// [`fold`], borrowing text that has nothing to fold (most text): every
/// folded character is encoded from a lead byte 0xEF (U+FF01–U+FF5E) or
/// 0xE3 (U+3000).
pub(crate) fn fold_cow(s: &str) -> Cow<'_, str> {
    if !s.bytes().any(|b| b == 0xEF || b == 0xE3) {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .map(|c| match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
                '\u{3000}' => ' ',
                _ => c,
            })
            .collect(),
    )
}

/// Fold and trim.
pub(crate) fn clean(s: &str) -> String {
    fold_cow(s).trim().to_string()
}

/// Key a header compares by: folded, every space and line break removed.
pub(crate) fn header_key(s: &str) -> String {
    fold(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// Key a cover label compares by: trimmed, folded, a trailing colon dropped.
pub(crate) fn label_key(s: &str) -> String {
    let f = clean(s);
    f.trim_end_matches(':').trim().to_string()
}

/// Key a sheet name compares by.
pub(crate) fn sheet_key(s: &str) -> String {
    clean(s)
}

/// Key a sign name compares by: folded, spaces and the brackets
/// `()（）[]【】「」` dropped.
pub(crate) fn sign_key(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '【' | '】' | '「' | '」')
        })
        .collect()
}

/// Is this a 合计/总计 (totals) or 小计 (subtotal) marker, in any spacing?
pub(crate) fn totals_marker(s: &str) -> Option<Totals> {
    // Every marker has 计, and folding makes none: most cells (checked on
    // every row) are answered without a copy.
    if !s.contains('计') {
        return None;
    }
    let k: String = fold(s).chars().filter(|c| !c.is_whitespace()).collect();
    if k.contains("合计") || k.contains("总计") {
        Some(Totals::Total)
    } else if k.contains("小计") {
        Some(Totals::Subtotal)
    } else {
        None
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Totals {
    Total,
    Subtotal,
}

/// An area code from text: trimmed, folded, a leading apostrophe and a
/// trailing `.0` dropped; exactly `digits` ASCII digits or nothing.
pub(crate) fn code_from_text(s: &str, digits: usize) -> Option<String> {
    let f = clean(s);
    let f = f.strip_prefix('\'').unwrap_or(&f).trim();
    let f = f.strip_suffix(".0").unwrap_or(f);
    (f.len() == digits && f.bytes().all(|b| b.is_ascii_digit())).then(|| f.to_string())
}

/// An area code from a number cell (`990101103207` or `990101103207.0`).
pub(crate) fn code_from_number(v: f64, digits: usize) -> Option<String> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 1e15 {
        code_from_text(&format!("{}", v as u64), digits)
    } else {
        None
    }
}

/// Why a text is not a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NumError {
    NotANumber,
    TooLarge,
}

/// A number from text: full-width digits, thousands separators and spaces
/// allowed; read as an exact decimal.
pub(crate) fn number_from_text(s: &str) -> Result<Decimal, NumError> {
    let f = clean(s);
    let t = f.strip_prefix('+').unwrap_or(&f);
    let (sign, body) = match t.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", t),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, fr)) => (i, Some(fr)),
        None => (body, None),
    };
    let int_plain: String = if int.contains(',') {
        let groups: Vec<&str> = int.split(',').collect();
        let ok = !groups[0].is_empty()
            && groups[0].len() <= 3
            && groups[1..].iter().all(|g| g.len() == 3)
            && groups.iter().all(|g| g.bytes().all(|b| b.is_ascii_digit()));
        if !ok {
            return Err(NumError::NotANumber);
        }
        groups.concat()
    } else {
        int.to_string()
    };
    let digits_ok = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int_plain.is_empty() || !digits_ok(&int_plain) {
        return Err(NumError::NotANumber);
    }
    if let Some(fr) = frac {
        if fr.is_empty() || !digits_ok(fr) {
            return Err(NumError::NotANumber);
        }
    }
    let text = match frac {
        Some(fr) => format!("{sign}{int_plain}.{fr}"),
        None => format!("{sign}{int_plain}"),
    };
    Decimal::from_str(&text).map_err(|_| NumError::TooLarge)
}

/// A number cell's stored double, rounded to 6 decimal places first (so a
/// formula's 11.999999999999998 is 12).
pub(crate) fn number_from_f64(v: f64) -> Result<Decimal, NumError> {
    if !v.is_finite() {
        return Err(NumError::NotANumber);
    }
    if v.abs() >= 1e20 {
        return Err(NumError::TooLarge);
    }
    // Whole numbers (most cells: counts, codes) need no rounding.
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        return Ok(Decimal::from(v as i64));
    }
    Decimal::from_str(&format!("{v:.6}"))
        .map(|d| d.normalize())
        .map_err(|_| NumError::TooLarge)
}

/// The double nearest an exact decimal (what Excel stores for it). A
/// mantissa below 2^53 and a power of ten up to 10^22 are both exact doubles,
/// so their quotient is correctly rounded: the same double as parsing the
/// decimal's text, without the text.
pub(crate) fn decimal_to_f64(d: Decimal) -> f64 {
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let m = d.mantissa();
    match POW10.get(d.scale() as usize) {
        Some(p) if m.unsigned_abs() < 1 << 53 => m as f64 / p,
        _ => d.to_string().parse().unwrap_or(f64::NAN),
    }
}

/// Shortest text of a number cell's value, for messages and the 原值 column.
pub(crate) fn show_number(v: f64) -> String {
    match number_from_f64(v) {
        Ok(d) => d.normalize().to_string(),
        Err(_) => format!("{v}"),
    }
}

/// Decimals a number carries (12.50 → 1, 12 → 0).
pub(crate) fn decimals(d: Decimal) -> u32 {
    d.normalize().scale()
}

/// Yes/no text: 是/否, 有/无, √/×, Y/N, 1/0, TRUE/FALSE.
pub(crate) fn yes_no_from_text(s: &str) -> Option<bool> {
    let f = clean(s).to_uppercase();
    match f.as_str() {
        "是" | "有" | "√" | "✓" | "✔" | "Y" | "YES" | "1" | "TRUE" => Some(true),
        "否" | "无" | "×" | "✗" | "✘" | "X" | "N" | "NO" | "0" | "FALSE" => Some(false),
        _ => None,
    }
}

/// A month (填报期间).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    pub year: i32,
    pub month: u32,
}

impl Period {
    /// `2024-06`, `2024-6`, `2024/06`, `2024年6月`, `202406`.
    pub fn parse(s: &str) -> Option<Period> {
        let f = clean(s);
        let f = f.as_str();
        let p = if let Some(rest) = f.strip_suffix('月') {
            let (y, m) = rest.split_once('年')?;
            (num(y)?, num(m)?)
        } else if f.len() == 6 && f.bytes().all(|b| b.is_ascii_digit()) {
            (num(&f[..4])?, num(&f[4..])?)
        } else {
            let (y, m) = f.split_once(['-', '/', '.'])?;
            (num(y)?, num(m)?)
        };
        Period::new(p.0 as i32, p.1)
    }

    pub(crate) fn new(year: i32, month: u32) -> Option<Period> {
        ((1900..=9999).contains(&year) && (1..=12).contains(&month))
            .then_some(Period { year, month })
    }

    pub(crate) fn days(self) -> u32 {
        days_in_month(self.year, self.month)
    }

    /// This month in China (UTC+8).
    pub fn this_month() -> Period {
        Date::today().period()
    }

    /// The month before.
    pub(crate) fn previous(self) -> Period {
        if self.month == 1 {
            Period {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Period {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> Result<Period, String> {
        Period::parse(s).ok_or_else(|| format!("“{s}”不是月份,请写成 2024-06 的形式"))
    }
}

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let p = Period::new(year, month)?;
        (day >= 1 && day <= p.days()).then_some(Date { year, month, day })
    }

    /// `2024-06-28`, `2024/6/28`, `2024.6.28`, `2024年6月28日`, or an ISO
    /// date-time whose date part is one of those.
    pub(crate) fn parse(s: &str) -> Option<Date> {
        let f = clean(s);
        let f = f.split(['T', ' ']).next().unwrap_or("");
        if let Some(rest) = f.strip_suffix('日').or_else(|| f.strip_suffix('号')) {
            let (y, md) = rest.split_once('年')?;
            let (m, d) = md.split_once('月')?;
            return Date::new(num(y)? as i32, num(m)?, num(d)?);
        }
        let parts: Vec<&str> = f.split(['-', '/', '.']).collect();
        if parts.len() != 3 || parts[0].len() != 4 {
            return None;
        }
        Date::new(num(parts[0])? as i32, num(parts[1])?, num(parts[2])?)
    }

    /// An Excel serial date (1900 date system, with its 1900-02-29).
    pub(crate) fn from_serial(serial: f64) -> Option<Date> {
        if !serial.is_finite() || !(1.0..2_958_466.0).contains(&serial) {
            return None;
        }
        let days = serial.floor() as i64;
        if days == 60 {
            return None; // 1900-02-29 does not exist
        }
        let days = if days < 60 { days + 1 } else { days };
        // Days since 1899-12-31 → civil date (Howard Hinnant's algorithm).
        let z = days - 25_568 + 719_468 - 1;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = if m <= 2 { y + 1 } else { y };
        Date::new(y as i32, m, d)
    }

    pub(crate) fn period(self) -> Period {
        Period {
            year: self.year,
            month: self.month,
        }
    }

    /// Today in China (UTC+8), from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let days = (secs + 8 * 3600) / 86_400;
        // 1970-01-01 is Excel serial 25569.
        Date::from_serial((days + 25_569) as f64).unwrap_or(Date {
            year: 1970,
            month: 1,
            day: 1,
        })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn num(s: &str) -> Option<u32> {
    let s = s.trim();
    (!s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())?
}

pub(crate) fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        _ => 28,
    }
}

/// Excel's error values as they show: a text cell holding one exactly is
/// read as that error (the feedback workbook writes errors as text).
pub(crate) fn is_error_literal(s: &str) -> bool {
    matches!(
        s.trim(),
        "#DIV/0!"
            | "#N/A"
            | "#NAME?"
            | "#NULL!"
            | "#NUM!"
            | "#REF!"
            | "#VALUE!"
            | "#GETTING_DATA"
            | "#SPILL!"
            | "#CALC!"
    )
}

/// An 11-digit mobile (1xxxxxxxxxx) or a landline with area code
/// (`0597-1234567`, `(0597)1234567`, `0597 1234567`, with an optional
/// `-123` extension).
pub(crate) fn is_phone(s: &str) -> bool {
    let f = clean(s);
    let digits_only = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if f.len() == 11 && digits_only(&f) && f.starts_with('1') {
        return true;
    }
    let t = f.replace(['(', ')'], "-").replace(' ', "-");
    let parts: Vec<&str> = t.split('-').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [area, local] | [area, local, _] => {
            let ext_ok = parts
                .get(2)
                .map(|e| digits_only(e) && e.len() <= 6)
                .unwrap_or(true);
            area.starts_with('0')
                && (3..=4).contains(&area.len())
                && digits_only(area)
                && (7..=8).contains(&local.len())
                && digits_only(local)
                && ext_ok
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_markers_in_any_spacing() {
        for (text, want) in [
            ("合计", Some(Totals::Total)),
            ("合 计", Some(Totals::Total)),
            ("总\u{3000}计", Some(Totals::Total)),
            ("全镇合计:", Some(Totals::Total)),
            (" 小 计 ", Some(Totals::Subtotal)),
            ("计生服务室", None),
            ("白沙村", None),
            ("", None),
        ] {
            assert_eq!(totals_marker(text), want, "{text}");
        }
    }

    #[test]
    fn folds_only_full_width_forms() {
        assert_eq!(fold("村（社区）代码"), "村(社区)代码");
        assert_eq!(fold("１２\u{3000}"), "12 ");
        assert_eq!(fold("服务场所面积(㎡)"), "服务场所面积(㎡)");
        assert_eq!(header_key(" 村（社区）\n代 码 "), "村(社区)代码");
        assert_eq!(label_key(" 填报期间："), "填报期间");
        assert_eq!(sign_key("【樟黄村】 村民委员会（ ）"), "樟黄村村民委员会");
    }

    #[test]
    fn codes_from_text_and_numbers() {
        assert_eq!(
            code_from_text("990101103207", 12).as_deref(),
            Some("990101103207")
        );
        assert_eq!(
            code_from_text("'990101103207", 12).as_deref(),
            Some("990101103207")
        );
        assert_eq!(
            code_from_text(" ９９０１０１１０３２０７ ", 12).as_deref(),
            Some("990101103207")
        );
        assert_eq!(
            code_from_text("990101103207.0", 12).as_deref(),
            Some("990101103207")
        );
        assert_eq!(code_from_text("99010110320", 12), None);
        assert_eq!(code_from_text("99010110320x", 12), None);
        assert_eq!(
            code_from_number(990101103207.0, 12).as_deref(),
            Some("990101103207")
        );
        assert_eq!(
            code_from_number(990101103.0, 9).as_deref(),
            Some("990101103")
        );
        assert_eq!(code_from_number(990101103.5, 9), None);
    }

    #[test]
    fn numbers_are_exact() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(number_from_text("１２"), Ok(d("12")));
        assert_eq!(number_from_text(" 1,200 "), Ok(d("1200")));
        assert_eq!(number_from_text("1,200.5"), Ok(d("1200.5")));
        assert_eq!(number_from_text("12个"), Err(NumError::NotANumber));
        assert_eq!(number_from_text("十二"), Err(NumError::NotANumber));
        assert_eq!(number_from_text("—"), Err(NumError::NotANumber));
        assert_eq!(number_from_text("1,20"), Err(NumError::NotANumber));
        assert_eq!(number_from_text("-3"), Ok(d("-3")));
        assert_eq!(
            number_from_text("99999999999999999999999999999999"),
            Err(NumError::TooLarge)
        );
        assert_eq!(number_from_f64(11.999999999999998), Ok(d("12")));
        assert_eq!(decimals(number_from_f64(12.0).unwrap()), 0);
        assert_eq!(decimals(number_from_text("85.25").unwrap()), 2);
        assert_eq!(decimals(number_from_text("85.50").unwrap()), 1);
        assert_eq!(show_number(0.1 + 0.2), "0.3");
        // Whole numbers take the short way and agree with the long one.
        for v in [
            0.0,
            -0.0,
            7.0,
            -12.0,
            4_294_967_296.0,
            9_007_199_254_740_991.0,
        ] {
            let long = Decimal::from_str(&format!("{v:.6}")).unwrap().normalize();
            assert_eq!(number_from_f64(v), Ok(long), "{v}");
        }
        assert_eq!(number_from_f64(-7.25), Ok(d("-7.25")));
    }

    #[test]
    fn decimals_become_the_nearest_double() {
        let d = |s: &str| Decimal::from_str(s).unwrap();
        for t in [
            "0",
            "12",
            "-12",
            "120.5",
            "0.1",
            "0.3",
            "85.25",
            "1234.56789",
            "-0.000001",
            "9007199254740991",
            "9007199254740993",
            "123456789012345678901234567.8",
            "0.0000000000000000000000001",
        ] {
            let want: f64 = t.parse().unwrap();
            assert_eq!(decimal_to_f64(d(t)), want, "{t}");
        }
    }

    #[test]
    fn yes_no_months_dates_phones() {
        assert_eq!(yes_no_from_text("是"), Some(true));
        assert_eq!(yes_no_from_text("ｙ"), Some(true));
        assert_eq!(yes_no_from_text("×"), Some(false));
        assert_eq!(yes_no_from_text("false"), Some(false));
        assert_eq!(yes_no_from_text("可能"), None);
        for s in [
            "2024-06",
            "2024-6",
            "2024/06",
            "2024年6月",
            "202406",
            "２０２４－０６",
        ] {
            assert_eq!(
                Period::parse(s),
                Some(Period {
                    year: 2024,
                    month: 6
                }),
                "{s}"
            );
        }
        assert_eq!(Period::parse("2024-13"), None);
        assert_eq!(Period::parse("六月"), None);
        assert_eq!(Date::parse("2024-06-28"), Date::new(2024, 6, 28));
        assert_eq!(Date::parse("2024年6月28日"), Date::new(2024, 6, 28));
        assert_eq!(Date::parse("2024-06-28T00:00:00"), Date::new(2024, 6, 28));
        assert_eq!(Date::parse("2024-02-30"), None);
        assert_eq!(Date::from_serial(45471.0), Date::new(2024, 6, 28));
        assert_eq!(Date::from_serial(1.0), Date::new(1900, 1, 1));
        assert_eq!(Date::from_serial(61.0), Date::new(1900, 3, 1));
        assert!(is_phone("13812345678"));
        assert!(is_phone("0597-1234567"));
        assert!(is_phone("(0597)12345678"));
        assert!(!is_phone("1234567"));
        assert!(!is_phone("23812345678"));
        assert_eq!(
            Period {
                year: 2024,
                month: 2
            }
            .days(),
            29
        );
        assert_eq!(
            Period {
                year: 2024,
                month: 1
            }
            .previous()
            .to_string(),
            "2023-12"
        );
    }
}
