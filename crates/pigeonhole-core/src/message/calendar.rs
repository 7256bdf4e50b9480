//! Calendar invites: the events of a `text/calendar` part (RFC 5545), read with a small,
//! bounded parser of our own: content lines unfolded (§3.1), parameters split with quoting
//! (§3.2), TEXT values unescaped (§3.3.11), DATE and DATE-TIME values with TZID or UTC `Z`
//! (§3.3.4, §3.3.5). Only what a person checks in an invite is kept.

use chrono::{NaiveDate, NaiveDateTime};

use crate::model::{CalendarEvent, CalendarInvite, CalendarPerson, CalendarTime};

/// Most bytes read from a calendar part.
const MAX_BYTES: usize = 1024 * 1024;
/// Most events kept.
const MAX_EVENTS: usize = 50;
/// Most attendees kept per event.
const MAX_ATTENDEES: usize = 500;
/// Longest text value kept, in characters.
const MAX_TEXT_CHARS: usize = 10_000;
/// Deepest component nesting followed.
const MAX_NESTING: usize = 16;

/// The invite in `body`.
pub fn parse(body: &str) -> CalendarInvite {
    let mut truncated = body.len() > MAX_BYTES;
    let body = &body[..floor_char(body, MAX_BYTES)];
    let mut invite = CalendarInvite {
        method: None,
        events: Vec::new(),
        truncated: false,
    };
    // The component names we are inside, innermost last.
    let mut stack: Vec<String> = Vec::new();
    let mut event: Option<CalendarEvent> = None;
    for line in unfold(body) {
        let Some(prop) = Property::parse(&line) else {
            continue;
        };
        match prop.name.as_str() {
            "BEGIN" => {
                if stack.len() >= MAX_NESTING {
                    truncated = true;
                    break;
                }
                let name = prop.value.to_ascii_uppercase();
                if name == "VEVENT" && stack.last().is_some_and(|c| c == "VCALENDAR") {
                    event = Some(empty_event());
                }
                stack.push(name);
                continue;
            }
            "END" => {
                let name = prop.value.to_ascii_uppercase();
                if let Some(at) = stack.iter().rposition(|c| *c == name) {
                    stack.truncate(at);
                }
                if name == "VEVENT" {
                    if let Some(done) = event.take() {
                        if invite.events.len() < MAX_EVENTS {
                            invite.events.push(done);
                        } else {
                            truncated = true;
                        }
                    }
                }
                continue;
            }
            _ => {}
        }
        match stack.last().map(String::as_str) {
            Some("VCALENDAR") if prop.name == "METHOD" => {
                invite.method = Some(prop.value.trim().to_ascii_uppercase());
            }
            Some("VEVENT") => {
                if let Some(ev) = event.as_mut() {
                    truncated |= apply(ev, &prop);
                }
            }
            _ => {}
        }
    }
    invite.truncated = truncated;
    invite
}

fn empty_event() -> CalendarEvent {
    CalendarEvent {
        summary: None,
        organizer: None,
        start: None,
        end: None,
        location: None,
        description: None,
        status: None,
        uid: None,
        attendees: Vec::new(),
    }
}

/// Sets the event field `prop` is; true when something was left out.
fn apply(ev: &mut CalendarEvent, prop: &Property) -> bool {
    match prop.name.as_str() {
        "SUMMARY" => ev.summary = Some(text(&prop.value)),
        "LOCATION" => ev.location = Some(text(&prop.value)),
        "DESCRIPTION" => ev.description = Some(text(&prop.value)),
        "STATUS" => ev.status = Some(prop.value.trim().to_ascii_uppercase()),
        "UID" => ev.uid = Some(prop.value.trim().to_string()),
        "DTSTART" => ev.start = Some(time(prop)),
        "DTEND" => ev.end = Some(time(prop)),
        "ORGANIZER" => ev.organizer = Some(person(prop)),
        "ATTENDEE" => {
            if ev.attendees.len() >= MAX_ATTENDEES {
                return true;
            }
            ev.attendees.push(person(prop));
        }
        _ => {}
    }
    false
}

fn person(prop: &Property) -> CalendarPerson {
    let value = prop.value.trim();
    let address = match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &value[7..],
        _ => value,
    };
    CalendarPerson {
        name: prop.param("CN").map(str::to_string),
        address: address.to_string(),
        partstat: prop.param("PARTSTAT").map(str::to_ascii_uppercase),
        role: prop.param("ROLE").map(str::to_ascii_uppercase),
    }
}

/// A DTSTART/DTEND: DATE (`20261203`), local or TZID DATE-TIME (`20261203T100000`), or UTC
/// (`...Z`).
fn time(prop: &Property) -> CalendarTime {
    let raw = prop.value.trim().to_string();
    let tzid = prop
        .param("TZID")
        .map(|t| t.trim_start_matches('/').to_string());
    let date_only = prop
        .param("VALUE")
        .is_some_and(|v| v.eq_ignore_ascii_case("DATE"))
        || (raw.len() == 8 && raw.bytes().all(|b| b.is_ascii_digit()));
    if date_only {
        let date = NaiveDate::parse_from_str(&raw, "%Y%m%d").ok();
        return CalendarTime {
            iso: date.map(|d| d.format("%Y-%m-%d").to_string()),
            display: date
                .map(|d| format!("{} (all day)", d.format("%a %-d %b %Y")))
                .unwrap_or_else(|| raw.clone()),
            raw,
            tzid: None,
            utc: false,
            all_day: true,
        };
    }
    let utc = raw.ends_with(['Z', 'z']);
    let local = raw.trim_end_matches(['Z', 'z']);
    let parsed = NaiveDateTime::parse_from_str(local, "%Y%m%dT%H%M%S").ok();
    let zone = if utc {
        " UTC".to_string()
    } else {
        tzid.as_ref().map(|t| format!(" ({t})")).unwrap_or_default()
    };
    CalendarTime {
        iso: parsed.map(|t| {
            format!(
                "{}{}",
                t.format("%Y-%m-%dT%H:%M:%S"),
                if utc { "Z" } else { "" }
            )
        }),
        display: parsed
            .map(|t| format!("{}{zone}", t.format("%a %-d %b %Y, %H:%M")))
            .unwrap_or_else(|| format!("{raw}{zone}")),
        raw,
        tzid: if utc { None } else { tzid },
        utc,
        all_day: false,
    }
}

/// A TEXT value unescaped (`\n`, `\,`, `\;`, `\\`) and bounded.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_TEXT_CHARS));
    let mut chars = value.chars();
    let mut count = 0;
    while let Some(c) = chars.next() {
        if count >= MAX_TEXT_CHARS {
            out.push('…');
            break;
        }
        count += 1;
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out.trim().to_string()
}

/// Content lines with folding undone: a line end followed by a space or tab joins the lines.
fn unfold(body: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in body.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        match (line.strip_prefix([' ', '\t']), lines.last_mut()) {
            (Some(rest), Some(last)) => last.push_str(rest),
            _ => lines.push(line.to_string()),
        }
    }
    lines
}

/// One content line: `NAME;PARAM=value;PARAM="quoted":value`.
struct Property {
    /// Upper-cased.
    name: String,
    /// Parameter names upper-cased, values unquoted.
    params: Vec<(String, String)>,
    value: String,
}

impl Property {
    fn parse(line: &str) -> Option<Property> {
        let mut in_quotes = false;
        let mut colon = None;
        let mut cuts = Vec::new();
        for (i, c) in line.char_indices() {
            match c {
                '"' => in_quotes = !in_quotes,
                ';' if !in_quotes => cuts.push(i),
                ':' if !in_quotes => {
                    colon = Some(i);
                    break;
                }
                _ => {}
            }
        }
        let colon = colon?;
        let head = &line[..colon];
        let name_end = cuts.first().copied().unwrap_or(colon);
        let name = line[..name_end].trim().to_ascii_uppercase();
        if name.is_empty() {
            return None;
        }
        let mut params = Vec::new();
        let mut bounds = cuts.clone();
        bounds.push(colon);
        for pair in bounds.windows(2) {
            let p = &head[pair[0] + 1..pair[1]];
            if let Some((k, v)) = p.split_once('=') {
                params.push((
                    k.trim().to_ascii_uppercase(),
                    v.trim().trim_matches('"').to_string(),
                ));
            }
        }
        Some(Property {
            name,
            params,
            value: line[colon + 1..].to_string(),
        })
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

fn floor_char(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str =
        "BEGIN:VCALENDAR\r\nMETHOD:request\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n\
BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\n\
SUMMARY:Plan\\, review\\; ship\r\nORGANIZER;CN=\"Ann; Boss\":MAILTO:ann@x.test\r\n\
ATTENDEE;CN=QA;PARTSTAT=accepted;ROLE=REQ-PARTICIPANT:mailto:q\r\n a@x.test\r\n\
DTSTART;TZID=Europe/Berlin:20261203T100000\r\nDTEND:20261203T100000Z\r\n\
DESCRIPTION:Line one\\nLine two\r\nBEGIN:VALARM\r\nDESCRIPTION:Reminder\r\nEND:VALARM\r\n\
END:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:Offsite\r\nDTSTART;VALUE=DATE:20261224\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

    #[test]
    fn an_invite_reads_as_its_events() {
        let inv = parse(INVITE);
        assert_eq!(inv.method.as_deref(), Some("REQUEST"), "method upper-cased");
        assert_eq!(inv.events.len(), 2, "{inv:?}");
        let ev = &inv.events[0];
        assert_eq!(
            ev.summary.as_deref(),
            Some("Plan, review; ship"),
            "TEXT unescaped"
        );
        assert_eq!(
            ev.description.as_deref(),
            Some("Line one\nLine two"),
            "the VALARM's description does not replace the event's"
        );
        let org = ev.organizer.as_ref().expect("an organizer");
        assert_eq!(
            org.name.as_deref(),
            Some("Ann; Boss"),
            "quoted parameter kept whole"
        );
        assert_eq!(org.address, "ann@x.test", "mailto: removed in any case");
        assert_eq!(ev.attendees.len(), 1);
        assert_eq!(ev.attendees[0].address, "qa@x.test", "folded line unfolded");
        assert_eq!(ev.attendees[0].partstat.as_deref(), Some("ACCEPTED"));
        let start = ev.start.as_ref().expect("a start");
        assert_eq!(start.tzid.as_deref(), Some("Europe/Berlin"));
        assert_eq!(start.iso.as_deref(), Some("2026-12-03T10:00:00"));
        assert_eq!(start.display, "Thu 3 Dec 2026, 10:00 (Europe/Berlin)");
        let end = ev.end.as_ref().expect("an end");
        assert!(end.utc, "Z means UTC");
        assert_eq!(end.display, "Thu 3 Dec 2026, 10:00 UTC");
        let day = inv.events[1].start.as_ref().expect("a date");
        assert!(day.all_day, "VALUE=DATE is a whole day");
        assert_eq!(day.iso.as_deref(), Some("2026-12-24"));
        assert_eq!(day.display, "Thu 24 Dec 2026 (all day)");
        assert!(!inv.truncated);
    }

    #[test]
    fn hostile_calendars_are_bounded() {
        let many = format!(
            "BEGIN:VCALENDAR\r\n{}END:VCALENDAR\r\n",
            "BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n".repeat(MAX_EVENTS + 5)
        );
        let inv = parse(&many);
        assert_eq!(inv.events.len(), MAX_EVENTS, "events capped");
        assert!(inv.truncated, "and it says so");
        let deep = "BEGIN:X\r\n".repeat(10_000);
        assert!(parse(&deep).truncated, "nesting capped");
        let bad = parse("DTSTART;TZID=\"unclosed:20261203T100000\r\n:\r\nBEGIN:VEVENT\r\n");
        assert!(
            bad.events.is_empty(),
            "an event never ended is not reported"
        );
    }
}
