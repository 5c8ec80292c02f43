//! Time as the service shows it: Beijing time (UTC+8, no daylight saving),
//! the one clock of every Chinese county office. Stored as Unix seconds.

use super::engine::Month as Period;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds east of UTC.
const OFFSET: i64 = 8 * 3600;

/// Now, in Unix seconds.
pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Days since 1970-01-01 → (year, month, day) (H. Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) → days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `2024-06-28 14:03:05` (Beijing time).
pub(crate) fn format(t: i64) -> String {
    let local = t + OFFSET;
    let (y, m, d) = civil(local.div_euclid(86_400));
    let s = local.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// The month it is now (Beijing time).
pub(crate) fn current_period() -> Period {
    let (y, m, _) = civil((now() + OFFSET).div_euclid(86_400));
    Period {
        year: y as i32,
        month: m,
    }
}

/// Parse `YYYY-MM-DD` into (year, month, day), checking the calendar.
pub(crate) fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let mut it = s.trim().splitn(3, '-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if !(1990..=2200).contains(&y) || !(1..=12).contains(&m) || d == 0 {
        return None;
    }
    let next = if m == 12 {
        days_from_civil(y + 1, 1, 1)
    } else {
        days_from_civil(y, m + 1, 1)
    };
    (d as i64 <= next - days_from_civil(y, m, 1)).then_some((y, m, d))
}

/// The first second (Unix) of a day in Beijing time.
pub(crate) fn day_start(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d) * 86_400 - OFFSET
}

/// The last second of the day `YYYY-MM-DD`: a deadline is the end of its day.
pub(crate) fn end_of_day(date: &str) -> Option<i64> {
    let (y, m, d) = parse_date(date)?;
    Some(day_start(y, m, d) + 86_399)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_in_beijing_time() {
        // 2024-06-30 16:00:00 UTC is 2024-07-01 00:00:00 in Beijing.
        let t = day_start(2024, 7, 1);
        assert_eq!(format(t), "2024-07-01 00:00:00");
        assert_eq!(format(t - 1), "2024-06-30 23:59:59");
        assert_eq!(end_of_day("2024-06-30"), Some(t - 1));
        assert_eq!(parse_date("2024-02-30"), None);
        assert_eq!(parse_date("2024-02-29"), Some((2024, 2, 29)));
        assert_eq!(parse_date("2023-02-29"), None);
    }
}
