// Helpers for editing settings in the window. Validation is not here: core validates every
// field when the shell saves, and the form shows its per-field errors.

/** Returns `addr` with its port replaced, keeping the host (IPv6 brackets included). */
export function withPort(addr: string, port: string): string {
  const i = addr.lastIndexOf(":");
  const host = i < 0 ? addr : addr.slice(0, i);
  return `${host}:${port.trim()}`;
}

const TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A random API token of `length` letters and digits, from the platform's CSPRNG. Bytes that
 * would bias the alphabet (248 and up: 256 is not a multiple of 62) are drawn again.
 */
export function generateToken(length = 32): string {
  const limit = 256 - (256 % TOKEN_ALPHABET.length);
  let out = "";
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < limit && out.length < length) out += TOKEN_ALPHABET[b % TOKEN_ALPHABET.length];
    }
  }
  return out;
}

/** The allowed-origins box as the wire wants it: one origin per non-empty line, trimmed. */
export function originLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "");
}
