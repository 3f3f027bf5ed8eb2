import { describe, expect, it } from "vitest";
import { checkCrossSite } from "@/lib/auth/csrf";

const SELF = "http://127.0.0.1:3000";
const post = (url: string, headers: Record<string, string> = {}, method = "POST") => checkCrossSite({ method, url, headers }, SELF).refused;

describe("cross-site refusal (K4)", () => {
  it("lets safe methods through whatever their origin", () => {
    for (const m of ["GET", "HEAD", "OPTIONS"]) expect(post("/settings", { origin: "http://evil.test" }, m)).toBe(false);
  });

  it("refuses a state-changing request from another origin, including same-site ones and opaque origins", () => {
    for (const origin of ["http://evil.test", "https://evil.test", "http://localhost:3000", "http://127.0.0.1:3001", "null", "file://", "not a url"]) {
      expect(post("/settings", { origin }), origin).toBe(true);
    }
    for (const m of ["PUT", "PATCH", "DELETE"]) expect(post("/api/auth/signout", { origin: "http://evil.test" }, m)).toBe(true);
  });

  it("accepts its own origin, and an https Origin for the same host when TLS ends in front of us", () => {
    expect(post("/settings", { origin: SELF })).toBe(false);
    expect(checkCrossSite({ method: "POST", url: "/x", headers: { origin: "https://lk.example.com" } }, "http://lk.example.com").refused).toBe(false);
    expect(checkCrossSite({ method: "POST", url: "/x", headers: { origin: "http://lk.example.com" } }, "https://lk.example.com").refused).toBe(true);
    expect(checkCrossSite({ method: "POST", url: "/x", headers: { origin: "https://lk.example.com:8443" } }, "http://lk.example.com").refused).toBe(true);
  });

  it("without Origin falls back to Sec-Fetch-Site, then Referer; with none of them (not a browser) it passes", () => {
    expect(post("/settings", { "sec-fetch-site": "cross-site" })).toBe(true);
    expect(post("/settings", { "sec-fetch-site": "same-site" })).toBe(true);
    expect(post("/settings", { "sec-fetch-site": "same-origin" })).toBe(false);
    expect(post("/settings", { referer: "http://evil.test/a" })).toBe(true);
    expect(post("/settings", { referer: `${SELF}/settings` })).toBe(false);
    expect(post("/settings")).toBe(false);
  });

  it("leaves the bearer-authenticated REST API and MCP paths to their own rules", () => {
    expect(post("/api/v1/api-keys", { origin: "http://evil.test" })).toBe(false);
    expect(post("/mcp/i/lk_mcp_x", { origin: "http://evil.test" })).toBe(false);
    expect(post("/api/v1x", { origin: "http://evil.test" })).toBe(true);
  });
});
