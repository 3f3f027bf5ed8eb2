// B1: random and invalid bodies sent to every JSON API operation (taken from the same registry
// the OpenAPI document is built from) never produce a 5xx, a stack trace or a secret: the answer
// is always a typed 4xx (or a success for a body that happens to be valid).
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allOperations } from "@/lib/openapi/document";
import { leaksStack, unknownId } from "../helpers/http";
import { cleanupTempDirs, createApiKeyViaCli, startServer, TEST_DB, type CreatedKey, type TestServer } from "../helpers/server";

let server: TestServer;
let key: CreatedKey;

beforeAll(async () => {
  server = await startServer({ db: TEST_DB });
  key = await createApiKeyViaCli(server, "test", "fuzz");
}, 120_000);

afterAll(async () => {
  await server?.stop();
  cleanupTempDirs();
});

const PREFIX: Record<string, string> = { "api-keys": "key", "registered-users": "ru", connections: "conn", "tool-packs": "tp", "mcp-instances": "mcpi", "gateway-tokens": "gwt", tokens: "ut", "webhook-endpoints": "whe", "webhook-deliveries": "whd", "mcp-servers": "srv", agents: "agt", "agent-sessions": "ags", servers: "srv", alerts: "alrt", rules: "secr" };

/** A concrete URL for an operation path: unknown ids of the right prefix, real slugs where needed. */
function urlOf(path: string): string {
  const parts = path.split("/");
  return parts
    .map((seg, i) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return seg;
      if (m[1] === "slug") return "github";
      if (m[1] === "group") return "fuzz-group";
      if (m[1] === "name") return "github_list_issues";
      if (m[1] === "ru") return unknownId("ru");
      return unknownId(PREFIX[parts[i - 1] ?? ""] ?? "id");
    })
    .join("/");
}

const bodyOps = allOperations.filter((op) => op.body && op.method !== "get");
const ERROR_CODES = new Set(["validation_error", "invalid_json", "not_found", "conflict", "forbidden", "unsupported_media_type", "payload_too_large", "unauthorized_tool", "rate_limited"]);

describe(`B1: schema fuzzing of every JSON API [${TEST_DB}]`, () => {
  it("covers every operation with a JSON body", () => {
    expect(bodyOps.length).toBeGreaterThanOrEqual(12);
  });

  it("random JSON bodies, raw garbage and wrong types never get a 5xx, a stack trace or an untyped error", async () => {
    const garbage = fc.oneof(
      fc.json({ maxDepth: 4 }),
      fc.string({ maxLength: 200, unit: "binary" }),
      fc.dictionary(fc.constantFrom("name", "entries", "connector", "credentials", "origin_user_id", "tools", "arguments", "email", "metadata", "registered_user_id"), fc.anything({ maxDepth: 3 })).map((o) => JSON.stringify(o)),
    );
    let sent = 0;
    for (const op of bodyOps) {
      const url = `${server.url}${urlOf(op.path)}`;
      await fc.assert(
        fc.asyncProperty(garbage, async (body) => {
          const res = await fetch(url, { method: op.method.toUpperCase(), headers: { authorization: `Bearer ${key.secret}`, "content-type": "application/json" }, body });
          const text = await res.text();
          sent++;
          expect(res.status, `${op.method} ${op.path} with ${body.slice(0, 200)} → ${text.slice(0, 300)}`).toBeLessThan(500);
          expect(leaksStack(text)).toBeNull();
          expect(text).not.toContain(key.secret);
          if (res.status >= 400) expect(ERROR_CODES, `${op.method} ${op.path}: ${text.slice(0, 200)}`).toContain(JSON.parse(text).error.code);
        }),
        { numRuns: 12, seed: 20261122 },
      );
    }
    expect(sent).toBeGreaterThanOrEqual(bodyOps.length * 12);
  }, 180_000);
});
