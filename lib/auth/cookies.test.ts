import { describe, expect, it } from "vitest";
import { authJsCookies, insecureCookieWarning, isLoopbackHost, requestOrigin, secureCookiesFor } from "@/lib/auth/cookies";

const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] ?? null });

describe("dashboard cookie security (K4)", () => {
  it("treats the names and addresses browsers count as loopback as loopback, and nothing else", () => {
    for (const h of ["localhost", "localhost:3000", "LOCALHOST.", "app.localhost:8080", "127.0.0.1", "127.1.2.3:99", "[::1]", "[::1]:3000", "::1"]) expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ["", "lan.test:3000", "localhost.evil.test", "127.0.0.1.nip.io", "10.0.0.1:3000", "[::2]:80", "evil-localhost"]) expect(isLoopbackHost(h), h).toBe(false);
  });

  it("uses Secure __Host- cookies on https and on loopback; falls back only on plain http elsewhere; the variable overrides", () => {
    const auto = { LATCHKEY_SECURE_COOKIES: undefined };
    expect(secureCookiesFor(auto, { proto: "https", host: "latchkey.example.com" })).toBe(true);
    expect(secureCookiesFor(auto, { proto: "http", host: "localhost:3000" })).toBe(true);
    expect(secureCookiesFor(auto, { proto: "http", host: "127.0.0.1:3000" })).toBe(true);
    expect(secureCookiesFor(auto, { proto: "http", host: "lan.test:3000" })).toBe(false);
    expect(secureCookiesFor({ LATCHKEY_SECURE_COOKIES: true }, { proto: "http", host: "lan.test:3000" })).toBe(true);
    expect(secureCookiesFor({ LATCHKEY_SECURE_COOKIES: false }, { proto: "https", host: "latchkey.example.com" })).toBe(false);
  });

  it("reads the origin from the forwarded headers the server set (first hop), else Host", () => {
    expect(requestOrigin(headers({ "x-forwarded-proto": "https, http", "x-forwarded-host": "a.example, b", host: "internal:3000" }))).toEqual({ proto: "https", host: "a.example" });
    expect(requestOrigin(headers({ host: "127.0.0.1:3000" }))).toEqual({ proto: "http", host: "127.0.0.1:3000" });
  });

  it("gives every Auth.js cookie the __Host- prefix and the attributes it requires, or none of the prefix in fallback", () => {
    for (const c of Object.values(authJsCookies(true))) {
      expect(c.name).toMatch(/^__Host-authjs\./);
      expect(c.options).toMatchObject({ secure: true, httpOnly: true, sameSite: "lax", path: "/" });
      expect(c.options).not.toHaveProperty("domain");
    }
    for (const c of Object.values(authJsCookies(false))) {
      expect(c.name).toMatch(/^authjs\./);
      expect(c.options).toMatchObject({ secure: false, httpOnly: true, sameSite: "lax", path: "/" });
    }
  });

  it("warns at boot when the configuration alone says cookies will not be Secure", () => {
    expect(insecureCookieWarning({ LATCHKEY_SECURE_COOKIES: undefined, LATCHKEY_PUBLIC_URL: undefined })).toBeNull();
    expect(insecureCookieWarning({ LATCHKEY_SECURE_COOKIES: undefined, LATCHKEY_PUBLIC_URL: "https://lk.example.com" })).toBeNull();
    expect(insecureCookieWarning({ LATCHKEY_SECURE_COOKIES: undefined, LATCHKEY_PUBLIC_URL: "http://localhost:3000" })).toBeNull();
    expect(insecureCookieWarning({ LATCHKEY_SECURE_COOKIES: undefined, LATCHKEY_PUBLIC_URL: "http://lk.internal:3000" })).toMatch(/plain http/);
    expect(insecureCookieWarning({ LATCHKEY_SECURE_COOKIES: false, LATCHKEY_PUBLIC_URL: "https://lk.example.com" })).toMatch(/LATCHKEY_SECURE_COOKIES=false/);
  });
});
