// The real npm `mailpit-api` client (2.1.0, unchanged) against `pigeonhole serve --http`:
// proof that Pigeonhole's HTTP API is a drop-in for Mailpit's v1 API (paths, parameters,
// JSON shapes, status codes) for anyone whose tests already use that client.
//
// Run: `npm run test:api` at the repo root, after a release build. PIGEONHOLE_BIN overrides
// the binary (default target/release/pigeonhole).
//
// The tests run in order and share one server and one mailbox: each builds on the state the
// previous ones left (what was sent, read, tagged, deleted).

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

import { MailpitClient } from "mailpit-api";
import nodemailer from "nodemailer";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = resolve(ROOT, process.env.PIGEONHOLE_BIN || "target/release/pigeonhole");
const START_TIMEOUT_MS = 20_000;

// What is sent, and what is expected back.
const PDF = Buffer.from("%PDF-1.4\n% pigeonhole mailpit-api test\n%%EOF\n");
const PLAIN = {
  from: '"Alice Sender" <alice@example.test>',
  to: '"Bob Receiver" <bob@example.test>',
  subject: "Plain hello",
  text: "Just a plain text body from Alice.",
};
const RICH = {
  from: '"Alice Sender" <alice@example.test>',
  to: '"Bob Receiver" <bob@example.test>',
  cc: '"Carol Copy" <carol@example.test>',
  replyTo: '"Replies Desk" <replies@example.test>',
  subject: "Quarterly report",
  text: "The quarterly numbers are attached.",
  html: "<p>The <b>quarterly</b> numbers are attached.</p>",
  attachments: [{ filename: "report.pdf", content: PDF, contentType: "application/pdf" }],
};
const TAGGED = {
  from: '"Tagger" <tagger@example.test>',
  to: "dave@example.test",
  subject: "Tagged mail",
  text: "This one carries tags in a header.",
  headers: { "X-Tags": "alpha, beta" },
};
const LATE = {
  from: "late@example.test",
  to: "bob@example.test",
  subject: "late arrival",
  text: "I was sent after the wait began.",
};
const API_TEXT = Buffer.from("attached over the send API\n");

let server; // { child, dir, smtp: {host, port}, http, logs() }
let client;
// A second server the first releases to, as a real SMTP server would be.
let remote;
let remoteClient;
const sent = {}; // name -> nodemailer info
const ids = {}; // name -> Mailpit ID

// ---- helpers ------------------------------------------------------------------------------

function hostPort(addr) {
  const i = addr.lastIndexOf(":");
  return { host: addr.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(addr.slice(i + 1)) };
}

async function startServer(extraArgs = []) {
  const dir = await mkdtemp(join(tmpdir(), "pigeonhole-mailpit-api-"));
  // Nothing from the caller's environment may reconfigure the server under test.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith("PIGEONHOLE_")),
  );
  const args = ["serve", "--data-dir", dir, "--smtp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--print-ports", ...extraArgs];
  const child = spawn(BIN, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  const log = [];
  const logs = () => log.slice(-40).join("\n");
  createInterface({ input: child.stderr }).on("line", (line) => log.push(`stderr: ${line}`));

  const ports = await new Promise((resolvePorts, reject) => {
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolvePorts(value);
    };
    const timer = setTimeout(() => {
      finish(new Error(`${BIN} ${args.join(" ")} printed no {"smtp","http"} JSON line within ${START_TIMEOUT_MS / 1000} s\n${logs()}`));
    }, START_TIMEOUT_MS);
    child.on("error", (err) =>
      finish(new Error(`cannot start ${BIN} (${err.message}); build it with cargo build --release, or set PIGEONHOLE_BIN`)),
    );
    // "close", not "exit": by then all it printed has been read, so the message can show it.
    child.on("close", (code, signal) =>
      finish(new Error(`${BIN} exited (code ${code}, signal ${signal}) before printing its ports\n${logs()}`)),
    );
    createInterface({ input: child.stdout }).on("line", (line) => {
      log.push(`stdout: ${line}`);
      if (done) return;
      let parsed;
      try {
        parsed = JSON.parse(line);
      } catch {
        return;
      }
      if (parsed && typeof parsed === "object" && typeof parsed.http === "string") finish(null, parsed);
    });
  }).catch(async (err) => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
    throw err;
  });

  assert.equal(typeof ports.smtp, "string", `--print-ports gave no smtp address: ${JSON.stringify(ports)}`);
  return { child, dir, smtp: hostPort(ports.smtp), http: ports.http, logs };
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  let timer;
  const killed = await Promise.race([
    exited.then(() => false),
    new Promise((r) => (timer = setTimeout(() => r(true), 5_000))),
  ]);
  clearTimeout(timer);
  if (killed) {
    child.kill("SIGKILL");
    await exited;
  }
  // Whatever it left behind holding its pipes must not keep this process alive.
  child.stdout?.destroy();
  child.stderr?.destroy();
}

async function send(mail) {
  const transport = nodemailer.createTransport({
    host: server.smtp.host,
    port: server.smtp.port,
    secure: false,
    ignoreTLS: true,
  });
  try {
    const info = await transport.sendMail(mail);
    assert.equal(info.rejected.length, 0, `rejected: ${info.rejected}`);
    return info;
  } finally {
    transport.close();
  }
}

/** Lowercased and sorted: Pigeonhole keeps tags lowercase, Mailpit keeps the case given. */
const norm = (tags) => [...tags].map((t) => t.toLowerCase()).sort();

/** Mailpit's MessageID is the Message-ID header without its angle brackets. */
const bare = (messageId) => messageId.replace(/^<|>$/g, "");

function assertAddress(actual, address, name, what) {
  assert.equal(typeof actual, "object", `${what} is an {Address, Name} object`);
  assert.equal(actual.Address, address, `${what}.Address`);
  assert.equal(actual.Name, name, `${what}.Name`);
}

function assertAddressList(list, expected, what) {
  assert.ok(Array.isArray(list), `${what} is an array (never null): ${JSON.stringify(list)}`);
  assert.deepEqual(
    list.map((a) => ({ Address: a.Address, Name: a.Name })),
    expected.map(([Address, Name]) => ({ Address, Name })),
    what,
  );
}

function byId(list, id) {
  const m = list.messages.find((x) => x.ID === id);
  assert.ok(m, `message ${id} is listed: ${JSON.stringify(list.messages.map((x) => x.ID))}`);
  return m;
}

/** The client rejects with "Mailpit API Error: <status> <text> at <method> <url>: <body>". */
async function rejectsWith(promise, status, what, body) {
  await assert.rejects(promise, (err) => {
    assert.match(err.message, new RegExp(`Mailpit API Error: ${status}\\b`), `${what}: ${err.message}`);
    if (body) assert.match(err.message.replace(/^[^]*? at \S+ \S+: /, ""), body, `${what}: body of ${err.message}`);
    return true;
  });
}

/** The search index fills just after the SMTP reply; wait (with the client's own poller). */
async function indexed(query, count) {
  await client.waitForMessages({ query, count, exact: true }, { timeout: 10_000, interval: 100 });
}

function checksums(buf) {
  const h = (alg) => createHash(alg).update(buf).digest("hex");
  return { MD5: h("md5"), SHA1: h("sha1"), SHA256: h("sha256") };
}

// ---- lifecycle ----------------------------------------------------------------------------

before(async () => {
  remote = await startServer();
  remoteClient = new MailpitClient("http://" + remote.http);
  const to = `${remote.smtp.host}:${remote.smtp.port}`;
  server = await startServer(["--release-server", to, "--release-tls", "none", "--release-allow", "example.test"]);
  client = new MailpitClient("http://" + server.http);
});

after(async () => {
  for (const s of [server, remote]) {
    if (!s) continue;
    await stopChild(s.child);
    await rm(s.dir, { recursive: true, force: true });
  }
});

// ---- the tests, in order ------------------------------------------------------------------

test("getInfo on an empty mailbox", async () => {
  const info = await client.getInfo();
  assert.equal(typeof info.Version, "string");
  assert.ok(info.Version.length > 0, "Version is not empty");
  assert.equal(info.Messages, 0);
  assert.equal(info.Unread, 0);
  assert.equal(typeof info.Tags, "object");
  assert.ok(info.Tags !== null && !Array.isArray(info.Tags), `Tags is an object: ${JSON.stringify(info.Tags)}`);
  assert.deepEqual(Object.keys(info.Tags), []);
  assert.equal(typeof info.Database, "string");
  assert.ok(info.Database.length > 0, "Database is not empty");
});

test("getConfiguration (the web UI settings)", async () => {
  const config = await client.getConfiguration();
  assert.equal(typeof config, "object");
  assert.equal(typeof config.Label, "string");
  assert.equal(typeof config.MessageRelay, "object");
  assert.ok(config.MessageRelay !== null, "MessageRelay is an object, not null");
  assert.equal(typeof config.MessageRelay.Enabled, "boolean");
  assert.equal(config.SpamAssassin, false);
  assert.equal(typeof config.ChaosEnabled, "boolean");
});

test("three messages over SMTP are listed newest first with Mailpit's fields", async (t) => {
  sent.plain = await send(PLAIN);
  sent.rich = await send(RICH);
  sent.tagged = await send(TAGGED);

  const list = await client.listMessages();
  ids.plain = list.messages.find((m) => m.Subject === PLAIN.subject)?.ID;
  ids.rich = list.messages.find((m) => m.Subject === RICH.subject)?.ID;
  ids.tagged = list.messages.find((m) => m.Subject === TAGGED.subject)?.ID;

  await t.test("counts", () => {
    assert.equal(list.messages_count, 3);
    assert.equal(list.messages_unread, 3);
    assert.equal(list.total, 3);
    assert.equal(list.unread, 3);
    assert.equal(list.start, 0);
    assert.equal(list.messages.length, 3);
    assert.ok(Array.isArray(list.tags), "tags is an array");
    assert.deepEqual(norm(list.tags), ["alpha", "beta"]);
  });

  await t.test("newest first", () => {
    assert.deepEqual(
      list.messages.map((m) => m.Subject),
      [TAGGED.subject, RICH.subject, PLAIN.subject],
    );
    const created = list.messages.map((m) => Date.parse(m.Created));
    assert.ok(created[0] >= created[1] && created[1] >= created[2], `Created descending: ${created}`);
  });

  await t.test("every item has the summary shape", () => {
    for (const m of list.messages) {
      assert.equal(typeof m.ID, "string", `ID is a string: ${JSON.stringify(m.ID)}`);
      assert.ok(m.ID.length > 0);
      assert.equal(typeof m.MessageID, "string");
      assert.equal(typeof m.From, "object");
      assert.ok(Array.isArray(m.To), "To is an array");
      assert.ok(Array.isArray(m.Cc), "Cc is an array");
      assert.ok(Array.isArray(m.Bcc), "Bcc is an array");
      assert.ok(Array.isArray(m.ReplyTo), "ReplyTo is an array");
      assert.equal(typeof m.Subject, "string");
      assert.equal(typeof m.Created, "string");
      const created = Date.parse(m.Created);
      assert.ok(!Number.isNaN(created), `Created parses as a date: ${m.Created}`);
      assert.ok(Math.abs(Date.now() - created) < 5 * 60_000, `Created is about now: ${m.Created}`);
      assert.equal(typeof m.Size, "number");
      assert.ok(m.Size > 0, `Size > 0: ${m.Size}`);
      assert.equal(typeof m.Attachments, "number");
      assert.equal(typeof m.Snippet, "string");
      assert.equal(m.Read, false);
      assert.ok(Array.isArray(m.Tags), "Tags is an array");
    }
  });

  await t.test("the plain message", () => {
    const m = byId(list, ids.plain);
    assert.equal(m.MessageID, bare(sent.plain.messageId));
    assertAddress(m.From, "alice@example.test", "Alice Sender", "From");
    assertAddressList(m.To, [["bob@example.test", "Bob Receiver"]], "To");
    assertAddressList(m.Cc, [], "Cc");
    assert.equal(m.Attachments, 0);
    assert.ok(m.Snippet.startsWith("Just a plain text body"), `Snippet: ${JSON.stringify(m.Snippet)}`);
    assert.deepEqual(m.Tags, []);
  });

  await t.test("the multipart message with Cc, Reply-To and an attachment", () => {
    const m = byId(list, ids.rich);
    assert.equal(m.MessageID, bare(sent.rich.messageId));
    assertAddressList(m.Cc, [["carol@example.test", "Carol Copy"]], "Cc");
    assertAddressList(m.ReplyTo, [["replies@example.test", "Replies Desk"]], "ReplyTo");
    assert.equal(m.Attachments, 1);
    assert.ok(m.Snippet.includes("quarterly numbers"), `Snippet: ${JSON.stringify(m.Snippet)}`);
    assert.ok(m.Size > PDF.length, `Size counts the whole message: ${m.Size}`);
  });

  await t.test("the X-Tags message", () => {
    const m = byId(list, ids.tagged);
    assertAddress(m.From, "tagger@example.test", "Tagger", "From");
    assertAddressList(m.To, [["dave@example.test", ""]], "To");
    assert.deepEqual(norm(m.Tags), ["alpha", "beta"]);
  });

  await t.test("pagination: listMessages(0, 2) and (2, 2)", async () => {
    const first = await client.listMessages(0, 2);
    assert.equal(first.messages.length, 2);
    assert.equal(first.start, 0);
    assert.equal(first.messages_count, 3, "messages_count is every match, not the page");
    assert.deepEqual(first.messages.map((m) => m.ID), [ids.tagged, ids.rich]);
    const second = await client.listMessages(2, 2);
    assert.equal(second.start, 2);
    assert.deepEqual(second.messages.map((m) => m.ID), [ids.plain]);
  });

  await t.test("getInfo counts them", async () => {
    const info = await client.getInfo();
    assert.equal(info.Messages, 3);
    assert.equal(info.Unread, 3);
    const tags = Object.fromEntries(Object.entries(info.Tags).map(([k, v]) => [k.toLowerCase(), v]));
    assert.deepEqual(tags, { alpha: 1, beta: 1 });
  });
});

test("searchMessages", async (t) => {
  await indexed("subject:Tagged", 1);

  await t.test("subject: finds exactly the one", async () => {
    const r = await client.searchMessages({ query: "subject:Quarterly" });
    assert.equal(r.messages_count, 1);
    assert.equal(r.messages.length, 1);
    assert.equal(r.messages[0].ID, ids.rich);
    assert.equal(r.messages[0].Subject, RICH.subject);
    assert.equal(r.total, 3, "total is the whole mailbox");
    assert.equal(r.start, 0);
  });

  await t.test("tz applies to after:/before:", async () => {
    const all = await client.searchMessages({ query: "after:2000-01-01", tz: "Pacific/Auckland" });
    assert.equal(all.messages_count, 3);
    const none = await client.searchMessages({ query: "before:2000-01-01", tz: "Pacific/Auckland" });
    assert.equal(none.messages_count, 0);
    assert.deepEqual(none.messages, []);
  });

  await t.test("a bad query is a 400", async () => {
    await rejectsWith(client.searchMessages({ query: 'subject:"unterminated' }), 400, "bad query");
  });
});

test("getMessageSummary", async (t) => {
  await t.test("no id means latest", async () => {
    const m = await client.getMessageSummary();
    assert.equal(m.ID, ids.tagged);
    assert.equal(m.Subject, TAGGED.subject);
    assert.deepEqual(norm(m.Tags), ["alpha", "beta"]);
  });

  await t.test("the full message by id", async () => {
    const m = await client.getMessageSummary(ids.rich);
    assert.equal(m.ID, ids.rich);
    assert.equal(m.MessageID, bare(sent.rich.messageId));
    assert.equal(m.Subject, RICH.subject);
    assertAddress(m.From, "alice@example.test", "Alice Sender", "From");
    assertAddressList(m.To, [["bob@example.test", "Bob Receiver"]], "To");
    assertAddressList(m.Cc, [["carol@example.test", "Carol Copy"]], "Cc");
    assertAddressList(m.Bcc, [], "Bcc");
    assertAddressList(m.ReplyTo, [["replies@example.test", "Replies Desk"]], "ReplyTo");
    assert.equal(typeof m.ReturnPath, "string");
    assert.equal(m.Text.trim(), RICH.text);
    assert.ok(m.HTML.includes(RICH.html), `HTML: ${JSON.stringify(m.HTML)}`);
    assert.equal(typeof m.Date, "string");
    const date = Date.parse(m.Date);
    assert.ok(!Number.isNaN(date), `Date parses: ${m.Date}`);
    assert.ok(Math.abs(Date.now() - date) < 5 * 60_000, `Date is about now: ${m.Date}`);
    assert.equal(typeof m.Size, "number");
    assert.ok(m.Size > PDF.length);
    assert.ok(Array.isArray(m.Tags), "Tags is an array");
    assert.ok(Array.isArray(m.Inline), "Inline is an array");
    assert.deepEqual(m.Inline, []);
    assert.equal(typeof m.ListUnsubscribe, "object", "ListUnsubscribe is an object");

    assert.ok(Array.isArray(m.Attachments), "Attachments is an array");
    assert.equal(m.Attachments.length, 1);
    const a = m.Attachments[0];
    assert.equal(a.FileName, "report.pdf");
    assert.ok(a.ContentType.startsWith("application/pdf"), `ContentType: ${a.ContentType}`);
    assert.equal(typeof a.PartID, "string");
    assert.ok(a.PartID.length > 0, "PartID is not empty");
    assert.equal(a.Size, PDF.length, "Size is the decoded size");
    assert.equal(typeof a.ContentID, "string");
    assert.deepEqual(a.Checksums, checksums(PDF));
  });

  await t.test("a plain text message has an empty HTML", async () => {
    const m = await client.getMessageSummary(ids.plain);
    assert.equal(m.Text.trim(), PLAIN.text);
    assert.equal(m.HTML, "");
    assert.deepEqual(m.Attachments, []);
  });

  await t.test("fetching a summary marks it read", async () => {
    const list = await client.listMessages();
    assert.equal(byId(list, ids.rich).Read, true, "the one fetched by id");
    assert.equal(byId(list, ids.tagged).Read, true, "the one fetched as latest");
    assert.equal(byId(list, ids.plain).Read, true, "the plain one");
    assert.equal(list.unread, 0);
  });
});

test("getMessageHeaders", async () => {
  const h = await client.getMessageHeaders(ids.rich);
  assert.equal(typeof h, "object");
  for (const [name, values] of Object.entries(h)) {
    assert.ok(Array.isArray(values), `${name} is an array: ${JSON.stringify(values)}`);
    for (const v of values) assert.equal(typeof v, "string", `${name} values are strings`);
  }
  assert.deepEqual(h.Subject, [RICH.subject]);
  const get = (name) => Object.entries(h).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  assert.deepEqual(get("Message-ID"), [sent.rich.messageId]);
  assert.deepEqual(h["Message-Id"], [sent.rich.messageId], "names in Go's canonical form, as Mailpit gives them");
  assert.ok(get("Cc")?.[0]?.includes("carol@example.test"), `Cc: ${JSON.stringify(get("Cc"))}`);
  assert.ok(get("Content-Type")?.[0]?.startsWith("multipart/"), `Content-Type: ${JSON.stringify(get("Content-Type"))}`);
  const latest = await client.getMessageHeaders();
  assert.deepEqual(latest.Subject, [TAGGED.subject], "no id means latest");
});

test("getMessageSource", async () => {
  const raw = await client.getMessageSource(ids.rich);
  assert.equal(typeof raw, "string");
  assert.match(raw, /^Subject: Quarterly report\r?$/m);
  assert.ok(raw.includes(sent.rich.messageId), `the source has the Message-ID ${sent.rich.messageId}`);
  assert.ok(raw.includes(RICH.text), "the source has the text body");
  const plain = await client.getMessageSource(ids.plain);
  assert.ok(plain.includes(sent.plain.messageId));
  assert.ok(plain.includes(PLAIN.text));
});

test("getMessageAttachment", async () => {
  const m = await client.getMessageSummary(ids.rich);
  const blob = await client.getMessageAttachment(ids.rich, m.Attachments[0].PartID);
  assert.ok(blob instanceof Blob, "a Blob");
  assert.ok(blob.type.startsWith("application/pdf"), `type: ${blob.type}`);
  assert.deepEqual(Buffer.from(await blob.arrayBuffer()), PDF);
  await rejectsWith(client.getMessageAttachment(ids.rich, "99"), 404, "an unknown part");
});

test("renderMessageHTML and renderMessageText", async () => {
  const html = await client.renderMessageHTML(ids.rich);
  assert.ok(html.includes("<b>quarterly</b> numbers are attached"), `HTML: ${html}`);
  const text = await client.renderMessageText(ids.rich);
  assert.ok(text.includes(RICH.text), `text: ${text}`);
  const plainText = await client.renderMessageText(ids.plain);
  assert.ok(plainText.includes(PLAIN.text));
  // Mailpit: "If the message does not contain an HTML part then a 404 error is returned."
  await rejectsWith(client.renderMessageHTML(ids.plain), 404, "HTML of a text-only message");
});

test("setReadStatus", async (t) => {
  const readOf = async () => {
    const list = await client.listMessages();
    return { list, read: Object.fromEntries(list.messages.map((m) => [m.ID, m.Read])) };
  };

  await t.test("all unread (Read: false, no IDs)", async () => {
    assert.equal(await client.setReadStatus({ Read: false }), "ok");
    const { list, read } = await readOf();
    assert.deepEqual(Object.values(read), [false, false, false]);
    assert.equal(list.unread, 3);
    assert.equal((await client.getInfo()).Unread, 3);
  });

  await t.test("by IDs", async () => {
    assert.equal(await client.setReadStatus({ IDs: [ids.plain], Read: true }), "ok");
    const { list, read } = await readOf();
    assert.deepEqual(read, { [ids.plain]: true, [ids.rich]: false, [ids.tagged]: false });
    assert.equal(list.unread, 2);
  });

  await t.test("all unread again", async () => {
    assert.equal(await client.setReadStatus({ Read: false }), "ok");
    const { read } = await readOf();
    assert.deepEqual(Object.values(read), [false, false, false]);
  });

  await t.test("by Search", async () => {
    assert.equal(await client.setReadStatus({ Search: "subject:Quarterly", Read: true }), "ok");
    const { list, read } = await readOf();
    assert.deepEqual(read, { [ids.plain]: false, [ids.rich]: true, [ids.tagged]: false });
    assert.equal(list.unread, 2);
    const search = await client.searchMessages({ query: "subject:Quarterly" });
    assert.equal(search.messages[0].Read, true);
    assert.equal(search.messages_unread, 0);
  });
});

test("tags: setTags, getTags, renameTag, deleteTag", async (t) => {
  // getMessageSummary marks read; that does not matter from here on.
  const tagsOf = async (id) => norm((await client.getMessageSummary(id)).Tags);

  await t.test("setTags overwrites a message's tags", async () => {
    assert.equal(await client.setTags({ IDs: [ids.plain], Tags: ["Tag 1", "Tag 2"] }), "ok");
    assert.deepEqual(await tagsOf(ids.plain), ["tag 1", "tag 2"]);
    const all = await client.getTags();
    assert.ok(Array.isArray(all));
    assert.deepEqual(norm(all), ["alpha", "beta", "tag 1", "tag 2"]);
    assert.deepEqual(await tagsOf(ids.tagged), ["alpha", "beta"], "other messages keep theirs");
  });

  await t.test("renameTag", async () => {
    assert.equal(await client.renameTag("Tag 1", "Renamed"), "ok");
    assert.deepEqual(norm(await client.getTags()), ["alpha", "beta", "renamed", "tag 2"]);
    assert.deepEqual(await tagsOf(ids.plain), ["renamed", "tag 2"]);
  });

  await t.test("deleteTag removes it from every message, not the messages", async () => {
    assert.equal(await client.deleteTag("Tag 2"), "ok");
    assert.deepEqual(norm(await client.getTags()), ["alpha", "beta", "renamed"]);
    assert.deepEqual(await tagsOf(ids.plain), ["renamed"]);
    assert.equal((await client.getInfo()).Messages, 3);
  });

  await t.test("setTags with an empty array clears them", async () => {
    assert.equal(await client.setTags({ IDs: [ids.plain], Tags: [] }), "ok");
    assert.deepEqual(await tagsOf(ids.plain), []);
    assert.deepEqual(norm(await client.getTags()), ["alpha", "beta"]);
  });
});

test("sendMessage over the HTTP API", async () => {
  const res = await client.sendMessage({
    From: { Email: "api@example.test", Name: "API" },
    To: [{ Email: "to@example.test" }],
    Subject: "Sent over HTTP",
    Text: "hello from the send API",
    HTML: "<p>hi</p>",
    Tags: ["sent"],
    Attachments: [{ Content: API_TEXT.toString("base64"), Filename: "a.txt" }],
  });
  assert.equal(typeof res.ID, "string", `{ID}: ${JSON.stringify(res)}`);
  assert.ok(res.ID.length > 0);
  ids.api = res.ID;

  const list = await client.listMessages();
  assert.equal(list.total, 4);
  assert.equal(list.messages[0].ID, ids.api, "listed, newest");
  assert.equal(list.messages[0].Subject, "Sent over HTTP");
  assert.equal(list.messages[0].Attachments, 1);

  const m = await client.getMessageSummary(ids.api);
  assertAddress(m.From, "api@example.test", "API", "From");
  assert.deepEqual(m.To.map((a) => a.Address), ["to@example.test"]);
  assert.equal(m.Subject, "Sent over HTTP");
  assert.equal(m.Text.trim(), "hello from the send API");
  assert.ok(m.HTML.includes("<p>hi</p>"), `HTML: ${m.HTML}`);
  assert.ok(norm(m.Tags).includes("sent"), `Tags: ${JSON.stringify(m.Tags)}`);
  assert.equal(m.Attachments.length, 1);
  assert.equal(m.Attachments[0].FileName, "a.txt");
  const blob = await client.getMessageAttachment(ids.api, m.Attachments[0].PartID);
  assert.deepEqual(Buffer.from(await blob.arrayBuffer()), API_TEXT);

  await rejectsWith(
    client.sendMessage({ To: [{ Email: "to@example.test" }], Subject: "no From" }),
    400,
    "no From",
    // Errors are JSON with the status and a readable message naming the field.
    /^\{.*"status"\s*:\s*400.*"message"\s*:\s*"[^"]*From/,
  );
});

test("waitForMessage and waitForMessages", async () => {
  // The wait starts first; the mail follows 300 ms later.
  const waiting = client.waitForMessage({ query: "subject:late" }, { timeout: 10_000 });
  const sending = new Promise((r) => setTimeout(r, 300)).then(() => send(LATE));
  const [m, info] = await Promise.all([waiting, sending]);
  sent.late = info;
  assert.equal(m.Subject, LATE.subject);
  assert.equal(m.MessageID, bare(sent.late.messageId));
  assert.equal(m.Text.trim(), LATE.text);
  ids.late = m.ID;

  const r = await client.waitForMessages({ query: "subject:late", count: 1 });
  assert.equal(r.messages_count, 1);
  assert.equal(r.messages[0].ID, ids.late);
});

test("getChaosTriggers and setChaosTriggers: seeded fault rules a real client sees", async () => {
  const off = await client.getChaosTriggers();
  // Mailpit's default codes: 535 for authentication, 451 for the others.
  assert.deepEqual(off.Authentication, { ErrorCode: 535, Probability: 0 });
  for (const stage of ["Recipient", "Sender"]) {
    assert.deepEqual(off[stage], { ErrorCode: 451, Probability: 0 }, stage);
  }
  const set = await client.setChaosTriggers({ Recipient: { ErrorCode: 452, Probability: 100 } });
  assert.deepEqual(set.Recipient, { ErrorCode: 452, Probability: 100 });
  assert.equal(set.Sender.Probability, 0, "a trigger left out is off");
  const before = (await client.getInfo()).Messages;
  await assert.rejects(
    send({ from: "chaos@example.test", to: "victim@example.test", subject: "chaos", text: "x" }),
    (err) => {
      assert.equal(err.responseCode, 452, `nodemailer saw the RCPT refusal: ${err.message}`);
      return true;
    },
  );
  assert.equal((await client.getInfo()).Messages, before, "nothing was stored");
  const reset = await client.setChaosTriggers();
  assert.equal(reset.Recipient.Probability, 0, "no body resets every trigger");
  await rejectsWith(
    client.setChaosTriggers({ Sender: { ErrorCode: 200, Probability: 50 } }),
    400,
    "a code outside 400-599",
  );
});

test("releaseMessage sends the stored bytes to the configured server; the allowlist refuses others", async () => {
  const config = await client.getConfiguration();
  assert.equal(config.MessageRelay.Enabled, true, "a server and an allowlist are configured");
  assert.equal(config.MessageRelay.SMTPServer, `${remote.smtp.host}:${remote.smtp.port}`);

  assert.equal(await client.releaseMessage(ids.plain, { To: ["qa@example.test"] }), "ok");
  const got = await remoteClient.waitForMessages({ query: "subject:plain", count: 1 }, { timeout: 10_000, interval: 100 });
  assert.equal(got.messages_count, 1, "it arrived at the other server");
  const arrived = got.messages[0];
  assert.equal(
    await remoteClient.getMessageSource(arrived.ID),
    await client.getMessageSource(ids.plain),
    "byte for byte",
  );
  assert.deepEqual(
    arrived.Bcc.map((a) => a.Address),
    ["qa@example.test"],
    "to the given address (in no header, so a Bcc), not to Bob",
  );

  await rejectsWith(
    client.releaseMessage(ids.plain, { To: ["eve@elsewhere.invalid"] }),
    403,
    "a domain the allowlist does not name",
    /release\.allowed_domains/,
  );
  await rejectsWith(client.releaseMessage("999999", { To: ["qa@example.test"] }), 404, "an unknown id");
  assert.equal((await remoteClient.listMessages()).total, 1, "nothing else arrived");
});

test("an unknown id is a 404", async () => {
  await rejectsWith(client.getMessageSummary("999999"), 404, "numeric");
  await rejectsWith(client.getMessageSummary("4oRBnPtCXgAqZniRhzLNmS"), 404, "Mailpit-style");
  await rejectsWith(client.getMessageSource("999999"), 404, "raw");
  await rejectsWith(client.getMessageHeaders("999999"), 404, "headers");
});

test("htmlCheck reports the caniemail features of the HTML, scored, in Mailpit's shape", async () => {
  const check = await client.htmlCheck(ids.rich);
  for (const key of ["Tests", "Nodes", "Supported", "Partial", "Unsupported"]) {
    assert.equal(typeof check.Total[key], "number", `Total.${key}`);
  }
  assert.ok(check.Total.Nodes >= 2, `the <p> and <b> of RICH: ${check.Total.Nodes}`);
  assert.ok(Array.isArray(check.Platforms.ios) && check.Platforms.ios.includes("Gmail"), "platforms");
  const p = check.Warnings.find((w) => w.Slug === "html-p");
  assert.ok(p, `html-p is reported: ${check.Warnings.map((w) => w.Slug)}`);
  assert.equal(p.Score.Found, 1);
  assert.ok(p.Results.length > 10 && ["yes", "no", "partial"].includes(p.Results[0].Support));
  assert.match(p.URL, /^https:\/\/www\.caniemail\.com\//);
  await rejectsWith(client.htmlCheck(ids.plain), 400, "a text-only message", /no HTML/);
});

test("linkCheck requests each link of the message once and reports its status", async () => {
  // A local web server: /ok answers 200, anything else 404.
  const { createServer } = await import("node:http");
  const web = createServer((req, res) => {
    res.statusCode = req.url === "/ok" ? 200 : 404;
    res.end();
  });
  await new Promise((r) => web.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${web.address().port}`;
  try {
    await send({
      from: "links@example.test",
      to: "bob@example.test",
      subject: "Link check",
      html: `<a href="${base}/ok">ok</a> <a href="${base}/gone">gone</a> <a href="file:///etc/hosts">f</a>`,
    });
    await indexed('subject:"Link check"', 1);
    const id = (await client.searchMessages({ query: 'subject:"Link check"' })).messages[0].ID;
    const check = await client.linkCheck(id);
    assert.deepEqual(
      check.Links.map((l) => [l.URL, l.StatusCode, l.Status]),
      [
        [`${base}/ok`, 200, "OK"],
        [`${base}/gone`, 404, "Not Found"],
      ],
      "file: is never requested",
    );
    assert.equal(check.Errors, 1);
    assert.equal((await client.linkCheck(id, true)).Links[0].StatusCode, 200, "follow=true works too");
    assert.equal(await client.deleteMessages({ IDs: [id] }), "ok", "the mailbox is as the next tests expect");
  } finally {
    web.close();
  }
});

test("an endpoint Pigeonhole does not implement answers 501 JSON, not a bare 404", async () => {
  const res = await fetch(`http://${server.http}/api/v1/message/latest/sa-check`);
  assert.equal(res.status, 501, `status ${res.status}`);
  assert.match(res.headers.get("content-type") ?? "", /json/);
  const body = await res.json();
  assert.equal(typeof body, "object");
});

test("deleting: by search, by IDs, everything", async (t) => {
  await t.test("deleteMessagesBySearch removes only the matches", async () => {
    assert.equal(await client.deleteMessagesBySearch({ query: "subject:Quarterly" }), "ok");
    const list = await client.listMessages();
    assert.equal(list.total, 4);
    assert.deepEqual(
      list.messages.map((m) => m.ID).sort(),
      [ids.plain, ids.tagged, ids.api, ids.late].sort(),
    );
    await rejectsWith(client.getMessageSummary(ids.rich), 404, "the deleted one");
  });

  await t.test("deleteMessages({IDs}) removes one", async () => {
    assert.equal(await client.deleteMessages({ IDs: [ids.plain] }), "ok");
    const list = await client.listMessages();
    assert.equal(list.total, 3);
    assert.ok(!list.messages.some((m) => m.ID === ids.plain));
  });

  await t.test("deleteMessages() removes everything", async () => {
    assert.equal(await client.deleteMessages(), "ok");
    const list = await client.listMessages();
    assert.equal(list.total, 0);
    assert.deepEqual(list.messages, []);
    const info = await client.getInfo();
    assert.equal(info.Messages, 0);
    assert.equal(info.Unread, 0);
  });
});
