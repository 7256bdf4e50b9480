//! How much of a MIME tree is walked: one pair of caps for every walker (ingest summary and
//! index text, body blocks, the Parts tree, attachments, part downloads, lint), so a MIME
//! bomb is shown as far as the caps and said to go on, never followed into a crash.
//!
//! Depth counts multiparts and forwarded messages together: the root is at depth 0, a
//! multipart's children one deeper, a `message/rfc822` part's own root one deeper than the
//! part. Real mail stays far below both caps: a forwarded bounce of a signed
//! alternative-with-images message is about 8 levels deep, and the largest real messages
//! (mailing-list digests, photo dumps) have hundreds of parts, not thousands.
//!
//! A message over a cap is still stored byte-exact and readable raw; what is over the caps
//! is simply not walked, and [`cut`] says so.

use std::collections::HashSet;

use mail_parser::{Message, PartType};

/// Deepest level walked (multiparts and nested messages together). Deeper parts are not
/// walked. Every recursive walker stops here, which also bounds its stack; and the JSON of
/// a detail at this depth (two levels per part in the Parts tree, three per forwarded
/// message in the blocks) stays under the 128 levels JSON readers such as serde_json allow.
pub const MAX_PART_DEPTH: usize = 32;
/// Most parts walked in one message, nested messages' parts included, in document order.
pub const MAX_PARTS: usize = 10_000;

/// What of a message lies beyond the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// The deepest level the message nests to, when over [`MAX_PART_DEPTH`].
    pub depth: Option<usize>,
    /// How many parts the message has, when over [`MAX_PARTS`].
    pub parts: Option<usize>,
}

impl Cut {
    /// One plain sentence for every view.
    pub fn sentence(&self) -> String {
        let mut why = Vec::new();
        if let Some(d) = self.depth {
            why.push(format!(
                "its parts nest {d} levels deep (only {MAX_PART_DEPTH} are walked)"
            ));
        }
        if let Some(n) = self.parts {
            why.push(format!(
                "it has {n} parts (only the first {MAX_PARTS} are walked)"
            ));
        }
        format!(
            "Only part of this message is shown: {}. The rest was not walked; the message is \
             stored exactly as received and its raw source shows all of it.",
            why.join(" and ")
        )
    }
}

/// One part reached by [`each_part`].
pub struct Walked<'m, 'x> {
    /// The (possibly nested) message the part belongs to.
    pub msg: &'m Message<'x>,
    /// Its index in `msg.parts`.
    pub index: usize,
    /// Its id in the Parts tree ("1.2", "1.2.1.1").
    pub id: String,
    pub depth: usize,
}

/// Calls `f` with every part within the caps, in document order (a nested message's parts
/// right after the part holding it), with its id; `root_id` is the root's. Iterative.
/// `f` returns whether to go into the part's nested message, if it has one.
pub fn each_part<'m, 'x>(
    msg: &'m Message<'x>,
    root_id: &str,
    mut f: impl FnMut(&Walked<'m, 'x>) -> bool,
) {
    if msg.parts.is_empty() {
        return;
    }
    let mut stack = vec![Walked {
        msg,
        index: 0,
        id: root_id.to_string(),
        depth: 0,
    }];
    let mut seen = 0usize;
    // A broken tree could name a part twice; each part of each message is visited once.
    let mut visited = HashSet::new();
    while let Some(w) = stack.pop() {
        if seen >= MAX_PARTS {
            return;
        }
        if !visited.insert((w.msg as *const Message<'x> as usize, w.index)) {
            continue;
        }
        seen += 1;
        let part = &w.msg.parts[w.index];
        let deeper = w.depth + 1;
        let go_in = f(&w);
        if deeper > MAX_PART_DEPTH {
            continue;
        }
        match &part.body {
            PartType::Multipart(kids) => {
                for (n, &k) in kids.iter().enumerate().rev() {
                    if (k as usize) < w.msg.parts.len() {
                        stack.push(Walked {
                            msg: w.msg,
                            index: k as usize,
                            id: format!("{}.{}", w.id, n + 1),
                            depth: deeper,
                        });
                    }
                }
            }
            PartType::Message(nested) if go_in && !nested.parts.is_empty() => {
                stack.push(Walked {
                    msg: nested,
                    index: 0,
                    id: format!("{}.1", w.id),
                    depth: deeper,
                });
            }
            _ => {}
        }
    }
}

/// What of `msg` is beyond the caps, or `None` when all of it is walked. Iterative, and
/// linear in the parts the parser found.
pub fn cut(msg: &Message) -> Option<Cut> {
    let mut deepest = 0usize;
    let mut parts = 0usize;
    let mut stack: Vec<(&Message, usize, usize)> = Vec::new();
    if !msg.parts.is_empty() {
        stack.push((msg, 0, 0));
    }
    // mail-parser's parts of one message form a tree by index; a broken one is guarded by
    // visiting each index once.
    let mut visited = HashSet::new();
    while let Some((m, index, depth)) = stack.pop() {
        if !visited.insert((m as *const Message as usize, index)) {
            continue;
        }
        parts += 1;
        deepest = deepest.max(depth);
        match &m.parts[index].body {
            PartType::Multipart(kids) => {
                for &k in kids {
                    if (k as usize) < m.parts.len() {
                        stack.push((m, k as usize, depth + 1));
                    }
                }
            }
            PartType::Message(nested) if !nested.parts.is_empty() => {
                stack.push((nested, 0, depth + 1));
            }
            _ => {}
        }
    }
    let cut = Cut {
        depth: (deepest > MAX_PART_DEPTH).then_some(deepest),
        parts: (parts > MAX_PARTS).then_some(parts),
    };
    (cut.depth.is_some() || cut.parts.is_some()).then_some(cut)
}

/// Drops a parsed message without recursion: mail-parser nests a forwarded message inside
/// its part, so dropping 20 000 nested ones the usual way would recurse 20 000 deep.
pub fn dismantle(msg: Message<'_>) {
    let mut stack = vec![msg];
    while let Some(mut m) = stack.pop() {
        for part in m.parts.iter_mut() {
            if let PartType::Message(inner) = &mut part.body {
                stack.push(std::mem::take(inner));
            }
        }
    }
}
