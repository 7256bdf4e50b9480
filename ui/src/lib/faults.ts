// The Faults view's form and words: a rule as typed (every box a string), the rule sent to
// the shell, presets for the common cases, and a one-line summary. Nothing here checks a
// rule: core does, and names the rule and the field of each problem.

import type { Action, CounterScope, Rule, Stage } from "./types";

/** Stages in the order a session meets them (core's `Stage::ALL`), with their words. */
export const STAGES: readonly [Stage, string][] = [
  ["connect", "connect (before the greeting)"],
  ["helo", "HELO / EHLO"],
  ["auth", "AUTH"],
  ["starttls", "STARTTLS"],
  ["mail", "MAIL FROM"],
  ["rcpt", "RCPT TO"],
  ["data", "DATA (before 354)"],
  ["bdat", "BDAT"],
  ["end_of_data", "end of data (the whole message)"],
  ["rset", "RSET"],
  ["other", "NOOP, VRFY and others"],
  ["quit", "QUIT"],
];

export const ACTIONS: readonly [Action, string][] = [
  ["reply", "reply with a code"],
  ["delay", "delay, then answer as normal"],
  ["throttle", "throttle to bytes/s"],
  ["drop", "drop the connection"],
  ["drop_mid_reply", "cut the reply in half, then drop"],
  ["fail_tls", "fail the TLS handshake"],
  ["discard", "accept but store nothing"],
  ["tempfail", "tempfail N tries, then accept"],
];

export const SCOPES: readonly [CounterScope, string][] = [
  ["rule", "the whole server"],
  ["listener", "each listener"],
  ["client", "each client IP"],
];

/** A rule as the form holds it: every box is text, empty means "not given". */
export interface Draft {
  name: string;
  enabled: boolean;
  stage: Stage | "";
  action: Action;
  address: string;
  helo: string;
  auth_user: string;
  client: string;
  listener: string;
  nth: string;
  every: string;
  first: string;
  per: CounterScope;
  probability: string;
  seed: string;
  code: string;
  enhanced: string;
  text: string;
  delay_ms: string;
  bytes_per_second: string;
  attempts: string;
  close: boolean;
}

const TEXT_FIELDS = ["address", "helo", "auth_user", "client", "listener", "enhanced", "text"] as const;
const NUMBER_FIELDS = ["nth", "every", "first", "probability", "seed", "code", "delay_ms", "bytes_per_second", "attempts"] as const;
/** The form's free-text boxes (numbers are typed as text too). */
export type TextKey = (typeof TEXT_FIELDS)[number] | (typeof NUMBER_FIELDS)[number];

export function emptyDraft(): Draft {
  return {
    name: "",
    enabled: true,
    stage: "rcpt",
    action: "reply",
    address: "",
    helo: "",
    auth_user: "",
    client: "",
    listener: "",
    nth: "",
    every: "",
    first: "",
    per: "rule",
    probability: "",
    seed: "",
    code: "",
    enhanced: "",
    text: "",
    delay_ms: "",
    bytes_per_second: "",
    attempts: "",
    close: false,
  };
}

export function draftOf(rule: Rule): Draft {
  const d = emptyDraft();
  d.name = rule.name;
  d.enabled = rule.enabled;
  d.stage = rule.stage ?? "";
  d.action = rule.action;
  d.per = rule.per;
  d.close = rule.close;
  for (const f of TEXT_FIELDS) d[f] = rule[f] ?? "";
  for (const f of NUMBER_FIELDS) d[f] = rule[f] === undefined || rule[f] === null ? "" : String(rule[f]);
  return d;
}

/**
 * The rule to send. A number box that is not a number is sent as typed, so core reports it
 * by rule and field rather than the window guessing.
 */
export function ruleOf(d: Draft): Rule {
  const rule: Record<string, unknown> = {
    name: d.name.trim(),
    enabled: d.enabled,
    action: d.action,
    per: d.per,
    close: d.close,
  };
  if (d.stage) rule.stage = d.stage;
  for (const f of TEXT_FIELDS) {
    const v = f === "text" ? d[f] : d[f].trim();
    if (v.trim() !== "") rule[f] = v;
  }
  for (const f of NUMBER_FIELDS) {
    const v = d[f].trim();
    if (v === "") continue;
    const n = Number(v);
    rule[f] = Number.isFinite(n) ? n : v;
  }
  return rule as unknown as Rule;
}

export interface Preset {
  label: string;
  rule: Rule;
}

const base = (name: string, action: Action, over: Partial<Rule>): Rule => ({
  name,
  enabled: true,
  action,
  per: "rule",
  close: false,
  ...over,
});

/** The common cases, one click away; each fills the form, which is saved as usual. */
export const PRESETS: readonly Preset[] = [
  {
    label: "452 on the 2nd RCPT",
    rule: base("452 on the 2nd RCPT", "reply", { stage: "rcpt", nth: 2, code: 452, enhanced: "4.5.3", text: "Too many recipients" }),
  },
  {
    label: "421 after DATA",
    rule: base("421 after DATA", "reply", { stage: "end_of_data", code: 421, enhanced: "4.3.2", text: "Service shutting down", close: true }),
  },
  {
    label: "550 for nobody@*",
    rule: base("550 for nobody@*", "reply", { stage: "rcpt", address: "nobody@*", code: 550, enhanced: "5.1.1", text: "No such user" }),
  },
  {
    label: "Slow server 5 s",
    rule: base("slow server 5 s", "delay", { stage: "helo", delay_ms: 5000 }),
  },
  {
    label: "Tempfail twice, then accept",
    rule: base("tempfail twice then accept", "tempfail", { stage: "end_of_data", attempts: 2 }),
  },
  {
    label: "Drop 10% of connections",
    rule: base("drop 10% of connections", "drop", { stage: "connect", probability: 0.1, seed: 1 }),
  },
];

/** A name not yet in `taken`: `name`, else `name (2)`, `name (3)`... */
export function uniqueName(name: string, taken: readonly string[]): string {
  if (!taken.includes(name)) return name;
  for (let i = 2; ; i++) if (!taken.includes(`${name} (${i})`)) return `${name} (${i})`;
}

const STAGE_WORDS = Object.fromEntries(STAGES.map(([s]) => [s, s.replace(/_/g, " ")]));

/** One line saying what the rule does: "at rcpt, address nobody@*, 2nd → reply 550 5.1.1". */
export function summary(r: Rule): string {
  const when: string[] = [r.stage ? `at ${STAGE_WORDS[r.stage]}` : "at every stage"];
  for (const f of ["address", "helo", "auth_user", "client", "listener"] as const) {
    if (r[f]) when.push(`${f.replace("_", " ")} ${r[f]}`);
  }
  if (r.nth) when.push(`only the ${ordinal(r.nth)}`);
  if (r.every) when.push(`every ${ordinal(r.every)}`);
  if (r.first) when.push(`the first ${r.first}`);
  if ((r.nth || r.every || r.first) && r.per !== "rule") when.push(`per ${r.per}`);
  if (r.probability !== undefined && r.probability !== null) {
    when.push(`${Math.round(r.probability * 1000) / 10}%${r.seed !== undefined ? ` (seed ${r.seed})` : ""}`);
  }
  let then: string = r.action.replace(/_/g, " ");
  if (r.action === "reply") then = `reply ${[r.code, r.enhanced, r.text].filter((x) => x !== undefined && x !== "").join(" ")}`;
  if (r.action === "tempfail") then = `tempfail ${r.attempts ?? "?"}× ${r.code ?? 451}, then accept`;
  if (r.action === "throttle") then = `throttle to ${r.bytes_per_second ?? "?"} B/s`;
  if (r.delay_ms) then = r.action === "delay" ? `delay ${seconds(r.delay_ms)}` : `${then} after ${seconds(r.delay_ms)}`;
  if (r.close && r.action === "reply") then += ", then close";
  return `${when.join(", ")} → ${then}`;
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ["th", "st", "nd", "rd"][n % 10] ?? "th";
  return `${n}${suffix}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/**
 * The form field a problem is about, from core's `rules[2] "name": field: message` (also
 * `rules[2]: field: message` for a rule without a name); null when it names none.
 */
export function problemField(message: string): string | null {
  const m = /^rules\[\d+\](?: "(?:[^"\\]|\\.)*")?: ([a-z_]+):/.exec(message);
  return m ? m[1] : null;
}

/** The index of the rule a problem is about, or null. */
export function problemIndex(message: string): number | null {
  const m = /^rules\[(\d+)\]/.exec(message);
  return m ? Number(m[1]) : null;
}

/** A transcript line written when a rule fired: `rule "NAME" fired at STAGE (occurrence N): ...`. */
export function isRuleFired(text: string): boolean {
  return /^rule ".*" fired at /.test(text);
}
