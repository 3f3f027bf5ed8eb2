import { describe, expect, it } from "vitest";
import { linkCookieSecure, readLinkCookie, serializeLinkCookie } from "@/lib/link/cookie";
import { isAllowedRedirectUrl } from "@/lib/schemas/link";

const secret = `lk_lsess_${"a1B2".repeat(10)}abc`;

describe("Link session cookie", () => {
  it("is __Host- and Secure on https and on loopback, plain only on plain-http hosts elsewhere, and follows LATCHKEY_SECURE_COOKIES when set", () => {
    expect(linkCookieSecure({ LATCHKEY_SECURE_COOKIES: undefined }, "https://latchkey.example.com")).toBe(true);
    expect(linkCookieSecure({ LATCHKEY_SECURE_COOKIES: undefined }, "http://127.0.0.1:3000")).toBe(true);
    expect(linkCookieSecure({ LATCHKEY_SECURE_COOKIES: undefined }, "http://localhost:3000")).toBe(true);
    expect(linkCookieSecure({ LATCHKEY_SECURE_COOKIES: undefined }, "http://192.168.1.20:3000")).toBe(false);
    expect(linkCookieSecure({ LATCHKEY_SECURE_COOKIES: false }, "https://latchkey.example.com")).toBe(false);
    expect(linkCookieSecure({ LATCHKEY_SECURE_COOKIES: true }, "http://192.168.1.20:3000")).toBe(true);
    expect(serializeLinkCookie(secret, { secure: true, maxAgeSeconds: 1800.7 })).toBe(`__Host-lk_link=${secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=1800; Secure`);
    expect(serializeLinkCookie(secret, { secure: false, maxAgeSeconds: -5 })).toBe(`lk_link=${secret}; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
  });

  it("reads only well-formed session secrets, under either name", () => {
    expect(readLinkCookie(`a=b; __Host-lk_link=${secret}; c=d`)).toBe(secret);
    expect(readLinkCookie(`lk_link=${secret}`)).toBe(secret);
    expect(readLinkCookie(`lk_link=${secret}x`)).toBeNull();
    expect(readLinkCookie("lk_link=lk_link_abc")).toBeNull();
    expect(readLinkCookie(`other_lk_link=${secret}`)).toBeNull();
    expect(readLinkCookie(null)).toBeNull();
  });

  it("redirect_url: https anywhere, http only on loopback, never with credentials", () => {
    for (const ok of ["https://a.example/x?y#z", "http://localhost/cb", "http://127.0.0.1:9/x", "http://[::1]/"]) expect(isAllowedRedirectUrl(ok), ok).toBe(true);
    for (const bad of ["http://a.example/", "http://127.0.0.1.nip.io/", "http://localhost.evil.example/", "https://u:p@a.example/", "https://u@a.example/", "javascript:alert(1)", "data:text/html,x", "//a.example/", ""]) {
      expect(isAllowedRedirectUrl(bad), bad).toBe(false);
    }
  });
});
