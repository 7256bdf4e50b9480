// MOCK ONLY: a small subset of core's search language for the mock backend, so the search
// UI (results, and a malformed query's error with its position) can be previewed in a
// browser and unit-tested without the shell. Core's parser (crates/pigeonhole-core/src/search)
// is the real one; this knows free words (substring), "phrases", -negation, OR between
// terms, from: to: subject: tag: and is:read|unread|pinned|tagged. Any other operator core
// knows matches as free text; one core does not know, an unclosed quote, a dangling - or
// OR, parentheses after an operator, and an operator without a value are refused the way
// core refuses them: a CommandError of kind "query" with pos and len in characters.

import type { InboxKey, MessageSummary, QueryError } from "../lib/types";

/** Core's operator names, as its "unknown operator" message lists them. */
const KNOWN =
  "from, to, cc, bcc, addressed, reply-to, subject, message-id, header, tag, inbox, user, listener, is, has, larger, smaller, before, after";
const KNOWN_NAMES = new Set([...KNOWN.split(", "), "replyto", "msgid"]);
const FLAGS = ["read", "unread", "pinned", "tagged"];

type Test = (m: MessageSummary) => boolean;

function refuse(pos: number, len: number, message: string): QueryError {
  return { kind: "query", message, pos, len };
}

/** Compiles `text` to a predicate, or throws a QueryError saying where it is malformed. */
export function compileMockQuery(text: string): Test {
  const chars = Array.from(text);
  const alternatives: Test[][] = [[]];
  let orAt: number | null = null;
  let i = 0;
  while (i < chars.length) {
    if (/\s/.test(chars[i])) {
      i++;
      continue;
    }
    const start = i;
    let negate = false;
    if (chars[i] === "-" || chars[i] === "!") {
      negate = true;
      i++;
      if (i >= chars.length || /\s/.test(chars[i])) {
        throw refuse(start, 1, `${chars[start]} must be followed directly by what to leave out, as in -newsletter`);
      }
    }
    const word = readWord(chars, i);
    i = word.end;
    if (!word.quoted && word.text === "OR" && !negate) {
      if (orAt !== null || alternatives.at(-1)!.length === 0) throw refuse(start, 2, "OR needs a term on each side");
      orAt = start;
      alternatives.push([]);
      continue;
    }
    if (!word.quoted && (word.text.startsWith("(") || word.text.startsWith(")"))) {
      throw refuse(start, 1, "the mock backend has no parentheses (core has)");
    }
    const test = term(start + (negate ? 1 : 0), word);
    alternatives.at(-1)!.push(negate ? (m) => !test(m) : test);
    orAt = null;
  }
  if (orAt !== null) throw refuse(orAt, 2, "OR needs a term on each side");
  return (m) => alternatives.some((terms) => terms.every((t) => t(m)));
}

interface Word {
  text: string;
  quoted: boolean;
  end: number;
}

/** A bare word up to whitespace, or a "quoted phrase" (throws when it is never closed). */
function readWord(chars: string[], at: number): Word {
  if (chars[at] === '"') return readQuoted(chars, at);
  let end = at;
  while (end < chars.length && !/\s/.test(chars[end])) {
    // An operator's quoted value: from:"Acme Billing".
    if (chars[end] === '"' && chars[end - 1] === ":") {
      const q = readQuoted(chars, end);
      return { text: chars.slice(at, end).join("") + q.text, quoted: false, end: q.end };
    }
    end++;
  }
  return { text: chars.slice(at, end).join(""), quoted: false, end };
}

function readQuoted(chars: string[], at: number): Word {
  const close = chars.indexOf('"', at + 1);
  if (close < 0) throw refuse(at, 1, 'this " is never closed: add a closing "');
  return { text: chars.slice(at + 1, close).join(""), quoted: true, end: close + 1 };
}

function term(start: number, word: Word): Test {
  const colon = word.quoted ? -1 : word.text.indexOf(":");
  const name = colon > 0 ? word.text.slice(0, colon) : "";
  if (!/^[A-Za-z-]+$/.test(name) || /^https?$/i.test(name)) return text(word.text);
  const op = name.toLowerCase();
  const value = word.text.slice(colon + 1);
  const opLen = Array.from(name).length + 1;
  if (!KNOWN_NAMES.has(op)) throw refuse(start, opLen, `unknown operator "${name}:"; known: ${KNOWN}`);
  if (value.startsWith("(")) throw refuse(start, opLen, "parentheses after an operator are not supported");
  if (value.trim() === "") throw refuse(start, opLen, `${op}: needs a value`);
  const v = value.toLowerCase();
  switch (op) {
    case "from":
      return (m) => has([m.from?.name ?? "", m.from?.address ?? "", m.mail_from], v);
    case "to":
      return (m) => has([...m.rcpt_to, ...m.to.map((a) => a.address)], v);
    case "subject":
      return (m) => has([m.subject], v);
    case "tag":
      return (m) => m.tags.includes(v);
    case "is":
      if (!FLAGS.includes(v)) {
        throw refuse(start + opLen, Array.from(value).length, `"${value}" is not something is: knows; use ${FLAGS.join(", ")}`);
      }
      return (m) => (v === "read" ? m.read : v === "unread" ? !m.read : v === "pinned" ? m.pinned : m.tags.length > 0);
    default:
      return text(value);
  }
}

function text(word: string): Test {
  const v = word.toLowerCase();
  return (m) =>
    has([m.subject, m.snippet, m.from?.name ?? "", m.from?.address ?? "", m.mail_from, ...m.rcpt_to, ...m.tags], v);
}

function has(fields: string[], needle: string): boolean {
  return fields.some((f) => f.toLowerCase().includes(needle));
}

/** Whether a message is in a sidebar inbox, as core decides it. */
export function inInbox(m: MessageSummary, inbox: InboxKey | null): boolean {
  if (inbox === null) return true;
  const key = inbox.key.toLowerCase();
  switch (inbox.kind) {
    case "recipient":
      return m.rcpt_to.some((r) => r.toLowerCase() === key);
    case "user":
      return m.auth_user === inbox.key;
    case "listener":
      return m.listener === inbox.key;
    case "tag":
      return m.tags.includes(key);
  }
}
