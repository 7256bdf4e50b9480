//! Views sized for a reader that pays for every row and character: a coding assistant over
//! MCP, whose context window holds whatever a tool answers. Small pages, bodies as bounded
//! text, transcripts cut around the message asked about.

use std::ops::Range;

use super::{blocking, count, list, Result};
use crate::model::{
    ListQuery, MessageFilter, MessageId, MessagePage, MessageReading, SessionId, TranscriptExcerpt,
};
use crate::store::Store;

/// Summaries a search answers when it does not say how many.
pub const READ_PAGE: u64 = 20;
/// The most summaries one search answers; page on with `offset`.
pub const MAX_READ_PAGE: u64 = 200;
/// Characters of each body a reading holds when it does not say.
pub const READ_CHARS: usize = 20_000;
/// The most characters of each body one reading holds.
pub const MAX_READ_CHARS: usize = 1_000_000;
/// Transcript lines an excerpt holds when it does not say.
pub const TRANSCRIPT_LINES: usize = 200;
/// The most transcript lines one excerpt holds.
pub const MAX_TRANSCRIPT_LINES: usize = 10_000;
/// Lines shown before a message's own (its session's EHLO, STARTTLS and AUTH) when the
/// whole transcript does not fit.
const LEAD_LINES: usize = 10;

/// A page of the messages `filter` matches, newest first, with the total. `limit` `None`
/// is [`READ_PAGE`], more than [`MAX_READ_PAGE`] is clamped, and 0 answers the total only.
pub async fn read_page(
    store: &Store,
    filter: MessageFilter,
    offset: u64,
    limit: Option<u64>,
) -> Result<MessagePage> {
    let limit = limit.unwrap_or(READ_PAGE).min(MAX_READ_PAGE);
    if limit == 0 {
        let total = count(store, filter).await?.total;
        return Ok(MessagePage {
            total,
            offset,
            messages: Vec::new(),
        });
    }
    let query = ListQuery {
        inbox: filter.inbox,
        query: filter.query,
        offset,
        limit,
        utc_offset_minutes: filter.utc_offset_minutes,
    };
    list(store, query).await
}

/// One message as bounded text (`MessageReading`): each body at most `max_chars`
/// characters (`None`: [`READ_CHARS`]; clamped to `1..=`[`MAX_READ_CHARS`]). Does not mark
/// it read.
pub async fn read_message(
    store: &Store,
    id: MessageId,
    max_chars: Option<usize>,
) -> Result<MessageReading> {
    let max = max_chars.unwrap_or(READ_CHARS).clamp(1, MAX_READ_CHARS);
    blocking(store, move |s| {
        let summary = s.summary(id)?;
        let envelope = s.envelope(id)?;
        let raw = s.raw(id)?;
        Ok(MessageReading::build(summary, envelope, &raw, max))
    })
    .await
}

/// Whose transcript: the session that delivered a message, or a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TranscriptOf {
    Message(MessageId),
    Session(SessionId),
}

/// A transcript cut to at most `max_lines` lines (`None`: [`TRANSCRIPT_LINES`]; clamped
/// to `1..=`[`MAX_TRANSCRIPT_LINES`]): all of it when it fits, else a message's own lines
/// with a few before them, else the session's first lines.
pub async fn read_transcript(
    store: &Store,
    of: TranscriptOf,
    max_lines: Option<usize>,
) -> Result<TranscriptExcerpt> {
    let max = max_lines
        .unwrap_or(TRANSCRIPT_LINES)
        .clamp(1, MAX_TRANSCRIPT_LINES);
    blocking(store, move |s| {
        let (session, focus) = match of {
            TranscriptOf::Message(id) => (
                s.summary(id)?.session_id,
                Some(s.envelope(id)?.transcript_range),
            ),
            TranscriptOf::Session(id) => (id, None),
        };
        let t = s.transcript(session)?;
        let total = t.lines.len();
        let shown = window(total, focus, max);
        Ok(TranscriptExcerpt {
            session: t.session,
            first_line: shown.start,
            lines: t.lines[shown].to_vec(),
            total_lines: total,
            message_lines: focus,
        })
    })
    .await
}

/// Which of `total` lines to show, at most `max`: all when they fit; else from a few
/// lines before `focus` starts (never past the end); else the first `max`.
fn window(total: usize, focus: Option<(usize, usize)>, max: usize) -> Range<usize> {
    if total <= max {
        return 0..total;
    }
    let start = match focus {
        None => 0,
        Some((first, _)) => first
            .saturating_sub(LEAD_LINES.min(max / 4))
            .min(total - max),
    };
    start..start + max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transcript_window_keeps_the_message_and_a_few_lines_before_it() {
        let cases = [
            // (total, focus, max, expected, why)
            (5, None, 10, 0..5, "everything fits"),
            (
                5,
                Some((2, 4)),
                10,
                0..5,
                "everything fits with a message too",
            ),
            (100, None, 10, 0..10, "a session's first lines"),
            (
                100,
                Some((50, 56)),
                20,
                45..65,
                "5 lead lines (a quarter of 20)",
            ),
            (100, Some((50, 56)), 200, 0..100, "fits"),
            (
                1000,
                Some((500, 510)),
                100,
                490..590,
                "10 lead lines at most",
            ),
            (100, Some((98, 100)), 20, 80..100, "never past the end"),
            (100, Some((1, 3)), 20, 0..20, "never before the start"),
            (100, Some((50, 90)), 10, 48..58, "a long message is cut"),
        ];
        for (total, focus, max, expected, why) in cases {
            assert_eq!(
                window(total, focus, max),
                expected,
                "{why}: total {total}, focus {focus:?}, max {max}"
            );
        }
    }
}
