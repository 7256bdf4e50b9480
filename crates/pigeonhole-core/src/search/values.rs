//! Operator values with a grammar of their own: sizes (`larger:`/`smaller:`) and dates
//! (`before:`/`after:`), both ways: parsed here, written back by `size_text`/`date_text`.

use std::time::Duration;

use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::ast::DateValue;

const UNITS: &[(&str, u64)] = &[("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)];

/// `500`, `500B`, `500K`/`500KB`, `1.5MB`, `2G`/`2GB`, any case; K is 1024. Decimals round
/// half up to whole bytes.
pub(super) fn size(text: &str) -> Option<u64> {
    let lower = text.to_ascii_lowercase();
    let split = lower
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(lower.len());
    let (number, unit) = lower.split_at(split);
    let unit: u128 = match unit {
        "" | "b" => 1,
        "k" | "kb" => 1 << 10,
        "m" | "mb" => 1 << 20,
        "g" | "gb" => 1 << 30,
        _ => return None,
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((_, "")) => return None,
        Some(parts) => parts,
        None => (number, ""),
    };
    if whole.is_empty() || fraction.len() > 18 || fraction.contains('.') {
        return None;
    }
    let whole: u128 = whole.parse().ok()?;
    let mut bytes = whole.checked_mul(unit)?;
    if !fraction.is_empty() {
        let scale = 10u128.pow(fraction.len() as u32);
        let fraction: u128 = fraction.parse().ok()?;
        bytes = bytes.checked_add((fraction * unit + scale / 2) / scale)?;
    }
    u64::try_from(bytes).ok()
}

/// The shortest exact spelling: `1536K` for 1.5MB, `2G`, `500`.
pub(super) fn size_text(bytes: u64) -> String {
    match UNITS
        .iter()
        .find(|(_, m)| bytes != 0 && bytes.is_multiple_of(*m))
    {
        Some((unit, m)) => format!("{}{unit}", bytes / m),
        None => bytes.to_string(),
    }
}

const AGES: &[(char, u64)] = &[
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// A day, a local date-time, an RFC 3339 instant or an age (`30m`).
pub(super) fn date(text: &str) -> Option<DateValue> {
    if let Some(age) = age(text) {
        return Some(DateValue::Ago(age));
    }
    let (day, rest) = day(text)?;
    if rest.is_empty() {
        return Some(DateValue::Day(day));
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (time, rest) = time(rest)?;
    let local = day.and_time(time);
    if rest.is_empty() {
        return Some(DateValue::DateTime(local));
    }
    let offset = offset(rest)?;
    Some(DateValue::Instant(
        local.and_local_timezone(offset).single()?,
    ))
}

pub(super) fn date_text(at: &DateValue) -> String {
    match at {
        DateValue::Day(day) => day.format("%Y-%m-%d").to_string(),
        DateValue::DateTime(local) => local_text(local, false),
        DateValue::Instant(instant) => {
            let local = local_text(&instant.naive_local(), true);
            match instant.offset().local_minus_utc() {
                0 => format!("{local}Z"),
                secs => {
                    let sign = if secs < 0 { '-' } else { '+' };
                    let mins = secs.unsigned_abs() / 60;
                    format!("{local}{sign}{:02}:{:02}", mins / 60, mins % 60)
                }
            }
        }
        DateValue::Ago(age) => {
            // Whole seconds only: a parsed age never has a fraction.
            let secs = age.as_secs();
            match AGES
                .iter()
                .find(|(_, m)| secs != 0 && secs.is_multiple_of(*m))
            {
                Some((unit, m)) => format!("{}{unit}", secs / m),
                None => format!("{secs}s"),
            }
        }
    }
}

/// `2026-11-30T10:00`, with `:SS` when `seconds` or when not zero, and `.fff` when needed.
fn local_text(local: &NaiveDateTime, seconds: bool) -> String {
    let mut text = local.format("%Y-%m-%dT%H:%M").to_string();
    let nanos = local.nanosecond();
    if seconds || local.second() != 0 || nanos != 0 {
        text.push_str(&format!(":{:02}", local.second()));
    }
    if nanos != 0 {
        let fraction = format!("{nanos:09}");
        text.push('.');
        text.push_str(fraction.trim_end_matches('0'));
    }
    text
}

/// `30s`, `30m`, `2h`, `3d`, `1w` (any case).
pub(super) fn age(text: &str) -> Option<Duration> {
    let (split, unit) = text.char_indices().last()?;
    let (number, unit) = (&text[..split], unit.to_ascii_lowercase());
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (_, secs) = AGES.iter().find(|(u, _)| *u == unit)?;
    Some(Duration::from_secs(
        number.parse::<u64>().ok()?.checked_mul(*secs)?,
    ))
}

/// `YYYY-MM-DD` or `YYYY/MM/DD` (month and day may have one digit) and what follows.
fn day(text: &str) -> Option<(NaiveDate, &str)> {
    let (year, rest) = digits(text, 4, 4)?;
    let sep = rest.chars().next().filter(|c| matches!(c, '-' | '/'))?;
    let (month, rest) = digits(&rest[1..], 1, 2)?;
    let (day, rest) = digits(rest.strip_prefix(sep)?, 1, 2)?;
    Some((NaiveDate::from_ymd_opt(year as i32, month, day)?, rest))
}

/// `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fraction` and what follows.
fn time(text: &str) -> Option<(NaiveTime, &str)> {
    let (hour, rest) = digits(text, 2, 2)?;
    let (minute, mut rest) = digits(rest.strip_prefix(':')?, 2, 2)?;
    let (mut second, mut nano) = (0, 0);
    if let Some(after) = rest.strip_prefix(':') {
        (second, rest) = digits(after, 2, 2)?;
        if let Some(after) = rest.strip_prefix('.') {
            let len = after.bytes().take_while(u8::is_ascii_digit).count();
            if len == 0 {
                return None;
            }
            let nine = format!("{:0<9}", &after[..len.min(9)]);
            nano = nine.parse().ok()?;
            rest = &after[len..];
        }
    }
    Some((
        NaiveTime::from_hms_nano_opt(hour, minute, second, nano)?,
        rest,
    ))
}

/// `Z` or `+HH:MM` / `-HH:MM`, and nothing after it.
fn offset(text: &str) -> Option<FixedOffset> {
    if text.eq_ignore_ascii_case("z") {
        return FixedOffset::east_opt(0);
    }
    let sign = match text.chars().next()? {
        '+' => 1,
        '-' => -1,
        _ => return None,
    };
    let (hours, rest) = digits(&text[1..], 2, 2)?;
    let (minutes, rest) = digits(rest.strip_prefix(':')?, 2, 2)?;
    if !rest.is_empty() || hours > 23 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60) as i32)
}

/// `min..=max` leading ASCII digits as a number, and the rest.
fn digits(text: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let len = text
        .bytes()
        .take(max)
        .take_while(u8::is_ascii_digit)
        .count();
    if len < min {
        return None;
    }
    Some((text[..len].parse().ok()?, &text[len..]))
}
