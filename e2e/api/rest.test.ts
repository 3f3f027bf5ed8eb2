// REST conventions of the v1 API: request ids, error bodies, validation paths, body limits,
// cursor pagination, the OpenAPI document, and no stack trace in any body (the request helper
// checks every response of the suite for that). Runs on PGlite and on PostgreSQL.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, leaksStack, unknownId, type ApiResponse } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, ROOT, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

const db = TEST_DB;
const MAX_BODY = 2048;
let server: TestServer;
let http: ReturnType<typeof client>;
let key: CreatedKey;

beforeAll(async () => {
  server = await startServer({ db, env: { LATCHKEY_MAX_BODY_BYTES: String(MAX_BODY) } });
  http = client(server.url);
  key = await createApiKeyViaCli(server, "test", "rest");
});

afterAll(async () => {
  await server?.stop();
  cleanupTempDirs();
});

const ids = (page: { data: { id: string }[] }) => page.data.map((k) => k.id);

describe(`REST conventions [${db}]`, () => {
  it("X-Request-Id: minted when absent, a sane incoming one reused (header and error body), an insane one replaced", async () => {
    const a = await http.get("/api/v1/api-keys", { key: key.secret });
    const b = await http.get("/api/v1/api-keys", { key: key.secret });
    expect(a.headers.get("x-request-id")).toMatch(/^req_[0-9a-z]{22}$/);
    expect(a.headers.get("x-request-id")).not.toBe(b.headers.get("x-request-id"));

    const sane = "trace-0123456789:abc.DEF_x";
    const ok = await http.get("/api/v1/api-keys", { key: key.secret, headers: { "x-request-id": sane } });
    expect(ok.headers.get("x-request-id")).toBe(sane);
    const err = await http.get("/api/v1/api-keys", { headers: { "x-request-id": sane } });
    expect(err.status).toBe(401);
    expect(err.headers.get("x-request-id")).toBe(sane);
    expect(err.body.error.request_id).toBe(sane);
    const pub = await http.get("/api/health", { headers: { "x-request-id": sane } });
    expect(pub.headers.get("x-request-id")).toBe(sane);

    for (const insane of ["short", "has spaces in it", "x".repeat(101), "<script>alert(1)</script>", "id\twith\ttabs"]) {
      const r = await http.get("/api/v1/api-keys", { key: key.secret, headers: { "x-request-id": insane } });
      expect(r.headers.get("x-request-id"), insane).toMatch(/^req_[0-9a-z]{22}$/);
    }
  });

  it("errors have the shape {error:{code,message,request_id}}; 422 validation_error carries field paths", async () => {
    const empty = await http.post("/api/v1/api-keys", { key: key.secret, json: { name: "" } });
    expect(empty.status).toBe(422);
    expect(empty.body.error).toMatchObject({ code: "validation_error", message: expect.any(String), request_id: empty.headers.get("x-request-id") });
    expect(empty.body.error.issues[0].path).toBe("name");
    expect(empty.headers.get("content-type")).toMatch(/^application\/json/);

    const unknownField = await http.post("/api/v1/api-keys", { key: key.secret, json: { name: "ok", admin: true } });
    expect(unknownField.status).toBe(422);
    expect(unknownField.body.error.code).toBe("validation_error");
    expect(JSON.stringify(unknownField.body.error.issues)).toContain("admin");

    const cases: [method: string, url: string, json: unknown, path: string][] = [
      ["POST", "/api/v1/api-keys", { name: 5 }, "name"],
      ["POST", "/api/v1/api-keys", { name: "x".repeat(101) }, "name"],
      ["POST", "/api/v1/api-keys", { name: "past", expires_at: "2001-01-01T00:00:00Z" }, "expires_at"],
      ["POST", "/api/v1/api-keys", { name: "bad date", expires_at: "tomorrow" }, "expires_at"],
      ["POST", `/api/v1/api-keys/${unknownId("key")}/rotate`, { overlap_seconds: -1 }, "overlap_seconds"],
      ["POST", `/api/v1/api-keys/${unknownId("key")}/rotate`, { overlap_seconds: "60" }, "overlap_seconds"],
      ["GET", "/api/v1/api-keys?limit=0", undefined, "limit"],
      ["GET", "/api/v1/api-keys?limit=101", undefined, "limit"],
      ["GET", "/api/v1/api-keys?limit=abc", undefined, "limit"],
      ["GET", "/api/v1/api-keys?include_revoked=maybe", undefined, "include_revoked"],
      ["GET", "/api/v1/api-keys?cursor=!!!", undefined, "cursor"],
      ["GET", `/api/v1/api-keys?cursor=${Buffer.from("not-an-id").toString("base64url")}`, undefined, "cursor"],
      ["GET", "/api/v1/api-keys/not-an-id", undefined, "id"],
      ["GET", `/api/v1/api-keys/${unknownId("env")}`, undefined, "id"],
    ];
    for (const [method, url, json, want] of cases) {
      const r = await http.req(url, { method, key: key.secret, ...(json !== undefined ? { json } : {}) });
      expect(r.status, `${method} ${url} ${JSON.stringify(json)}`).toBe(422);
      expect(r.body.error.code).toBe("validation_error");
      expect(r.body.error.issues.map((i: { path: string }) => i.path), `${method} ${url}`).toContain(want);
    }
    // Not an object at all.
    const arr = await http.post("/api/v1/api-keys", { key: key.secret, json: [] });
    expect(arr.status).toBe(422);

    // Strings PostgreSQL cannot store (NUL; an unpaired surrogate in jsonb) are the client's error, not a 500.
    for (const raw of ['{"name":"a\\u0000b"}', '{"name":"\\ud800"}', '{"name":"x\\udc00"}']) {
      const r = await http.post("/api/v1/api-keys", { key: key.secret, raw, headers: { "content-type": "application/json" } });
      expect(r.status, raw).toBe(422);
      expect(r.body.error.issues[0].path).toBe("name");
    }
    const emoji = await http.post("/api/v1/api-keys", { key: key.secret, json: { name: "bot 🤖 – ünïcödé" } });
    expect(emoji.status).toBe(201);
    expect(emoji.body.name).toBe("bot 🤖 – ünïcödé");
  });

  it("invalid JSON → 400 invalid_json; a non-JSON content type → 415", async () => {
    for (const raw of ['{"name":', "{name: 'x'}", "nul", '{"name":"x"}}']) {
      const r = await http.post("/api/v1/api-keys", { key: key.secret, raw, headers: { "content-type": "application/json" } });
      expect(r.status, raw).toBe(400);
      expect(r.body.error.code).toBe("invalid_json");
    }
    const form = await http.post("/api/v1/api-keys", { key: key.secret, raw: "name=x", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe("unsupported_media_type");
  });

  it(`a body over LATCHKEY_MAX_BODY_BYTES (${MAX_BODY}) → 413 payload_too_large, whether declared or streamed`, async () => {
    const big = JSON.stringify({ name: "x".repeat(MAX_BODY + 500) });
    const declared = await http.post("/api/v1/api-keys", { key: key.secret, raw: big, headers: { "content-type": "application/json" } });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe("payload_too_large");

    // Chunked, no Content-Length: the limit holds while the stream is read.
    const chunk = new TextEncoder().encode("x".repeat(512));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"name":"'));
      },
      pull(c) {
        if (sent > MAX_BODY * 4) {
          c.enqueue(new TextEncoder().encode('"}'));
          c.close();
          return;
        }
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const res = await fetch(`${server.url}/api/v1/api-keys`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit & { duplex: "half" });
    const text = await res.text();
    expect(res.status).toBe(413);
    expect(JSON.parse(text).error.code).toBe("payload_too_large");
    expect(leaksStack(text)).toBeNull();

    // The rejected stream did not poison the connection pool: the next request on it is answered
    // at once (it used to hang until the keep-alive timeout and then be reset).
    // Just under the limit the body is read and validated as usual.
    const under = JSON.stringify({ name: "y".repeat(MAX_BODY - 100) });
    expect(Buffer.byteLength(under)).toBeLessThanOrEqual(MAX_BODY);
    const r = await http.post("/api/v1/api-keys", { key: key.secret, raw: under, headers: { "content-type": "application/json" } });
    expect(r.status).toBe(422);
    // And the server is fine afterwards.
    expect((await http.get("/api/v1/api-keys?limit=1", { key: key.secret })).status).toBe(200);
  });

  it("cursor pagination: 25 keys read with limit=10 come back exactly once each, newest first", async () => {
    const created: string[] = [];
    for (let i = 0; i < 25; i++) {
      const r = await http.post("/api/v1/api-keys", { key: key.secret, json: { name: `page-${i}` } });
      expect(r.status).toBe(201);
      created.push(r.body.id);
    }
    const everything = await http.get("/api/v1/api-keys?limit=100", { key: key.secret });
    const expected = ids(everything.body);
    expect(expected.length).toBeGreaterThanOrEqual(26);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r: ApiResponse = await http.get(`/api/v1/api-keys?limit=10${cursor ? `&cursor=${cursor}` : ""}`, { key: key.secret });
      expect(r.status).toBe(200);
      expect(r.body.data.length).toBeLessThanOrEqual(10);
      pages++;
      seen.push(...ids(r.body));
      expect(r.body.has_more).toBe(r.body.next_cursor !== null);
      if (r.body.has_more) expect(r.body.data).toHaveLength(10);
      cursor = r.body.next_cursor;
      expect(pages).toBeLessThan(20);
    } while (cursor);
    expect(pages).toBe(Math.ceil(expected.length / 10));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
    expect(seen.filter((id) => created.includes(id))).toEqual([...created].reverse());
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it("OpenAPI: /api/v1/openapi.json is a 3.1.0 document with the api-keys paths and component schemas, every $ref resolves, and it documents exactly the v1 route handlers", async () => {
    const r = await http.get("/api/v1/openapi.json");
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(Object.keys(doc.paths["/api/v1/api-keys"]).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/api/v1/api-keys/{id}"]).sort()).toEqual(["delete", "get"]);
    expect(Object.keys(doc.paths["/api/v1/api-keys/{id}/rotate"])).toEqual(["post"]);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: "http", scheme: "bearer" });
    expect(doc.components.schemas).toHaveProperty("Error");

    // Every $ref is a JSON pointer into this document and resolves.
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === "object") {
        for (const [k, v] of Object.entries(node)) {
          if (k === "$ref" && typeof v === "string") refs.push(v);
          else walk(v);
        }
      }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(0);
    const resolve = (ref: string) =>
      ref
        .replace(/^#\//, "")
        .split("/")
        .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"))
        .reduce<any>((node, part) => (node == null ? undefined : node[part]), doc);
    const dangling = [...new Set(refs)].filter((ref) => !ref.startsWith("#/") || resolve(ref) === undefined);
    expect(dangling, "unresolvable $refs").toEqual([]);
    // The API key objects are named component schemas, shared by the operations.
    for (const name of ["ApiKey", "CreatedApiKey"]) expect(doc.components.schemas, name).toHaveProperty(name);
    const listItem = doc.paths["/api/v1/api-keys"].get.responses["200"].content["application/json"].schema;
    expect(JSON.stringify(listItem)).toContain("#/components/schemas/ApiKey");
    const apiKeyProps = Object.keys(resolve("#/components/schemas/ApiKey").properties ?? {});
    expect(apiKeyProps).toEqual(expect.arrayContaining(["id", "name", "environment_id", "mode", "prefix", "status"]));
    expect(apiKeyProps).not.toContain("secret");

    // Operation ids are unique; every API-key operation documents 401 with the Error schema.
    const ops = Object.values(doc.paths).flatMap((p: any) => Object.values(p)) as any[];
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
    for (const op of ops) {
      expect(op.responses["401"]?.content["application/json"].schema.$ref, op.operationId).toBe("#/components/schemas/Error");
    }

    // The document and the route handlers under app/api/v1 agree, method for method.
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item as object).map((m) => `${m.toUpperCase()} ${p}`)));
    const implemented = new Set<string>();
    const v1 = path.join(ROOT, "app", "api", "v1");
    const visit = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) visit(full);
        else if (/^route\.(ts|tsx|js)$/.test(e.name)) {
          const url = `/api/v1/${path.relative(v1, dir).split(path.sep).join("/")}`.replace(/\/$/, "").replace(/\[([^\]]+)\]/g, "{$1}");
          if (url === "/api/v1/openapi.json") continue;
          const src = readFileSync(full, "utf8");
          for (const m of src.matchAll(/export\s+(?:const|async\s+function|function)\s+(GET|POST|PUT|PATCH|DELETE)\b/g)) implemented.add(`${m[1]} ${url}`);
        }
      }
    };
    visit(v1);
    expect([...implemented].sort()).toEqual([...documented].sort());
  });

  it("no response body contains a stack trace, and odd requests are answered without a 5xx", async () => {
    const odd: [method: string, url: string, init?: { raw?: string; headers?: Record<string, string> }][] = [
      ["GET", "/api/v1/api-keys/%E0%A4%A"],
      ["GET", "/api/v1/api-keys/%ZZ"],
      ["GET", "/api/v1/api-keys?limit=%E0%A4%A"],
      ["GET", "/api/v1/api-keys?limit=1e309"],
      ["GET", "/api/v1/api-keys?limit=5&limit=6"],
      ["PUT", "/api/v1/api-keys"],
      ["PATCH", `/api/v1/api-keys/${unknownId("key")}`],
      ["GET", "/api/v1/does-not-exist"],
      ["GET", `/api/v1/api-keys/${"a".repeat(3000)}`],
      ["POST", "/api/v1/api-keys", { raw: "\u0000\u0001\u0002", headers: { "content-type": "application/json" } }],
      ["POST", "/api/v1/api-keys", { raw: '{"name":"\\ud800"}', headers: { "content-type": "application/json" } }],
      ["POST", "/api/v1/api-keys", { raw: `${"[".repeat(5000)}${"]".repeat(5000)}`.slice(0, MAX_BODY), headers: { "content-type": "application/json" } }],
      ["POST", "/api/v1/api-keys", { raw: '{"name":"x","__proto__":{"admin":true}}', headers: { "content-type": "application/json" } }],
      ["GET", "/api/v1/api-keys", { headers: { "latchkey-environment": "../../etc/passwd" } }],
    ];
    for (const [method, url, init] of odd) {
      // With and without a valid key; the helper fails on any stack trace in a body.
      for (const withKey of [true, false]) {
        const r = await http.req(url, { method, ...(withKey ? { key: key.secret } : {}), ...(init?.raw !== undefined ? { raw: init.raw } : {}), headers: init?.headers ?? {} });
        expect(r.status, `${method} ${url.slice(0, 80)} (key: ${withKey}) → ${r.status} ${r.text.slice(0, 200)}`).toBeLessThan(500);
        if (r.body?.error) expect(Object.keys(r.body.error)).toEqual(expect.arrayContaining(["code", "message", "request_id"]));
      }
    }
    // A path that does not percent-decode is the client's error.
    for (const url of ["/api/v1/api-keys/%E0%A4%A", "/api/v1/api-keys/%ZZ", "/%C0"]) {
      const r = await http.get(url, { key: key.secret, headers: { "x-request-id": "malformed-url-1" } });
      expect(r.status, url).toBe(400);
      expect(r.body.error).toMatchObject({ code: "bad_request", request_id: "malformed-url-1" });
    }
    expect((await http.get("/api/health")).status).toBe(200);
    expect(leaksStack(server.logs().replace(/"where":"[^"]*"/g, ""))).toBeNull();
  });
});
