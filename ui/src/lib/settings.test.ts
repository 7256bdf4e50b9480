import { describe, expect, test } from "vitest";
import { hostPortError, validateSettings, withPort } from "./settings";
import { settings } from "../test/fixtures";

describe("settings validation", () => {
  test("default settings are valid", () => {
    expect(validateSettings(settings())).toEqual([]);
  });

  test("an address without a port is rejected on its field", () => {
    expect(validateSettings(settings({ smtp_addr: "localhost" }))).toEqual([
      { field: "smtp_addr", message: "Use host:port, e.g. 127.0.0.1:1025" },
    ]);
  });

  test("ports out of range and IPv6 addresses are judged correctly", () => {
    expect(hostPortError("127.0.0.1:70000")).toMatch(/between 1 and 65535/);
    expect(hostPortError("[::1]:1025")).toBeNull();
  });

  test("negative or fractional limits are rejected", () => {
    const errors = validateSettings(settings({ retention: -1, max_connections: 2.5 }));
    expect(errors.map((e) => e.field).sort()).toEqual(["max_connections", "retention"]);
  });

  test("user authentication needs at least one named user", () => {
    expect(validateSettings(settings({ auth_mode: "users" }))[0].field).toBe("auth_users");
    const ok = settings({ auth_mode: "users", auth_users: [{ username: "dev", password: "pw" }] });
    expect(validateSettings(ok)).toEqual([]);
  });

  test("the TLS listener cannot share the plain listener's address", () => {
    const errors = validateSettings(settings({ smtps_addr: "127.0.0.1:1025" }));
    expect(errors).toEqual([{ field: "smtps_addr", message: "Must differ from the SMTP address" }]);
  });

  test("changing the port keeps the host", () => {
    expect(withPort("127.0.0.1:1025", "2525")).toBe("127.0.0.1:2525");
    expect(withPort("[::1]:1025", " 2526 ")).toBe("[::1]:2526");
  });
});
