import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import { mockIPC } from "@tauri-apps/api/mocks";
import FaultsView from "./FaultsView.svelte";
import { store } from "../lib/store.svelte";
import { flush, settings } from "../test/fixtures";
import type { Rule, RuleSet, RulesView } from "../lib/types";

const rule = (name: string, over: Partial<Rule> = {}): Rule => ({
  name,
  enabled: true,
  stage: "rcpt",
  per: "rule",
  action: "reply",
  code: 550,
  close: false,
  ...over,
});

interface Shell {
  view: RulesView;
  sets: RuleSet[];
  calls: string[];
  /** When set, the next set_rules is refused with these problems. */
  refuse: string[] | null;
}

/** A shell holding one rule set, answering the four rules commands as the real one does. */
function shell(rules: Rule[], matched = 3, fired = 1): Shell {
  const s: Shell = {
    view: { fail_fast: false, rules, stats: rules.map((r) => ({ name: r.name, matched, fired })) },
    sets: [],
    calls: [],
    refuse: null,
  };
  const fresh = (set: RuleSet): RulesView => ({
    fail_fast: set.fail_fast,
    rules: set.rules,
    stats: set.rules.map((r) => ({ name: r.name, matched: 0, fired: 0 })),
  });
  mockIPC((cmd, args: any) => {
    s.calls.push(cmd);
    switch (cmd) {
      case "get_rules":
        return structuredClone(s.view);
      case "set_rules":
        s.sets.push(structuredClone(args.set));
        if (s.refuse) return Promise.reject(s.refuse);
        s.view = fresh(args.set);
        return structuredClone(s.view);
      case "clear_rules":
        s.view = fresh({ fail_fast: false, rules: [] });
        return structuredClone(s.view);
      case "reset_rule_counters":
        s.view = { ...s.view, stats: s.view.rules.map((r) => ({ name: r.name, matched: 0, fired: 0 })) };
        return structuredClone(s.view);
    }
    return null;
  });
  return s;
}

beforeEach(() => {
  store.settings = settings();
  store.confirmRequest = null;
  store.toasts = [];
});
afterEach(() => cleanup());

async function type(testid: string, value: string) {
  await fireEvent.input(screen.getByTestId(testid), { target: { value } });
}

async function choose(testid: string, value: string) {
  const select = screen.getByTestId(testid) as HTMLSelectElement;
  select.value = value;
  await fireEvent.change(select);
}

async function save() {
  await fireEvent.click(screen.getByTestId("rule-save"));
  await flush();
}

const rows = () => screen.queryAllByTestId("rule-row");

describe("faults view", () => {
  test("lists each rule in force with how often it matched and fired", async () => {
    shell([rule("550 for nobody@*", { address: "nobody@*" }), rule("slow", { action: "delay", code: undefined, delay_ms: 5000, enabled: false })]);
    render(FaultsView);
    await flush();
    expect(rows().map((r) => r.dataset.name)).toEqual(["550 for nobody@*", "slow"]);
    expect(rows()[0].querySelector('[data-testid="rule-matched"]')!.textContent).toBe("3");
    expect(rows()[0].querySelector('[data-testid="rule-fired"]')!.textContent).toBe("1");
    expect(rows()[0].textContent).toContain("address nobody@*");
    expect((rows()[1].querySelector('[data-testid="rule-enabled"]') as HTMLInputElement).checked).toBe(false);
  });

  test("a rule typed in the form is added after the others and the form empties", async () => {
    const s = shell([rule("first")]);
    render(FaultsView);
    await flush();
    await type("rule-name", "blocked");
    await choose("rule-stage", "rcpt");
    await type("rule-address", "blocked@*");
    await type("rule-code", "550");
    await type("rule-enhanced", "5.7.1");
    await save();
    expect(s.sets).toHaveLength(1);
    expect(s.sets[0].rules.map((r) => r.name)).toEqual(["first", "blocked"]);
    expect(s.sets[0].rules[1]).toMatchObject({ stage: "rcpt", address: "blocked@*", action: "reply", code: 550, enhanced: "5.7.1" });
    expect(s.sets[0].rules[1]).not.toHaveProperty("helo");
    expect(rows().map((r) => r.dataset.name)).toEqual(["first", "blocked"]);
    expect((screen.getByTestId("rule-name") as HTMLInputElement).value).toBe("");
    expect(store.settings!.engine.rules.map((r) => r.name)).toEqual(["first", "blocked"]);
  });

  test("a preset fills the form with a name not yet taken", async () => {
    const s = shell([rule("452 on the 2nd RCPT", { nth: 2, code: 452 })]);
    render(FaultsView);
    await flush();
    const preset = screen.getAllByTestId("rule-preset").find((b) => b.textContent === "452 on the 2nd RCPT")!;
    await fireEvent.click(preset);
    expect((screen.getByTestId("rule-name") as HTMLInputElement).value).toBe("452 on the 2nd RCPT (2)");
    expect((screen.getByTestId("rule-nth") as HTMLInputElement).value).toBe("2");
    await save();
    expect(s.sets[0].rules[1]).toMatchObject({ name: "452 on the 2nd RCPT (2)", stage: "rcpt", nth: 2, code: 452, enhanced: "4.5.3" });
  });

  test("editing a rule replaces it in place", async () => {
    const s = shell([rule("a"), rule("b", { code: 451 })]);
    render(FaultsView);
    await flush();
    await fireEvent.click(rows()[1].querySelector('[data-testid="rule-edit"]')!);
    expect((screen.getByTestId("rule-code") as HTMLInputElement).value).toBe("451");
    expect(screen.getByTestId("rule-save").textContent).toContain("Save rule");
    await type("rule-code", "452");
    await save();
    expect(s.sets[0].rules.map((r) => [r.name, r.code])).toEqual([
      ["a", 550],
      ["b", 452],
    ]);
    expect(screen.getByTestId("rule-save").textContent).toContain("Add rule");
  });

  test("core's problems are shown beside the form in its words, the field is marked, and nothing changes", async () => {
    const s = shell([rule("a")]);
    s.refuse = ['rules[1] "x": code: 700 is outside 200-599'];
    render(FaultsView);
    await flush();
    await type("rule-name", "x");
    await type("rule-code", "700");
    await save();
    const error = screen.getByTestId("rule-error");
    expect(error.textContent).toContain('rules[1] "x": code: 700 is outside 200-599');
    expect(screen.getByTestId("rule-code").closest("label")!.classList.contains("invalid")).toBe(true);
    expect(screen.getByTestId("rule-name").closest("label")!.classList.contains("invalid")).toBe(false);
    expect(rows().map((r) => r.dataset.name)).toEqual(["a"]);
    expect((screen.getByTestId("rule-code") as HTMLInputElement).value).toBe("700");
  });

  test("a number box that is not a number is sent as typed, for core to name", async () => {
    const s = shell([]);
    render(FaultsView);
    await flush();
    await type("rule-name", "x");
    await type("rule-code", "abc");
    await save();
    expect(s.sets[0].rules[0].code as unknown).toBe("abc");
  });

  test("the enabled box switches a rule off in force", async () => {
    const s = shell([rule("a"), rule("b")]);
    render(FaultsView);
    await flush();
    await fireEvent.click(rows()[1].querySelector('[data-testid="rule-enabled"]')!);
    await flush();
    expect(s.sets[0].rules.map((r) => r.enabled)).toEqual([true, false]);
    expect((rows()[1].querySelector('[data-testid="rule-enabled"]') as HTMLInputElement).checked).toBe(false);
  });

  test("rules move up and down, and delete sends the rest", async () => {
    const s = shell([rule("a"), rule("b"), rule("c")]);
    render(FaultsView);
    await flush();
    await fireEvent.click(rows()[2].querySelector('[data-testid="rule-up"]')!);
    await flush();
    expect(s.sets.at(-1)!.rules.map((r) => r.name)).toEqual(["a", "c", "b"]);
    await fireEvent.click(rows()[0].querySelector('[data-testid="rule-delete"]')!);
    await flush();
    expect(s.sets.at(-1)!.rules.map((r) => r.name)).toEqual(["c", "b"]);
    expect(rows().map((r) => r.dataset.name)).toEqual(["c", "b"]);
  });

  test("fail fast is sent with the rules as they are", async () => {
    const s = shell([rule("a")]);
    render(FaultsView);
    await flush();
    await fireEvent.click(screen.getByTestId("fail-fast"));
    await flush();
    expect(s.sets[0]).toMatchObject({ fail_fast: true, rules: [{ name: "a" }] });
  });

  test("Reset counters starts every counter over", async () => {
    const s = shell([rule("a")], 7, 4);
    render(FaultsView);
    await flush();
    expect(rows()[0].querySelector('[data-testid="rule-fired"]')!.textContent).toBe("4");
    await fireEvent.click(screen.getByTestId("rules-reset"));
    await flush();
    expect(s.calls).toContain("reset_rule_counters");
    expect(rows()[0].querySelector('[data-testid="rule-matched"]')!.textContent).toBe("0");
    expect(rows()[0].querySelector('[data-testid="rule-fired"]')!.textContent).toBe("0");
  });

  test("Clear all asks first, then removes every rule", async () => {
    const s = shell([rule("a"), rule("b")]);
    render(FaultsView);
    await flush();
    await fireEvent.click(screen.getByTestId("rules-clear"));
    expect(store.confirmRequest?.title).toContain("Clear all");
    store.confirmRequest!.resolve(true);
    await flush();
    expect(s.calls).toContain("clear_rules");
    expect(rows()).toHaveLength(0);
    expect(screen.getByTestId("rules-empty")).toBeTruthy();
    expect(store.settings!.engine.rules).toEqual([]);
  });

  test("Clear all does nothing when the person cancels", async () => {
    const s = shell([rule("a")]);
    render(FaultsView);
    await flush();
    await fireEvent.click(screen.getByTestId("rules-clear"));
    store.confirmRequest!.resolve(false);
    await flush();
    expect(s.calls).not.toContain("clear_rules");
    expect(rows()).toHaveLength(1);
  });
});
