import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import HtmlCheckView from "./HtmlCheckView.svelte";
import { commandError, flush } from "../test/fixtures";
import type { HtmlCheck, HtmlFeature } from "../lib/types";

afterEach(cleanup);

function feature(slug: string, over: Partial<HtmlFeature> = {}): HtmlFeature {
  return {
    slug,
    title: slug,
    description: "",
    url: `https://www.caniemail.com/features/${slug}/`,
    category: "css",
    tags: [],
    found: 1,
    score: { supported: 100, partial: 0, unsupported: 0 },
    unsupported_clients: 0,
    partial_clients: 0,
    results: [],
    notes: {},
    ...over,
  };
}

const CHECK: HtmlCheck = {
  features: [
    feature("css-display-flex", {
      title: "display:flex",
      found: 3,
      score: { supported: 60, partial: 10, unsupported: 30 },
      unsupported_clients: 2,
      partial_clients: 1,
      results: [
        { name: "Outlook Windows (2019)", family: "outlook", platform: "windows", version: "2019", support: "no", notes: [], latest: true },
        { name: "Outlook Windows (2007)", family: "outlook", platform: "windows", version: "2007", support: "no", notes: [], latest: false },
        { name: "Gmail iOS (2026-03)", family: "gmail", platform: "ios", version: "2026-03", support: "partial", notes: ["1"], latest: true },
        { name: "Apple Mail macOS (12.4)", family: "apple-mail", platform: "macos", version: "12.4", support: "yes", notes: [], latest: true },
      ],
      notes: { "1": "Not with non-Google accounts." },
    }),
    feature("html-p", { title: "<p> element", category: "html" }),
  ],
  total: { tests: 308, nodes: 10, supported: 82.5, partial: 2.5, unsupported: 15 },
  platforms: { ios: ["Gmail"] },
  data_version: "caniemail 2.0.2 (MIT)",
};

async function shown(answer: () => unknown) {
  const calls: { cmd: string; args: any }[] = [];
  mockIPC((cmd, args: any) => {
    calls.push({ cmd, args });
    if (cmd === "check_html") return answer();
    return null;
  });
  render(HtmlCheckView, { id: 4 });
  await flush();
  return calls;
}

describe("HTML check", () => {
  test("asks core for the message's report and shows the score and the features with issues", async () => {
    const calls = await shown(() => CHECK);
    expect(calls).toEqual([{ cmd: "check_html", args: { id: 4 } }]);
    expect(screen.getByTestId("html-check-score").textContent).toBe("82.5%");
    const rows = screen.getAllByTestId("html-feature");
    expect(rows.map((r) => r.dataset.slug)).toEqual(["css-display-flex"]);
    expect(rows[0].textContent).toContain("2 no");
    expect(rows[0].textContent).toContain("1 partial");
    expect(rows[0].textContent).toContain("×3");
    expect(screen.getByTestId("html-check-fine").textContent).toContain("<p> element");
  });

  test("a feature expands to the newest client versions that lack it, with their notes", async () => {
    await shown(() => CHECK);
    expect(screen.queryByTestId("html-feature-detail")).toBeNull();
    await fireEvent.click(screen.getByText("display:flex"));
    const detail = screen.getByTestId("html-feature-detail");
    expect(detail.textContent).toContain("Outlook Windows (2019)");
    expect(detail.textContent).toContain("Not with non-Google accounts.");
    expect(detail.textContent).not.toContain("(2007)");
    expect(detail.textContent).not.toContain("Apple Mail");
    await fireEvent.click(screen.getByLabelText(/Older client versions/));
    expect(screen.getByTestId("html-feature-detail").textContent).toContain("Outlook Windows (2007)");
  });

  test("a message without HTML shows core's reason", async () => {
    await shown(() => Promise.reject(commandError("invalid", "message 4 has no HTML body to check")));
    expect(screen.getByTestId("html-check-error").textContent).toContain("no HTML body");
  });
});
