// Helpers for editing settings in the window. Validation is not here: core validates every
// field when the shell saves, and the form shows its per-field errors.

/** Returns `addr` with its port replaced, keeping the host (IPv6 brackets included). */
export function withPort(addr: string, port: string): string {
  const i = addr.lastIndexOf(":");
  const host = i < 0 ? addr : addr.slice(0, i);
  return `${host}:${port.trim()}`;
}
