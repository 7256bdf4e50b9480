// The HTML check's bundled caniemail data (crates/pigeonhole-core/data/caniemail.json) must be
// what scripts/caniemail.mjs makes from the caniemail package in node_modules.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, test } from "vitest";

const ROOT = resolve(__dirname, "../../..");
const SCRIPT = resolve(ROOT, "scripts/caniemail.mjs");
const DATA = resolve(ROOT, "crates/pigeonhole-core/data/caniemail.json");

test("the committed caniemail data matches what the script makes from the npm package", () => {
  let failure = "";
  try {
    execFileSync(process.execPath, [SCRIPT, "--check"], { stdio: "pipe" });
  } catch (err) {
    failure = String((err as { stderr?: Buffer }).stderr ?? err);
  }
  expect(failure, "the data file is stale: run node scripts/caniemail.mjs").toBe("");
});

test("the bundled data names the package version it came from and has features", () => {
  const data = JSON.parse(readFileSync(DATA, "utf8"));
  const pkg = JSON.parse(readFileSync(resolve(ROOT, "node_modules/caniemail/package.json"), "utf8"));
  expect(data.source).toContain(`caniemail ${pkg.version}`);
  expect(data.features.length).toBeGreaterThan(200);
  expect(data.features.find((f: { slug: string }) => f.slug === "css-display-flex")).toBeTruthy();
});
