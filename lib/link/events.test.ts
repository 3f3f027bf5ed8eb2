import { readFileSync } from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { describe, expect, it } from "vitest";
import { acceptLinkMessage, embedLinkUrl, isAllowedOrigin, isValidEmbedOrigin, parseLinkEvent } from "@/lib/link/events";
import { readLinkBearer } from "@/lib/link/cookie";
import { linkFrameCsp } from "@/lib/link/frame";

const S = "latchkey-link";
const good = [
  { source: S, type: "ready" },
  { source: S, type: "connected", connection: { id: "conn_0abc123XYZ", connector: "stripe", status: "active" } },
  { source: S, type: "exit", reason: "cancel" },
  { source: S, type: "exit", reason: "done" },
  { source: S, type: "error", error: { code: "unauthorized", message: "Open your link again." } },
];
const bad: unknown[] = [
  null,
  "ready",
  [],
  { type: "ready" },
  { source: "other", type: "ready" },
  { source: S, type: "READY" },
  { source: S, type: "ready", extra: 1 },
  { source: S, type: "connected" },
  { source: S, type: "connected", connection: { id: "conn_1", connector: "stripe" } },
  { source: S, type: "connected", connection: { id: "conn_1", connector: "stripe", status: "revoked" } },
  { source: S, type: "connected", connection: { id: "x<script>", connector: "stripe", status: "active" } },
  { source: S, type: "connected", connection: { id: "conn_1", connector: "Stripe!", status: "active" } },
  { source: S, type: "connected", connection: { id: "conn_1", connector: "stripe", status: "active", secret_key: "sk_live_x" } },
  { source: S, type: "exit" },
  { source: S, type: "exit", reason: "whatever" },
  { source: S, type: "error", error: { code: "x" } },
  { source: S, type: "error", error: { code: "Bad Code", message: "m" } },
  { source: S, type: "error", error: { code: "x", message: "m".repeat(501) } },
  { source: S, type: "error", error: { code: "x", message: "m" }, token: "lk_link_x" },
];

/** public/link.js, loaded into a bare context: its own copy of the validator. */
function scriptValidator(): (d: unknown) => unknown {
  const src = readFileSync(path.join(import.meta.dirname, "../../public/link.js"), "utf8");
  const m = /function parseEvent\(d\) \{[\s\S]*?\n {2}\}\n/.exec(src);
  const ctx = vm.createContext({ SOURCE: S, isObj: (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v) });
  vm.runInContext(
    `function onlyKeys(o, keys) { return Object.keys(o).every(function (k) { return keys.indexOf(k) >= 0; }); }
     function str(v, max) { return typeof v === "string" && v.length > 0 && v.length <= max; }
     ${m![0]}; this.parseEvent = parseEvent;`,
    ctx,
  );
  return ctx.parseEvent as (d: unknown) => unknown;
}

describe("Link embed events", () => {
  it("accepts exactly the documented shapes and nothing else, in the page's validator and in link.js alike", () => {
    const script = scriptValidator();
    for (const e of good) {
      expect(parseLinkEvent(e), JSON.stringify(e)).toEqual(e);
      expect(JSON.parse(JSON.stringify(script(e))), JSON.stringify(e)).toEqual(e);
    }
    for (const e of bad) {
      expect(parseLinkEvent(e), JSON.stringify(e)).toBeNull();
      expect(script(e), JSON.stringify(e)).toBeNull();
    }
  });

  it("a message counts only from Latchkey's origin and from the window that was opened", () => {
    const frame = {};
    const other = {};
    const origin = "https://latchkey.example.com";
    const ready = { source: S, type: "ready" };
    expect(acceptLinkMessage({ origin, source: frame, data: ready }, { origin, source: frame })).toEqual(ready);
    expect(acceptLinkMessage({ origin, source: other, data: ready }, { origin, source: frame })).toBeNull();
    expect(acceptLinkMessage({ origin: "https://evil.example", source: frame, data: ready }, { origin, source: frame })).toBeNull();
    expect(acceptLinkMessage({ origin: `${origin}.evil.example`, source: frame, data: ready }, { origin, source: frame })).toBeNull();
    expect(acceptLinkMessage({ origin, source: null, data: ready }, { origin, source: null })).toBeNull();
    expect(acceptLinkMessage({ origin, source: frame, data: { ...ready, x: 1 } }, { origin, source: frame })).toBeNull();
  });

  it("embedding origins: exact, https or loopback http; membership is exact", () => {
    for (const ok of ["https://app.example.com", "https://app.example.com:8443", "http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:3000", "https://xn--bcher-kva.example"]) expect(isValidEmbedOrigin(ok), ok).toBe(true);
    for (const no of ["http://app.example.com", "https://app.example.com/", "https://app.example.com/x", "https://app.example.com:443", "https://APP.example.com", "https://*.example.com", "*", "null", "https://u@app.example.com", "file:///x", "data:text/html,x", "", "https://bücher.example", "http://localhost.evil.example"]) {
      expect(isValidEmbedOrigin(no), no).toBe(false);
    }
    const list = ["https://app.example.com"];
    expect(isAllowedOrigin("https://app.example.com", list)).toBe(true);
    for (const o of ["https://app.example.com.evil.example", "https://evil-app.example.com", "https://app.example.co", "", null, undefined]) expect(isAllowedOrigin(o, list), String(o)).toBe(false);
  });

  it("the embed URL carries the embedder's origin in the query and the token in the fragment; the bearer and CSP helpers are strict", () => {
    const u = new URL(embedLinkUrl("https://lk.example.com/", "lk_link_abc", "https://app.example.com"));
    expect(`${u.origin}${u.pathname}`).toBe("https://lk.example.com/link");
    expect(u.searchParams.get("embed_origin")).toBe("https://app.example.com");
    expect(u.search).not.toContain("lk_link_");
    expect(u.hash).toBe("#link_token=lk_link_abc");
    const secret = `lk_lsess_${"a1B2".repeat(10)}abc`;
    expect(readLinkBearer(`Bearer ${secret}`)).toBe(secret);
    for (const h of [`bearer ${secret}`, `Bearer ${secret}x`, `Bearer lk_link_${"a".repeat(43)}`, `Basic ${secret}`, "", null]) expect(readLinkBearer(h), String(h)).toBeNull();
    expect(linkFrameCsp()).toBe("frame-ancestors 'self'");
    expect(linkFrameCsp("https://app.example.com")).toBe("frame-ancestors 'self' https://app.example.com");
  });
});
