import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AppError } from "@/lib/errors";
import { errorResponse, json } from "@/lib/http/respond";

// These tests read what the logger writes; make sure a shell setting cannot silence it.
beforeAll(() => {
  vi.stubEnv("LATCHKEY_LOG_LEVEL", "info");
});

let stderr: string[] = [];
function muteStderr() {
  stderr = [];
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  });
}
afterEach(() => {
  vi.restoreAllMocks();
});

describe("errorResponse", () => {
  it("an unknown Error becomes a generic 500 internal_error with a request id and nothing of the original", async () => {
    muteStderr();
    const original = new Error("connect ECONNREFUSED 10.0.0.5:5432 password=hunter2 for lk_live_SECRETSECRETSECRETSECRET1234");
    const res = errorResponse(original, "req_abc123");
    expect(res.status).toBe(500);
    expect(res.headers.get("x-request-id")).toBe("req_abc123");
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const text = await res.text();
    const body = JSON.parse(text) as { error: Record<string, unknown> };
    expect(body.error.code).toBe("internal_error");
    expect(body.error.request_id).toBe("req_abc123");
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "request_id"]);
    for (const leak of ["ECONNREFUSED", "10.0.0.5", "hunter2", "lk_live_", "stack", "at "]) expect(text).not.toContain(leak);
    // Logged for the operator, with credentials masked.
    const logged = stderr.join("");
    expect(logged).toContain("req_abc123");
    expect(logged).toContain("ECONNREFUSED");
    expect(logged).not.toContain("hunter2");
    expect(logged).not.toContain("SECRETSECRETSECRETSECRET1234");
  });

  it("non-Error throwables are handled the same way", async () => {
    muteStderr();
    const res = errorResponse("a string with details", "req_1");
    expect(res.status).toBe(500);
    expect(await res.text()).not.toContain("a string with details");
  });

  it("an AppError keeps its code, status, issues; rate limits get Retry-After; key errors get WWW-Authenticate", async () => {
    const v = errorResponse(new AppError({ code: "validation_error", message: "bad", issues: [{ path: "a.b", message: "m" }] }), "req_2");
    expect(v.status).toBe(422);
    expect(await v.json()).toEqual({ error: { code: "validation_error", message: "bad", issues: [{ path: "a.b", message: "m" }], request_id: "req_2" } });

    const r = errorResponse(new AppError({ code: "rate_limited", message: "slow down", retryAfter: 12.2 }), "req_3");
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBe("13");

    const k = errorResponse(new AppError({ code: "invalid_api_key", message: "no" }), "req_4");
    expect(k.status).toBe(401);
    expect(k.headers.get("www-authenticate")).toContain("Bearer");

    const cause = new AppError({ code: "not_found", message: "Thing not found.", cause: new Error("row 42 in table secret_stuff") });
    expect(await errorResponse(cause, "req_5").text()).not.toContain("secret_stuff");
  });

  it("json() sets status, JSON content type and no-store", async () => {
    const res = json({ a: 1 }, { status: 201, requestId: "req_x" });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ a: 1 });
  });
});
