/**
 * O10 (CVE-2025-6514): an authorization server's metadata is attacker-controlled text that
 * ends up as a browser redirect target, in HTML, and in outbound requests. Every endpoint URL
 * read from discovery or given by an operator passes this check before it is stored or used:
 * https (or http to a loopback host, for local servers and tests), nothing that could break out
 * of a quoted attribute or a shell word, no control characters, no option-like leading `--`.
 */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
// `"`, backtick, `$(`, `<`, `>`, `'`, backslash, whitespace and controls (incl. newlines).
const UNSAFE = /["`'<>\\\s\u0000-\u001f\u007f]|\$\(/;

export type UnsafeUrlReason = "characters" | "scheme" | "not_a_url" | "credentials";

export function unsafeEndpointUrl(raw: string): UnsafeUrlReason | null {
  if (raw.startsWith("--") || UNSAFE.test(raw)) return "characters";
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return "not_a_url";
  }
  if (u.protocol === "https:") return u.username || u.password ? "credentials" : null;
  if (u.protocol === "http:" && LOOPBACK.test(u.hostname)) return u.username || u.password ? "credentials" : null;
  return "scheme";
}

export const unsafeUrlMessage: Record<UnsafeUrlReason, string> = {
  characters: "contains characters an endpoint URL never has (quotes, backticks, $(, whitespace, a leading --)",
  scheme: "must be https (http only to a loopback host)",
  not_a_url: "is not a URL",
  credentials: "must not carry a user name or password",
};
