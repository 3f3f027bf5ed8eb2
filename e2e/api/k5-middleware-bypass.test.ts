// K5: the Next.js middleware-bypass header (CVE-2025-29927) must not open anything. Every route
// handler under app/ (except the public ones) is found on disk, so a new route is covered the
// day it is added; dashboard pages too. Runs on PGlite and on PostgreSQL.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, unknownId } from "../helpers/http";
import { cleanupTempDirs, ROOT, startServer, TEST_DB, type TestServer } from "../helpers/server";

const db = TEST_DB;
const APP = path.join(ROOT, "app");

const BYPASS_HEADERS = [
  "middleware:middleware:middleware:middleware:middleware",
  "middleware",
  "src/middleware:src/middleware:src/middleware:src/middleware:src/middleware",
  "proxy:proxy:proxy:proxy:proxy",
  "pages/_middleware",
];

/**
 * Public by design: sign-in itself, liveness, readiness, the API description; Link's token
 * redemption (the link token is the credential) and the OAuth callback (state and the Link
 * session cookie are checked inside). Link's other routes need the session cookie and are
 * probed below like every protected route.
 */
const PUBLIC = [/^\/api\/auth(\/|$)/, /^\/api\/health$/, /^\/api\/ready$/, /^\/api\/v1\/openapi\.json$/, /^\/api\/link\/redeem$/, /^\/oauth\/callback$/, /^\/oauth\/client-metadata\.json$/];

/** Every dashboard page (by its route pattern) and a URL that reaches it. */
const DASHBOARD_PAGES: Record<string, string> = {
  "/": "/",
  "/api-keys": "/api-keys",
  "/gateway-tokens": "/gateway-tokens",
  "/audit": "/audit",
  "/members": "/members",
  "/settings": "/settings",
  "/users": "/users",
  "/users/[id]": `/users/${unknownId("ru")}`,
  "/connectors": "/connectors",
  "/connectors/[slug]": "/connectors/github",
  "/link-demo": "/link-demo",
  "/tool-packs": "/tool-packs",
  "/mcp-servers": "/mcp-servers",
  "/agents": "/agents",
  "/tool-calls": "/tool-calls",
  "/alerts": "/alerts",
  "/sandbox": "/sandbox",
  "/tool-packs/[id]": `/tool-packs/${unknownId("tp")}`,
  "/mcp-servers/[id]/tools": `/mcp-servers/${unknownId("srv")}/tools`,
  "/webhooks": "/webhooks",
  "/webhooks/[id]": `/webhooks/${unknownId("whe")}`,
  "/outbox": "/outbox",
  "/outbox/[id]": `/outbox/${unknownId("eml")}`,
  "/security": "/security",
};

/** A valid-looking id for a dynamic segment, from the resource it follows (api-keys → key_…). */
const ID_PREFIX: Record<string, string> = { "api-keys": "key", members: "usr", invitations: "inv", environments: "env", organizations: "org", secrets: "sec", audit: "aud", "registered-users": "ru", connections: "conn", "gateway-tokens": "gwt", tokens: "ut", mcp: "tp", "webhook-endpoints": "whe", "webhook-deliveries": "whd", webhooks: "whe", "magic-links": "ml", outbox: "eml", "mcp-servers": "srv", agents: "agt", "agent-sessions": "ags", servers: "srv", sessions: "ags", alerts: "alrt", rules: "secr" };

function walk(dir: string, file: RegExp, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) walk(full, file, out);
    else if (file.test(e.name)) out.push(full);
  }
  return out;
}

/** app/(group)/api/v1/api-keys/[id]/route.ts → /api/v1/api-keys/key_… */
function urlOf(file: string): { pattern: string; url: string } {
  const segments = path.relative(APP, path.dirname(file)).split(path.sep).filter((s) => s && !/^\(.*\)$/.test(s) && !s.startsWith("@"));
  const pattern = `/${segments.join("/")}`;
  const url = segments
    .map((s, i) => {
      const m = /^\[{1,2}(\.\.\.)?([^\]]+)\]{1,2}$/.exec(s);
      if (!m) return s;
      if (m[1]) return "x/y";
      const prev = segments[i - 1] ?? "";
      return unknownId(ID_PREFIX[prev] ?? (prev.replace(/[^a-z]/g, "").slice(0, 3) || "id"));
    })
    .join("/");
  return { pattern, url: `/${url}` };
}

function methodsOf(file: string): string[] {
  const src = readFileSync(file, "utf8");
  const found = new Set<string>();
  for (const m of src.matchAll(/export\s+(?:const|let|async\s+function|function)\s+(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/g)) found.add(m[1]!);
  for (const m of src.matchAll(/export\s+const\s*\{([^}]*)\}/g)) {
    for (const name of m[1]!.split(",").map((s) => s.trim().split(/\s*:\s*/).pop()!)) {
      if (/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(name)) found.add(name);
    }
  }
  // `export { handler as GET, handler as POST };`
  for (const m of src.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const part of m[1]!.split(",")) {
      const name = part.trim().split(/\s+as\s+/).pop()!;
      if (/^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)$/.test(name)) found.add(name);
    }
  }
  return [...found];
}

const routes = walk(APP, /^route\.(ts|tsx|js|mjs)$/)
  .map((file) => ({ file: path.relative(ROOT, file), ...urlOf(file), methods: methodsOf(file) }))
  .filter((r) => !PUBLIC.some((re) => re.test(r.pattern)));

const pagesOnDisk = walk(path.join(APP, "(dashboard)"), /^page\.(tsx|ts|jsx|js)$/).map((f) => urlOf(f).pattern);

let server: TestServer;
let http: ReturnType<typeof client>;

beforeAll(async () => {
  server = await startServer({ db });
  http = client(server.url);
});

afterAll(async () => {
  await server?.stop();
  cleanupTempDirs();
});

describe(`K5: Next.js middleware bypass [${db}]`, () => {
  it("K5: the route enumeration finds the protected API routes (guards the test itself)", () => {
    const patterns = routes.map((r) => r.pattern);
    expect(patterns).toEqual(expect.arrayContaining(["/api/v1/api-keys", "/api/v1/api-keys/[id]", "/api/v1/api-keys/[id]/rotate"]));
    for (const r of routes) expect(r.methods.length, `${r.file} exports no HTTP method handler`).toBeGreaterThan(0);
    // Every dashboard page on disk is in the list below.
    expect(Object.keys(DASHBOARD_PAGES)).toEqual(expect.arrayContaining(pagesOnDisk));
  });

  it("K5: every protected route handler under app/**/route.ts answers 401 to x-middleware-subrequest without credentials", async () => {
    const checked: string[] = [];
    for (const r of routes) {
      for (const method of r.methods.filter((m) => m !== "OPTIONS" && m !== "HEAD")) {
        for (const value of BYPASS_HEADERS) {
          const res = await http.req(r.url, {
            method,
            headers: { "x-middleware-subrequest": value },
            ...(method === "GET" || method === "DELETE" ? {} : { json: { name: "k5", overlap_seconds: 0 } }),
          });
          const what = `${method} ${r.url} (${r.file}) with x-middleware-subrequest: ${value}`;
          expect(res.status, `${what} → ${res.status} ${res.text.slice(0, 200)}`).toBe(401);
          // API-key routes say invalid_api_key; instance URLs (the token is the credential) say unauthorized.
          expect(["invalid_api_key", "unauthorized"], what).toContain(res.body?.error?.code);
          checked.push(`${method} ${r.pattern}`);
        }
      }
    }
    expect(new Set(checked).size).toBeGreaterThanOrEqual(5);
  });

  it("K5: dashboard pages / /api-keys /audit /members /settings redirect to /login with the header and no cookies, and show no data", async () => {
    const adminEmail = server.env.LATCHKEY_ADMIN_EMAIL!;
    for (const page of Object.values(DASHBOARD_PAGES)) {
      for (const value of BYPASS_HEADERS) {
        const variants: Record<string, string>[] = [{}, { rsc: "1" }, { "next-router-prefetch": "1", rsc: "1" }];
        for (const extra of variants) {
          const headers = { "x-middleware-subrequest": value, ...extra };
          let res = await http.req(page, { headers });
          let location = res.headers.get("location");
          // An RSC request without its _rsc cache-busting parameter is first sent to the same page with it.
          if (location && new URL(location, server.url).pathname === page && new URL(location, server.url).searchParams.has("_rsc")) {
            const next = new URL(location, server.url);
            res = await http.req(`${next.pathname}${next.search}`, { headers });
            location = res.headers.get("location");
          }
          const what = `GET ${page} with x-middleware-subrequest: ${value} ${JSON.stringify(extra)} → ${res.status}`;
          if (res.status >= 300 && res.status < 400) {
            expect(new URL(location ?? "", server.url).pathname, what).toBe("/login");
          } else if (extra["next-router-prefetch"]) {
            // A prefetch answers with the route tree only; it must carry no data (checked below).
            expect(res.status, what).toBe(200);
          } else {
            // A streamed render (RSC payload) cannot change its status once started: the redirect is in the payload.
            expect(res.status, what).toBeLessThan(500);
            expect(res.text, what).toMatch(/NEXT_REDIRECT;[a-z]+;\/login;|<form[^>]*>[\s\S]*password/i);
          }
          expect(res.text, what).not.toContain(adminEmail);
          expect(res.text, what).not.toMatch(/env_[0-9a-z]{22}|org_[0-9a-z]{22}|lk_(live|test)_/);
        }
      }
    }
    // The login page itself is reachable (the redirect target works).
    const login = await http.get("/login");
    expect(login.status).toBe(200);
  });
});
