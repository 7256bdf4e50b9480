#!/usr/bin/env node
// Writes crates/pigeonhole-core/data/caniemail.json, the HTML check's support data, from the
// `caniemail` npm package (a root devDependency), so the engine needs no network at run time.
// Run it after upgrading the package: `node scripts/caniemail.mjs`. `--check` only compares,
// and the vitest test ui/src/lib/caniemail-data.test.ts runs that, so a stale file fails CI.
//
// The file keeps what the check reads (support by family -> platform -> version, numbered
// notes) and drops the rest (test page URLs, free-text notes).

import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SOURCE = resolve(ROOT, "node_modules/caniemail");
export const TARGET = resolve(ROOT, "crates/pigeonhole-core/data/caniemail.json");
export const LICENSE_TARGET = resolve(ROOT, "crates/pigeonhole-core/data/caniemail.LICENSE");

/** The compact data file's text, from the package's data and package.json. */
export function compact(data, pkg) {
  const features = data.data.map((f) => {
    return {
      slug: f.slug,
      title: f.title,
      description: f.description ?? "",
      url: f.url,
      category: f.category,
      tags: f.tags ?? [],
      keywords: f.keywords ?? "",
      last_test_date: f.last_test_date ?? "",
      stats: f.stats ?? {},
      notes: f.notes_by_num ?? {},
    };
  });
  const out = {
    source: `${pkg.name} ${pkg.version} (${pkg.license}), data from caniemail.com; see caniemail.LICENSE`,
    api_version: data.api_version,
    last_update_date: data.last_update_date,
    families: data.nicenames.family,
    platforms: data.nicenames.platform,
    features,
  };
  return JSON.stringify(out) + "\n";
}

/** The compact file and the licence text, as they would be written now. */
export function build() {
  const data = JSON.parse(readFileSync(resolve(SOURCE, "data/caniemail.json"), "utf8"));
  const pkg = JSON.parse(readFileSync(resolve(SOURCE, "package.json"), "utf8"));
  const license = readFileSync(resolve(SOURCE, "LICENSE"), "utf8");
  return {
    json: compact(data, pkg),
    license: `The caniemail data in caniemail.json comes from the npm package ${pkg.name} ${pkg.version}\n` +
      `(${pkg.homepage}), which ships the data of caniemail.com, under this licence:\n\n${license}`,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { json, license } = build();
  if (process.argv.includes("--check")) {
    // Exit 1, naming the stale file, when what is committed is not what the package gives.
    const stale = [
      [TARGET, json],
      [LICENSE_TARGET, license],
    ].filter(([path, want]) => {
      try {
        return readFileSync(path, "utf8") !== want;
      } catch {
        return true;
      }
    });
    for (const [path] of stale) console.error(`${path} is stale: run node scripts/caniemail.mjs`);
    process.exit(stale.length ? 1 : 0);
  }
  writeFileSync(TARGET, json);
  writeFileSync(LICENSE_TARGET, license);
  console.log(`wrote ${TARGET} (${json.length} bytes)`);
}
