import { describe, expect, test } from "vitest";
import { outcomeLine, recipientLines, rememberServer, replyLine } from "./release";
import { settings } from "../test/fixtures";
import { CONFIG_DEFAULTS, type Release } from "./types";

function release(over: Partial<Release> = {}): Release {
  return {
    id: 1,
    message_id: 7,
    at: "2025-01-02T03:04:05.000Z",
    server: "smtp.example.com:587",
    tls: "starttls",
    mail_from: "app@example.com",
    recipients: ["ann@example.com"],
    ok: true,
    stage: "message",
    recipient: null,
    code: 250,
    enhanced_code: "2.0.0",
    text: "Ok: queued as 42",
    ...over,
  };
}

describe("release helpers", () => {
  test("recipients are split on lines, commas and semicolons", () => {
    expect(recipientLines(" ann@example.com,bob@example.com;\n\ncarl@example.com ")).toEqual([
      "ann@example.com",
      "bob@example.com",
      "carl@example.com",
    ]);
    expect(recipientLines("  ")).toEqual([]);
  });

  test("the reply reads as the server sent it, and says where it ended", () => {
    expect(replyLine(release())).toBe("250 2.0.0 Ok: queued as 42");
    const refused = release({ ok: false, stage: "rcpt", recipient: "nobody@example.com", code: 550, enhanced_code: "5.1.1", text: "no such user" });
    expect(replyLine(refused)).toBe("550 5.1.1 no such user");
    expect(outcomeLine(refused)).toBe("Refused at RCPT TO:<nobody@example.com> by smtp.example.com:587");
    const unreachable = release({ ok: false, stage: "connect", code: null, enhanced_code: null, text: "could not connect to smtp.example.com:587: Connection refused" });
    expect(replyLine(unreachable)).toBe("could not connect to smtp.example.com:587: Connection refused");
    expect(outcomeLine(unreachable)).toBe("Could not connect to smtp.example.com:587");
    expect(outcomeLine(release())).toBe("Accepted by smtp.example.com:587");
  });

  test("remembering a server changes only the server, and never writes the dialog's password", () => {
    const s = settings({
      engine: {
        release: { ...CONFIG_DEFAULTS.release, host: "old.example.com", user: "me", password: "saved", allowed_domains: ["example.com"] },
      },
    });
    const same = { host: "old.example.com", port: 587, tls: "starttls" as const, user: "me", password: "typed", accept_invalid_certs: false };
    expect(rememberServer(s, same)).toBeNull();

    const moved = rememberServer(s, { ...same, host: " new.example.com ", port: 465, tls: "tls" });
    expect(moved?.engine.release).toEqual({
      ...s.engine.release,
      host: "new.example.com",
      port: 465,
      tls: "tls",
      password: "saved",
    });
    expect(moved?.engine.release.allowed_domains).toEqual(["example.com"]);

    const otherUser = rememberServer(s, { ...same, user: "you" });
    expect(otherUser?.engine.release.user).toBe("you");
    expect(otherUser?.engine.release.password).toBe("");
  });
});
