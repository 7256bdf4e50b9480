import { describe, expect, test } from "vitest";
import { actionTone, hasHtml, hasStructure, partstat, personLabel } from "./body";
import type { BodyBlock, ReportRecipient } from "./types";

const text = (t: string, html: string | null = null): BodyBlock => ({
  kind: "body",
  part_id: "1",
  text: t,
  html,
  html_as_text: null,
});

describe("body helpers", () => {
  test("one plain body is not structure; two bodies, a nested message or a report are", () => {
    expect(hasStructure({ body: [text("a")] })).toBe(false);
    expect(hasStructure({ body: [] })).toBe(false);
    expect(hasStructure({ body: [text("a"), text("b")] })).toBe(true);
    const nested: BodyBlock = {
      kind: "message",
      part_id: "1.2",
      message: { subject: "s", headers: [], body: [text("x", "<p>x</p>")], headers_only: false, too_deep: false },
    };
    expect(hasStructure({ body: [nested] })).toBe(true);
    expect(hasHtml([text("a")])).toBe(false);
    expect(hasHtml([text("a"), nested]), "HTML inside a forwarded message counts").toBe(true);
  });

  test("answers and delivery actions read as words with a tone", () => {
    expect(partstat("ACCEPTED")).toEqual({ label: "accepted", tone: "ok" });
    expect(partstat(null)).toEqual({ label: "needs action", tone: "wait" });
    expect(partstat("declined").tone).toBe("no");
    const r = (action: string | null, status: string | null): ReportRecipient => ({
      final_recipient: "a@x",
      original_recipient: null,
      action,
      status,
      diagnostic_code: null,
      remote_mta: null,
      disposition: null,
      fields: [],
    });
    expect(actionTone(r("failed", "5.1.1"))).toBe("no");
    expect(actionTone(r("delayed", "4.4.1"))).toBe("maybe");
    expect(actionTone(r("delivered", "2.0.0"))).toBe("ok");
    expect(actionTone(r(null, "5.0.0")), "a 5.x.x status fails even without an action").toBe("no");
    expect(personLabel({ name: null, address: "a@x", partstat: null, role: null })).toBe("a@x");
  });
});
