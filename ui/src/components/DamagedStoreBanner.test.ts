import { afterEach, describe, expect, test } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/svelte";
import DamagedStoreBanner from "./DamagedStoreBanner.svelte";
import { status } from "../test/fixtures";

afterEach(() => cleanup());

const kept = "/tmp/pigeonhole-test/pigeonhole.sqlite3.damaged-20261202T004500Z";

describe("DamagedStoreBanner", () => {
  test("says plainly that a fresh store is in use and where the damaged copy is kept", () => {
    render(DamagedStoreBanner, { status: status({ damaged_store: kept }) });
    const banner = screen.getByTestId("damaged-store");
    expect(banner.textContent).toContain("damaged");
    expect(banner.textContent).toContain("new, empty one");
    expect(banner.textContent, "the kept copy's path is shown").toContain(kept);
    expect(banner.textContent, "and how to salvage it").toContain(`pigeonhole doctor --data-dir /tmp/pigeonhole-test --recover --from ${kept}`);
  });

  test("can be dismissed", async () => {
    render(DamagedStoreBanner, { status: status({ damaged_store: kept }) });
    await fireEvent.click(screen.getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByTestId("damaged-store")).toBeNull();
  });
});
