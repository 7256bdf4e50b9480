//! `before:` / `after:` values: every accepted form, and their canonical text.

use std::time::Duration;

use chrono::{FixedOffset, NaiveDate, TimeZone};

use super::super::{DateValue, Term};
use super::{check, check_text, t};

fn date(after: bool, at: DateValue) -> super::Expr {
    t(Term::Date { after, at })
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

#[test]
fn dates() {
    let dt = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap();
    let utc = FixedOffset::east_opt(0).unwrap();
    let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
    let minus530 = FixedOffset::west_opt(5 * 3600 + 30 * 60).unwrap();
    let instant = |o: FixedOffset, s: &str| o.from_local_datetime(&dt(s)).unwrap();
    check(&[
        (
            "after:2026-11-30",
            date(true, DateValue::Day(day(2026, 11, 30))),
        ),
        (
            "before:2026-11-30",
            date(false, DateValue::Day(day(2026, 11, 30))),
        ),
        (
            "after:2026/11/30",
            date(true, DateValue::Day(day(2026, 11, 30))),
        ),
        (
            "after:2026-1-5",
            date(true, DateValue::Day(day(2026, 1, 5))),
        ),
        (
            "after:2024-02-29",
            date(true, DateValue::Day(day(2024, 2, 29))),
        ),
        (
            "after:2026-11-30T10:00",
            date(true, DateValue::DateTime(dt("2026-11-30 10:00:00"))),
        ),
        (
            "after:2026-11-30t10:00",
            date(true, DateValue::DateTime(dt("2026-11-30 10:00:00"))),
        ),
        (
            "after:2026-11-30T10:00:05",
            date(true, DateValue::DateTime(dt("2026-11-30 10:00:05"))),
        ),
        (
            "after:2026/11/30T23:59",
            date(true, DateValue::DateTime(dt("2026-11-30 23:59:00"))),
        ),
        (
            "after:2026-11-30T10:00:05.25",
            date(true, DateValue::DateTime(dt("2026-11-30 10:00:05.25"))),
        ),
        (
            "after:\"2026-11-30 10:00\"",
            date(true, DateValue::DateTime(dt("2026-11-30 10:00:00"))),
        ),
        (
            "after:2026-11-30T10:00:00Z",
            date(
                true,
                DateValue::Instant(instant(utc, "2026-11-30 10:00:00")),
            ),
        ),
        (
            "after:2026-11-30T10:00Z",
            date(
                true,
                DateValue::Instant(instant(utc, "2026-11-30 10:00:00")),
            ),
        ),
        (
            "after:2026-11-30T10:00:00+02:00",
            date(
                true,
                DateValue::Instant(instant(plus2, "2026-11-30 10:00:00")),
            ),
        ),
        (
            "before:2026-11-30T10:00:00.123-05:30",
            date(
                false,
                DateValue::Instant(instant(minus530, "2026-11-30 10:00:00.123")),
            ),
        ),
        (
            "after:\"2026-11-30 10:00:00z\"",
            date(
                true,
                DateValue::Instant(instant(utc, "2026-11-30 10:00:00")),
            ),
        ),
        (
            "after:30s",
            date(true, DateValue::Ago(Duration::from_secs(30))),
        ),
        (
            "after:30m",
            date(true, DateValue::Ago(Duration::from_secs(30 * 60))),
        ),
        (
            "after:2h",
            date(true, DateValue::Ago(Duration::from_secs(2 * 3600))),
        ),
        (
            "after:3d",
            date(true, DateValue::Ago(Duration::from_secs(3 * 86_400))),
        ),
        (
            "after:1w",
            date(true, DateValue::Ago(Duration::from_secs(604_800))),
        ),
        (
            "before:3D",
            date(false, DateValue::Ago(Duration::from_secs(3 * 86_400))),
        ),
        ("after:0d", date(true, DateValue::Ago(Duration::ZERO))),
        (
            "after:90m",
            date(true, DateValue::Ago(Duration::from_secs(90 * 60))),
        ),
    ]);
}

#[test]
fn canonical_text_of_dates() {
    check_text(&[
        ("after:2026/1/5", "after:2026-01-05"),
        ("after:\"2026-11-30 10:00\"", "after:2026-11-30T10:00"),
        ("after:2026-11-30T10:00:00", "after:2026-11-30T10:00"),
        (
            "after:2026-11-30T10:00:05.500",
            "after:2026-11-30T10:00:05.5",
        ),
        (
            "after:2026-11-30T10:00:05.000000001",
            "after:2026-11-30T10:00:05.000000001",
        ),
        ("after:2026-11-30T10:00z", "after:2026-11-30T10:00:00Z"),
        ("after:2026-11-30T10:00+00:00", "after:2026-11-30T10:00:00Z"),
        ("after:2026-11-30T10:00-00:00", "after:2026-11-30T10:00:00Z"),
        (
            "after:2026-11-30T10:00+05:30",
            "after:2026-11-30T10:00:00+05:30",
        ),
        (
            "after:2026-11-30T10:00-08:00",
            "after:2026-11-30T10:00:00-08:00",
        ),
        ("after:14d", "after:2w"),
        ("after:120m", "after:2h"),
        ("after:90m", "after:90m"),
        ("after:60s", "after:1m"),
        ("after:0w", "after:0s"),
        ("BEFORE:3D", "before:3d"),
    ]);
}
