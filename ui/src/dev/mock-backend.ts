// A fake shell for previewing the UI in a plain browser (`npm run dev:mock`).
// Only imported when VITE_MOCK_IPC=1, so it never reaches a real build.
// URL switches: ?empty (no mail), ?porterror (listener failed), ?apierror (the HTTP API's
// port is taken, as when Mailpit runs), ?count=N, ?theme=dark,
// ?open=ID, ?tab=NAME, ?page=settings|faults|sessions, ?ruleerror (every rules save is refused),
// ?fielderror (every settings save is refused, to show errors),
// ?q=QUERY (typed into the search box), ?searchhelp (the search syntax popover),
// ?live=SECONDS (a message arrives that often), ?release (with ?open: the Release dialog,
// the allowlist set to example.com).
// Searching uses mock-query.ts, a small subset of core's language that refuses malformed
// queries the way core does.

import { mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import {
  CONFIG_DEFAULTS,
  CORE_EVENTS,
  DESKTOP_EVENTS,
  LARGE_HTML,
  UI_DEFAULTS,
  type CommandError,
  type DesktopSettings,
  type FieldError,
  type Inbox,
  type InboxKind,
  type LintReport,
  type ListQuery,
  type MessageFilter,
  type MessageDetail,
  type MessageSummary,
  type Rule,
  type RuleStats,
  type RulesView,
  type Release,
  type ServerStatus,
  type SessionSummary,
  type Theme,
  type Transcript,
} from "../lib/types";
import { compileMockQuery, inInbox } from "./mock-query";

const DATA_DIR = "/home/dev/.local/share/pigeonhole";

/** Rejects the way the shell does: a CommandError, never a bare string. */
function commandError(kind: CommandError["kind"], message: string): CommandError {
  return { kind, message, pos: null, len: null };
}

/**
 * MOCK ONLY: with `?fielderror` every save is refused the way core refuses one, so the
 * preview can show a field error. The mock checks nothing itself: validation lives in core.
 */
const SAMPLE_FIELD_ERRORS: FieldError[] = [
  { field: "max_line_length", message: "must be at least 512 (RFC 5321 §4.5.3.1.4)" },
];

/** MOCK ONLY: with `?ruleerror` every rules save is refused the way core refuses one. */
const SAMPLE_RULE_ERRORS = ['rules[0] "x": code: 700 is outside 200-599'];

/** MOCK ONLY: a few rules to show, with made-up counters. */
const SAMPLE_RULES: Rule[] = [
  { name: "550 for nobody@*", enabled: true, stage: "rcpt", address: "nobody@*", per: "rule", action: "reply", code: 550, enhanced: "5.1.1", text: "No such user", close: false },
  { name: "452 on the 2nd RCPT", enabled: true, stage: "rcpt", nth: 2, per: "rule", action: "reply", code: 452, enhanced: "4.5.3", text: "Too many recipients", close: false },
  { name: "tempfail twice then accept", enabled: true, stage: "end_of_data", per: "rule", action: "tempfail", attempts: 2, close: false },
  { name: "slow server 5 s", enabled: false, stage: "helo", per: "rule", action: "delay", delay_ms: 5000, close: false },
];

const PEOPLE = [
  ["Acme Billing", "billing@acme.test"],
  ["GitHub", "noreply@github.test"],
  ["Stripe", "receipts@stripe.test"],
  [null, "cron@build-01.internal"],
  ["Jira", "jira@tracker.test"],
  ["Linear", "notifications@linear.test"],
] as const;
const RECIPIENTS = [
  "alice@example.com",
  "bob@example.com",
  "ops@example.com",
  "qa+signup@example.com",
  "corpus-000000001@holdingcompany-example.test",
];
const SUBJECTS = [
  "Your invoice #%d is ready",
  "Reset your password",
  "Welcome to Acme, please confirm your email",
  "[CI] Build %d failed on main",
  "Weekly report: 3 new sign-ups",
  "Payment receipt for order %d",
  "You have been invited to join the team",
  "Your export is ready to download",
];

const TAGS = ["invoice", "signup", "qa", "password-reset"];

/** A tag as core stores it (message::normalize_tag): whitespace collapsed, lowercased; null when refused. */
function normalizeTag(tag: string): string | null {
  const t = tag.split(/\s+/).filter(Boolean).join(" ").toLowerCase();
  const n = Array.from(t).length;
  return n >= 1 && n <= 64 && !/[,\u0000-\u001f\u007f]/.test(t) ? t : null;
}

/** The id-th sample message (the same id always looks the same). */
function sample(id: number, at: Date, read: boolean): MessageSummary {
  const [name, address] = PEOPLE[id % PEOPLE.length];
  const rcpt = RECIPIENTS[id % RECIPIENTS.length];
  return {
    id,
    session_id: id,
    received_at: at.toISOString(),
    mail_from: address,
    rcpt_to: id % 5 === 0 ? [rcpt, "audit@example.com"] : [rcpt],
    from: { name, address },
    to: id % 7 === 0 ? [] : [{ name: null, address: rcpt }],
    cc: id % 4 === 0 ? [{ name: "Ops", address: "ops@example.com" }] : [],
    subject: SUBJECTS[id % SUBJECTS.length].replace("%d", String(1000 + id)),
    date: null,
    size: 1800 + ((id * 7919) % 90_000),
    has_attachments: id % 3 === 0,
    attachments: id % 3 === 0 ? 1 : 0,
    snippet: "Hi there, thanks for using Acme. Here is the summary of your account activity this week…",
    read,
    pinned: id % 17 === 0,
    tags: TAGS.filter((_, t) => id % (t + 5) === 0).sort(),
    auth_user: id % 3 === 0 ? "app" : null,
    listener: id % 8 === 0 ? "staging" : "default",
    message_id: `${1000 + id}.${id * 7919}@${address.split("@")[1]}`,
    reply_to: id % 6 === 0 ? [{ name: "Support", address: "support@acme.test" }] : [],
    lint_errors: id % 9 === 0 ? 1 : 0,
    lint_warnings: id % 4 === 0 ? 1 : 0,
  };
}

/** The findings a sample message's badge counts. */
function sampleLint(m: MessageSummary): LintReport {
  const findings: LintReport["findings"] = [];
  if (m.lint_errors)
    findings.push({
      id: "bare-lf",
      severity: "error",
      message: "Line 14 ends in a bare LF (and 22 more lines).",
      why: "Mail lines end in CRLF; servers rewrite, refuse or split a bare LF differently (the root of SMTP smuggling), which also breaks DKIM.",
      reference: "RFC 5322 §2.3; RFC 5321 §2.3.8",
      location: { header: null, line: 14, part: null },
    });
  if (m.lint_warnings)
    findings.push({
      id: "html-without-text",
      severity: "warning",
      message: "The message has an HTML body and no text/plain alternative.",
      why: "Text-only clients, watches and screen readers show nothing useful, and spam filters score HTML-only mail.",
      reference: "RFC 2046 §5.1.4",
      location: { header: null, line: 9, part: "1" },
    });
  findings.push({
    id: "envelope-from-mismatch",
    severity: "info",
    message: `MAIL FROM is <bounces@mail.acme.test> and From is <${m.from?.address}>; their domains align, so bounces go elsewhere but DMARC can pass.`,
    why: "Bounces go to the envelope sender, not to From, and DMARC alignment needs their domains to match.",
    reference: "RFC 5321 §4.4; RFC 7489 §3.1",
    location: { header: "From", line: 1, part: null },
  });
  return { errors: m.lint_errors, warnings: m.lint_warnings, infos: 1, findings };
}

export function installMockBackend() {
  const params = new URLSearchParams(location.search);
  const count = params.has("empty") ? 0 : Number(params.get("count") ?? 1200);
  const now = Date.now();

  const messages: MessageSummary[] = [];
  for (let id = count; id >= 1; id--) {
    messages.push(sample(id, new Date(now - (count - id) * 7 * 60_000 - 40_000), id < count - 4));
  }
  if (count > 2) messages[2].pinned = true;

  let settings: DesktopSettings = {
    engine: { ...structuredClone(CONFIG_DEFAULTS), data_dir: DATA_DIR },
    ui: { ...UI_DEFAULTS, theme: (params.get("theme") as Theme | null) ?? UI_DEFAULTS.theme },
  };

  settings.engine.rules = structuredClone(SAMPLE_RULES);
  let ruleStats: RuleStats[] = SAMPLE_RULES.map((r, i) => ({ name: r.name, matched: [14, 9, 3, 0][i], fired: [2, 1, 2, 0][i] }));
  const rulesView = (): RulesView =>
    structuredClone({
      fail_fast: settings.engine.fail_fast,
      rules: settings.engine.rules,
      stats: settings.engine.rules.map((r) => ruleStats.find((s) => s.name === r.name) ?? { name: r.name, matched: 0, fired: 0 }),
    });
  // Core starts the counters over whenever the set is replaced.
  const setRuleSet = (failFast: boolean, rules: Rule[]) => {
    settings = { ...settings, engine: { ...settings.engine, fail_fast: failFast, rules: structuredClone(rules) } };
    ruleStats = [];
    return rulesView();
  };
  if (params.has("release")) {
    settings.engine.release = {
      ...settings.engine.release,
      host: "smtp.example.com",
      allowed_domains: ["example.com"],
    };
  }
  /** Every release made in the preview, newest first, by message id. */
  const releases = new Map<number, Release[]>();
  let releaseSeq = 0;

  // With ?porterror the first address is taken; choosing another port clears it.
  const takenAddr = params.has("porterror") ? settings.engine.smtp_addr : null;
  // With ?apierror the API's first address is taken the same way.
  const takenApiAddr = params.has("apierror") ? settings.engine.http_addr : null;
  const apiServes = () => settings.engine.http_addr !== "" && settings.engine.http_addr !== takenApiAddr;
  const status = (): ServerStatus => ({
    listening: settings.engine.smtp_addr !== takenAddr,
    paused: false,
    smtp_addr: settings.engine.smtp_addr,
    smtps_addr: settings.engine.smtps_addr,
    error: settings.engine.smtp_addr === takenAddr ? `${settings.engine.smtp_addr} is already in use` : null,
    total: messages.length,
    unread: messages.filter((m) => !m.read).length,
    data_dir: DATA_DIR,
    listeners: [{ name: "staging", addr: "127.0.0.1:2626" }],
    api_url: apiServes() ? `http://${settings.engine.http_addr}` : null,
    api_error:
      settings.engine.http_addr !== "" && settings.engine.http_addr === takenApiAddr
        ? `${takenApiAddr} is already in use (is Mailpit or another Pigeonhole running?)`
        : null,
    // With ?damaged the store was damaged at start and a fresh one opened.
    damaged_store: params.has("damaged") ? `${DATA_DIR}/pigeonhole.sqlite3.damaged-20261202T004500Z` : null,
    // With ?diskfull the store has run out of space (the storage-full banner).
    storage_full: params.has("diskfull"),
    storage_error: params.has("diskfull") ? "database or disk is full" : null,
  });

  // Every kind of inbox, as core lists them: listeners only once mail came in on more than one.
  const inboxes = (): Inbox[] => {
    const map = new Map<string, Inbox>();
    const add = (m: MessageSummary, kind: InboxKind, key: string) => {
      const i = map.get(`${kind}\u0000${key}`) ?? { kind, key, total: 0, unread: 0 };
      i.total++;
      if (!m.read) i.unread++;
      map.set(`${kind}\u0000${key}`, i);
    };
    for (const m of messages) {
      for (const r of new Set(m.rcpt_to)) add(m, "recipient", r);
      if (m.auth_user) add(m, "user", m.auth_user);
      add(m, "listener", m.listener);
      for (const t of m.tags) add(m, "tag", t);
    }
    const all = [...map.values()].sort((a, b) => a.key.localeCompare(b.key));
    const listeners = all.filter((i) => i.kind === "listener").length;
    return all.filter((i) => i.kind !== "listener" || listeners > 1);
  };

  /** The messages a filter matches; throws core's query error for a malformed query. */
  const matching = (f: MessageFilter): MessageSummary[] => {
    const test = compileMockQuery(f.query);
    return messages.filter((m) => inInbox(m, f.inbox) && test(m));
  };

  /** Applies a change to messages and announces them as core does (message://updated). */
  const updated = (ids: number[], change: (m: MessageSummary) => void) => {
    const list = messages.filter((m) => ids.includes(m.id));
    list.forEach(change);
    void emit(CORE_EVENTS.MESSAGE_UPDATED, structuredClone(list));
  };

  const session = (id: number): SessionSummary => ({
    id,
    peer: `127.0.0.1:${50000 + id}`,
    local: settings.engine.smtp_addr,
    started_at: messages.find((m) => m.id === id)?.received_at ?? new Date().toISOString(),
    ended_at: messages.find((m) => m.id === id)?.received_at ?? null,
    helo: id % 4 === 0 ? "build-01.internal" : "app.local",
    tls: id % 2 === 0 ? { version: "TLSv1.3", cipher: "TLS13_AES_256_GCM_SHA384" } : null,
    auth: id % 3 === 0 ? { mechanism: "PLAIN", user: "app" } : null,
    message_count: 1,
    last_code: id % 11 === 0 ? 535 : 221,
    refusals: id % 11 === 0 ? 1 : 0,
    aborted_messages: 0,
    tls_failed: false,
    auth_failures: id % 11 === 0 ? 1 : 0,
    faults: id % 13 === 0 ? 1 : 0,
  });

  const detail = (id: number): MessageDetail => {
    const s = messages.find((m) => m.id === id);
    if (!s) throw commandError("not_found", `no message with id ${id}`);
    const html = `<!DOCTYPE html><html><head><style>
      body{font-family:Helvetica,Arial,sans-serif;background:#f4f5f7;margin:0;padding:24px}
      .card{max-width:560px;margin:0 auto;background:#fff;border-radius:8px;padding:28px;border:1px solid #e3e5ea}
      .btn{display:inline-block;background:#4f5bd5;color:#fff;padding:10px 18px;border-radius:6px;text-decoration:none}
      .hero{background:url(https://cdn.acme.test/hero.png);height:8px}
      </style></head><body><div class="card"><div class="hero"></div>
      <img src="https://cdn.acme.test/logo.png" width="120" alt="Acme">
      <h2 style="color:#111">${s.subject}</h2>
      <p>Hi Alice,</p><p>Thanks for signing up. Please confirm your email address to finish setting up your account.</p>
      <p><a class="btn" href="https://acme.test/confirm?token=abc123">Confirm email</a></p>
      <p style="color:#888;font-size:12px">If you did not sign up, ignore this message. <a href="javascript:alert(1)">x</a></p>
      <img src="https://t.acme.test/open.gif" width="1" height="1"><script>alert("xss")</script>
      </div></body></html>`;
    const text = `Hi Alice,\n\nThanks for signing up. Confirm your email: https://acme.test/confirm?token=abc123\n\n-- \nAcme`;
    return {
      summary: s,
      envelope: {
        mail_from: s.mail_from,
        mail_params: { SIZE: String(s.size), BODY: "8BITMIME" },
        rcpt_to: s.rcpt_to.map((address) => ({ address, params: {} })),
        bcc: s.rcpt_to.filter((r) => r === "audit@example.com"),
      },
      headers: [
        { name: "Received", raw: `from app.local (127.0.0.1) by pigeonhole; ${new Date(s.received_at).toUTCString()}`, decoded: `from app.local (127.0.0.1) by pigeonhole; ${new Date(s.received_at).toUTCString()}` },
        { name: "Received", raw: `from mta-out-07.acme.test (mta-out-07.acme.test [203.0.113.7]) by relay.example.net (Postfix) with ESMTPS id 4Xk2Qb1z9Pz1xnC for <${s.rcpt_to[0]}>; ${new Date(s.received_at).toUTCString()}`, decoded: `from mta-out-07.acme.test (mta-out-07.acme.test [203.0.113.7]) by relay.example.net (Postfix) with ESMTPS id 4Xk2Qb1z9Pz1xnC for <${s.rcpt_to[0]}>; ${new Date(s.received_at).toUTCString()}` },
        { name: "ARC-Message-Signature", raw: "i=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.test; s=arc-20240605; h=to:subject:message-id:date:from:mime-version:dkim-signature; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", decoded: "i=1; a=rsa-sha256; c=relaxed/relaxed; d=acme.test; s=arc-20240605; h=to:subject:message-id:date:from:mime-version:dkim-signature; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
        { name: "From", raw: `${s.from?.name ? `"${s.from.name}" ` : ""}<${s.mail_from}>`, decoded: `${s.from?.name ?? ""} <${s.mail_from}>` },
        { name: "To", raw: s.rcpt_to[0], decoded: s.rcpt_to[0] },
        { name: "Subject", raw: `=?UTF-8?Q?${encodeURIComponent(s.subject).replace(/%/g, "=")}?=`, decoded: s.subject },
        { name: "Message-ID", raw: `<${id}.mock@acme.test>`, decoded: `<${id}.mock@acme.test>` },
        { name: "MIME-Version", raw: "1.0", decoded: "1.0" },
        { name: "Content-Type", raw: 'multipart/mixed; boundary="b1"', decoded: 'multipart/mixed; boundary="b1"' },
      ],
      text,
      html,
      body: [{ kind: "body", part_id: "1.1", text, html, html_as_text: null }],
      inline_images: {},
      parts: {
        id: "1",
        content_type: "multipart/mixed",
        charset: null,
        filename: null,
        content_id: null,
        disposition: null,
        size: 0,
        children: [
          {
            id: "1.1",
            content_type: "multipart/alternative",
            charset: null,
            filename: null,
            content_id: null,
            disposition: null,
            size: 0,
            children: [
              { id: "1.1.1", content_type: "text/plain", charset: "utf-8", filename: null, content_id: null, disposition: null, size: 96, children: [] },
              { id: "1.1.2", content_type: "text/html", charset: "utf-8", filename: null, content_id: null, disposition: null, size: html.length, children: [] },
            ],
          },
          ...(s.has_attachments
            ? [{ id: "1.2", content_type: "application/pdf", charset: null, filename: `invoice-${1000 + id}.pdf`, content_id: null, disposition: "attachment", size: 48_213, children: [] }]
            : []),
        ],
      },
      attachments: s.has_attachments
        ? [{ part_id: "1.2", filename: `invoice-${1000 + id}.pdf`, content_type: "application/pdf", size: 48_213, content_id: null, inline: false }]
        : [],
      transcript_range: [3, 9],
      auth_user: session(id).auth?.user ?? null,
      releases: releases.get(id) ?? [],
      not_walked: null,
    };
  };

  const transcript = (id: number): Transcript => {
    const t0 = Date.parse(session(id).started_at);
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const s = messages.find((m) => m.id === id);
    return {
      session: session(id),
      lines: [
        { ts: at(0), dir: "info", text: `connection from 127.0.0.1:${50000 + id}` },
        { ts: at(1), dir: "out", text: "220 pigeonhole ESMTP ready" },
        { ts: at(3), dir: "in", text: "EHLO app.local" },
        { ts: at(4), dir: "out", text: "250-pigeonhole\n250-SIZE 26214400\n250-8BITMIME\n250-STARTTLS\n250 SMTPUTF8" },
        { ts: at(9), dir: "in", text: `MAIL FROM:<${s?.mail_from ?? ""}> SIZE=${s?.size ?? 0}` },
        { ts: at(10), dir: "out", text: "250 2.1.0 OK" },
        { ts: at(12), dir: "in", text: `RCPT TO:<${s?.rcpt_to[0] ?? ""}>` },
        { ts: at(13), dir: "out", text: "250 2.1.5 OK" },
        { ts: at(15), dir: "in", text: "DATA" },
        { ts: at(16), dir: "out", text: "354 Start mail input; end with <CRLF>.<CRLF>" },
        { ts: at(21), dir: "info", text: `[${s?.size ?? 0} bytes]` },
        ...(session(id).faults > 0
          ? [
              { ts: at(22), dir: "info" as const, text: 'rule "tempfail twice then accept" fired at end_of_data (occurrence 1): 451 4.3.0 try again later (1 of 2)' },
              { ts: at(23), dir: "out" as const, text: "451 4.3.0 Try again later" },
            ]
          : []),
        { ts: at(24), dir: "out", text: `250 2.0.0 OK queued as ${id}` },
        { ts: at(30), dir: "in", text: "QUIT" },
        { ts: at(31), dir: "out", text: "221 2.0.0 Bye" },
      ],
    };
  };

  mockIPC(
    (cmd, args: any) => {
      switch (cmd) {
        case "list_messages": {
          const q: ListQuery = args.query;
          const all = matching(q);
          // Copies, as the real IPC serialises: the UI must never share objects with the shell.
          return structuredClone({ total: all.length, offset: q.offset, messages: all.slice(q.offset, q.offset + q.limit) });
        }
        case "check_query":
          compileMockQuery(args.query);
          return null;
        case "count_messages": {
          const all = matching(args.filter);
          return { total: all.length, unread: all.filter((m) => !m.read).length };
        }
        case "mark_all_read": {
          const ids = matching(args.filter)
            .filter((m) => m.read !== args.read)
            .map((m) => m.id);
          for (const m of messages) if (ids.includes(m.id)) m.read = args.read;
          if (ids.length) void emit(CORE_EVENTS.MESSAGE_READ, { ids, read: args.read });
          return ids.length;
        }
        case "tag_messages": {
          const add: string[] = [];
          const remove: string[] = [];
          for (const [from, to] of [
            [args.add, add],
            [args.remove, remove],
          ] as [string[], string[]][]) {
            for (const t of from) {
              const n = normalizeTag(t);
              if (n === null) {
                throw commandError("invalid", `"${t}" is not a tag: a tag has 1-64 characters and no commas or control characters`);
              }
              to.push(n);
            }
          }
          updated(args.ids, (m) => {
            m.tags = [...new Set([...m.tags, ...add])].filter((t) => !remove.includes(t)).sort();
          });
          return null;
        }
        case "pin_messages":
          updated(args.ids, (m) => (m.pinned = args.pinned));
          return null;
        case "list_inboxes":
          return inboxes();
        case "get_message": {
          // As the shell does: an HTML body over LARGE_HTML bytes stays behind until asked.
          const d = structuredClone(detail(args.id));
          const size = new TextEncoder().encode(d.html ?? "").length;
          return size > LARGE_HTML ? { ...d, html: null, html_held_back: size } : { ...d, html_held_back: null };
        }
        case "get_message_html":
          return detail(args.id).html;
        case "get_lint": {
          const m = messages.find((x) => x.id === args.id);
          if (!m) throw { kind: "not_found", message: `no message with id ${args.id}` };
          return sampleLint(m);
        }
        case "check_html": {
          // MOCK ONLY: core scans the HTML against the bundled caniemail data.
          const d = detail(args.id);
          if (d.html === null) throw commandError("invalid", `message ${args.id} has no HTML body to check`);
          return mockHtmlCheck();
        }
        case "list_links": {
          // MOCK ONLY: core extracts and flags the links.
          const d = detail(args.id);
          const urls = [...(d.html ?? "").matchAll(/href="([^"]+)"/g)].map((m) => m[1]);
          return urls.map((url) => ({
            url,
            text: "",
            sources: ["html"],
            flags: url.startsWith("http:") ? ["insecure"] : [],
            shown_host: null,
          }));
        }
        case "check_links": {
          // MOCK ONLY: core requests each link; the preview requests nothing.
          const d = detail(args.id);
          const urls = [...(d.html ?? "").matchAll(/href="(https?:[^"]+)"/g)].map((m) => m[1]);
          return { errors: 0, links: urls.map((url) => ({ url, status_code: 200, status: "OK" })) };
        }
        case "get_raw": {
          const d = detail(args.id);
          return `${d.headers.map((h) => `${h.name}: ${h.raw}`).join("\r\n")}\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${d.text}\r\n--b1--\r\n`;
        }
        case "release_message": {
          // MOCK ONLY: core checks the allowlist; this imitates its answers for the preview.
          const d = detail(args.id);
          const to: string[] = args.request.to.length ? args.request.to : d.envelope.rcpt_to.map((r) => r.address);
          const allowed = settings.engine.release.allowed_domains;
          const refused = to.filter((a) => !allowed.includes(a.split("@").pop() ?? ""));
          if (refused.length) {
            throw commandError(
              "invalid",
              allowed.length
                ? `not on the release allowlist: ${refused.join(", ")}; add their domains to release.allowed_domains to allow them`
                : `nothing is released while release.allowed_domains is empty; add a domain to it to release to ${refused.join(", ")}`,
            );
          }
          const server = args.request.server ?? settings.engine.release;
          const nobody = to.find((a) => a.startsWith("nobody@"));
          const r: Release = {
            id: ++releaseSeq,
            message_id: args.id,
            at: new Date().toISOString(),
            server: `${server.host}:${server.port}`,
            tls: server.tls,
            mail_from: args.request.from ?? d.envelope.mail_from,
            recipients: to,
            ok: !nobody,
            stage: nobody ? "rcpt" : "message",
            recipient: nobody ?? null,
            code: nobody ? 550 : 250,
            enhanced_code: nobody ? "5.1.1" : "2.0.0",
            text: nobody ? `<${nobody}>: Recipient address rejected: User unknown` : `Ok: queued as ${releaseSeq + 4810}`,
          };
          releases.set(args.id, [r, ...(releases.get(args.id) ?? [])]);
          return structuredClone(r);
        }
        case "mark_read":
          for (const m of messages) if (args.ids.includes(m.id)) m.read = args.read;
          void emit(CORE_EVENTS.MESSAGE_READ, { ids: args.ids, read: args.read });
          return null;
        case "delete_messages":
          for (const id of args.ids) {
            const i = messages.findIndex((m) => m.id === id);
            if (i >= 0) messages.splice(i, 1);
          }
          void emit(CORE_EVENTS.MESSAGE_DELETED, args.ids);
          return null;
        case "clear_all": {
          // Pinned messages are kept.
          const kept = messages.filter((m) => m.pinned);
          messages.length = 0;
          messages.push(...kept);
          void emit(CORE_EVENTS.MESSAGE_CLEARED, null);
          return null;
        }
        case "list_sessions":
          return messages
            .map((m) => session(m.id))
            .filter((x) => args.filter?.show !== "errors" || x.refusals > 0)
            .filter((x) => !args.filter?.peer || x.peer.includes(args.filter.peer))
            .slice(args.offset, args.offset + args.limit);
        case "get_transcript":
          return transcript(args.sessionId);
        case "save_message":
          return `/home/dev/Downloads/message-${args.id}.eml`;
        case "import_paths": {
          // Each .eml path becomes a message filed under the listener "import"; anything
          // else is reported as a problem, as core would for a file that is not mail.
          const paths: string[] = args.paths;
          const ids: number[] = [];
          const problems = [];
          for (const p of paths) {
            if (!/\.(eml|mbox)$/i.test(p)) {
              problems.push({ source: p, index: null, offset: null, reason: "it does not start with a header field (\"Name: value\"), so it is not a message" });
              continue;
            }
            const id = Math.max(0, ...messages.map((m) => m.id)) + 1;
            const m = { ...sample(id, new Date(), false), listener: "import", session_id: -1, subject: p.split("/").pop() ?? p };
            messages.unshift(m);
            ids.push(id);
            void emit(CORE_EVENTS.MESSAGE_NEW, [m]);
          }
          return { imported: ids.length, ids, problems, session_id: -1 };
        }
        case "export_messages": {
          const n = args.ids.length || messages.length;
          const where = args.format === "mbox" ? "/home/dev/Downloads/pigeonhole.mbox" : "/home/dev/Downloads/export";
          return { exported: n, bytes: n * 2400, path: where };
        }
        case "save_attachment":
          return `/home/dev/Downloads/attachment-${args.partId}`;
        case "open_attachment":
        case "open_link":
          console.info(cmd, args);
          return null;
        case "get_settings":
          return structuredClone(settings);
        case "save_settings": {
          const s: DesktopSettings = args.settings;
          if (params.has("fielderror")) return Promise.reject(SAMPLE_FIELD_ERRORS);
          // The store's directory is not the window's to change.
          settings = { ...s, engine: { ...s.engine, data_dir: DATA_DIR } };
          return structuredClone(settings);
        }
        case "get_rules":
          return rulesView();
        case "set_rules":
          if (params.has("ruleerror")) return Promise.reject(SAMPLE_RULE_ERRORS);
          return setRuleSet(args.set.fail_fast ?? settings.engine.fail_fast, args.set.rules ?? []);
        case "clear_rules":
          return setRuleSet(false, []);
        case "reset_rule_counters":
          ruleStats = [];
          return rulesView();
        case "server_status":
        case "retry_listen":
          return status();
        case "set_paused":
          return { ...status(), paused: args.paused };
        default:
          return Promise.reject(commandError("unavailable", `mock backend: unknown command ${cmd}`));
      }
    },
    { shouldMockEvents: true },
  );

  // Screenshot helpers: ?open=ID opens a message, ?page=settings shows settings.
  const open = params.get("open");
  if (open) setTimeout(() => void emit(DESKTOP_EVENTS.OPEN_MESSAGE, Number(open)), 400);
  // ?release (with ?open) opens the Release dialog.
  if (open && params.has("release")) {
    setTimeout(() => document.querySelector<HTMLElement>('[data-testid="release-button"]')?.click(), 900);
  }
  // ?tab=headers (with ?open) shows that tab of the open message.
  const tab = params.get("tab");
  if (tab) setTimeout(() => document.querySelector<HTMLElement>(`[data-testid="tab-${tab}"]`)?.click(), 900);
  if (params.get("page") === "settings") setTimeout(() => void emit(DESKTOP_EVENTS.NAVIGATE, "settings"), 400);
  const page = params.get("page");
  if (page === "faults" || page === "sessions") {
    setTimeout(() => document.querySelector<HTMLElement>(`[data-testid="nav-${page}"]`)?.click(), 400);
  }
  // ?q=from:( types a query into the search box (to see how an error is shown).
  const q = params.get("q");
  if (q !== null) {
    setTimeout(() => {
      const box = document.querySelector<HTMLInputElement>('[data-testid="search-input"]');
      if (!box) return;
      box.value = q;
      box.dispatchEvent(new Event("input", { bubbles: true }));
    }, 600);
  }
  if (params.has("searchhelp")) {
    setTimeout(() => document.querySelector<HTMLElement>('[data-testid="search-help-button"]')?.click(), 600);
  }
  // ?live=5: a message every 5 s, announced as core does (new, then indexed).
  const live = Number(params.get("live") ?? 0);
  if (live > 0) {
    setInterval(() => {
      const id = Math.max(0, ...messages.map((x) => x.id)) + 1;
      const m = sample(id, new Date(), false);
      messages.unshift(m);
      void emit(CORE_EVENTS.MESSAGE_NEW, [structuredClone(m)]);
      setTimeout(() => void emit(CORE_EVENTS.MESSAGE_INDEXED, [id]), 100);
    }, live * 1000);
  }
}

/** A small HTML check for the preview: one feature with clients that lack it. */
function mockHtmlCheck() {
  return {
    features: [
      {
        slug: "css-display-flex",
        title: "display:flex",
        description: "",
        url: "https://www.caniemail.com/features/css-display-flex/",
        category: "css",
        tags: [],
        found: 1,
        score: { supported: 70, partial: 10, unsupported: 20 },
        unsupported_clients: 2,
        partial_clients: 1,
        results: [
          { name: "Outlook Windows (2019)", family: "outlook", platform: "windows", version: "2019", support: "no", notes: [], latest: true },
          { name: "Gmail iOS (2026-03)", family: "gmail", platform: "ios", version: "2026-03", support: "partial", notes: ["1"], latest: true },
        ],
        notes: { "1": "Not supported with Non Google Accounts." },
      },
    ],
    total: { tests: 308, nodes: 12, supported: 80, partial: 1.67, unsupported: 18.33 },
    platforms: { windows: ["Outlook"], ios: ["Gmail"] },
    data_version: "mock",
  };
}
