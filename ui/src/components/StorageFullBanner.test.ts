import { afterEach, describe, expect, test } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import StorageFullBanner from "./StorageFullBanner.svelte";
import { status } from "../test/fixtures";

afterEach(() => cleanup());

describe("storage full banner", () => {
  test("says mail is refused, that it resumes by itself, and shows the store's error", () => {
    render(StorageFullBanner, {
      status: status({ storage_full: true, storage_error: "database or disk is full" }),
    });
    const text = screen.getByTestId("storage-full").textContent ?? "";
    expect(text).toContain("The disk is full: new mail is being refused.");
    expect(text).toContain("452 4.3.1");
    expect(text).toContain("resumes by itself");
    expect(text).toContain("database or disk is full");
  });
});
