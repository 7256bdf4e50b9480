import { afterEach, describe, expect, test } from "vitest";
import { cleanup, render, screen } from "@testing-library/svelte";
import EnvelopeBlock from "./EnvelopeBlock.svelte";
import { detail } from "../test/fixtures";
import type { EnvelopeView } from "../lib/types";

afterEach(() => cleanup());

const envelope: EnvelopeView = {
  mail_from: "app@example.com",
  mail_params: { SIZE: "1234" },
  rcpt_to: [
    { address: "user@example.com", params: {} },
    { address: "audit@example.com", params: { NOTIFY: "NEVER" } },
  ],
  bcc: ["audit@example.com"],
};

describe("envelope block", () => {
  test("the sender, every recipient and a Bcc are shown", () => {
    render(EnvelopeBlock, { envelope });
    const text = screen.getByTestId("envelope").textContent!;
    expect(text).toContain("<app@example.com>");
    expect(text).toContain("SIZE=1234");
    expect(text).toContain("NOTIFY=NEVER");
    expect(document.querySelectorAll('[data-bcc="true"]')).toHaveLength(1);
  });

  test("the user the session authenticated as is shown with the envelope", () => {
    render(EnvelopeBlock, { envelope, authUser: "app-mailer" });
    expect(screen.getByTestId("envelope-auth-user").textContent).toBe("app-mailer");
  });

  test("a message sent without AUTH shows no AUTH row", () => {
    render(EnvelopeBlock, { envelope: detail(1).envelope, authUser: detail(1).auth_user });
    expect(screen.queryByTestId("envelope-auth-user")).toBeNull();
  });
});
