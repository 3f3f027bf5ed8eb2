import * as z from "zod";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { clientIp, parseJsonBody, parseQuery, readBodyText, requestIdFrom } from "@/lib/http/request";

const URL_ = "http://localhost/api/v1/things";

async function errorOf(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    return err as AppError;
  }
  throw new Error("expected an AppError");
}

/** A body that arrives in chunks, with no Content-Length; counts how much was pulled. */
function streamingRequest(chunks: number, chunkSize: number) {
  const pulled = { chunks: 0 };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.chunks >= chunks) return controller.close();
      pulled.chunks++;
      controller.enqueue(new Uint8Array(chunkSize).fill(0x61));
    },
  });
  const req = new Request(URL_, { method: "POST", body, duplex: "half" } as RequestInit & { duplex: "half" });
  return { req, pulled };
}

describe("readBodyText", () => {
  it("reads a body within the limit", async () => {
    expect(await readBodyText(new Request(URL_, { method: "POST", body: "hello" }), 5)).toBe("hello");
    expect(await readBodyText(new Request(URL_), 5)).toBe("");
  });

  it("rejects a declared Content-Length over the limit with 413 payload_too_large", async () => {
    const req = new Request(URL_, { method: "POST", body: "x", headers: { "content-length": "1048577" } });
    const err = await errorOf(readBodyText(req, 1024 * 1024));
    expect(err.code).toBe("payload_too_large");
    expect(err.status).toBe(413);
  });

  it("rejects a streamed body (no Content-Length) once it passes the limit, without reading it all", async () => {
    const { req, pulled } = streamingRequest(1000, 1024);
    const err = await errorOf(readBodyText(req, 4096));
    expect(err.code).toBe("payload_too_large");
    expect(err.status).toBe(413);
    expect(pulled.chunks).toBeLessThan(10);
    // Exactly at the limit is fine.
    expect(await readBodyText(streamingRequest(4, 1024).req, 4096)).toHaveLength(4096);
  });

  it("counts bytes, not characters", async () => {
    const err = await errorOf(readBodyText(new Request(URL_, { method: "POST", body: "€€" }), 5));
    expect(err.code).toBe("payload_too_large");
  });
});

describe("parseJsonBody", () => {
  const schema = z.strictObject({
    name: z.string().min(1),
    entries: z.array(z.object({ tools: z.array(z.string()) })),
  });
  const post = (body: string, ctype = "application/json") => new Request(URL_, { method: "POST", body, headers: { "content-type": ctype } });

  it("parses valid JSON through the schema", async () => {
    expect(await parseJsonBody(post('{"name":"a","entries":[{"tools":["x"]}]}'), schema, 1024)).toEqual({ name: "a", entries: [{ tools: ["x"] }] });
    expect(await parseJsonBody(post('{"name":"a","entries":[]}', "application/vnd.api+json"), schema, 1024)).toMatchObject({ name: "a" });
  });

  it("invalid JSON is invalid_json (400)", async () => {
    const err = await errorOf(parseJsonBody(post('{"name": '), schema, 1024));
    expect(err.code).toBe("invalid_json");
    expect(err.status).toBe(400);
  });

  it("schema failures are validation_error (422) with dotted field paths", async () => {
    const err = await errorOf(parseJsonBody(post('{"name":"","entries":[{"tools":["ok", 5]}],"extra":1}'), schema, 1024));
    expect(err.code).toBe("validation_error");
    expect(err.status).toBe(422);
    const paths = err.issues!.map((i) => i.path);
    expect(paths).toContain("name");
    expect(paths).toContain("entries.0.tools.1");
    expect(err.issues!.some((i) => i.code === "unrecognized_keys")).toBe(true);
    expect(err.toBody("req_1").error).toMatchObject({ code: "validation_error", request_id: "req_1" });
  });

  it("a non-JSON content type is unsupported_media_type; an empty body is validated as {}", async () => {
    expect((await errorOf(parseJsonBody(post('{"name":"a","entries":[]}', "text/plain"), schema, 1024))).code).toBe("unsupported_media_type");
    const err = await errorOf(parseJsonBody(post(""), schema, 1024));
    expect(err.code).toBe("validation_error");
    expect(err.issues!.map((i) => i.path).sort()).toEqual(["entries", "name"]);
  });

  it("an oversize JSON body is payload_too_large before parsing", async () => {
    expect((await errorOf(parseJsonBody(post(JSON.stringify({ name: "a".repeat(2000), entries: [] })), schema, 1024))).code).toBe("payload_too_large");
  });
});

describe("request helpers", () => {
  it("parseQuery keeps repeated parameters as arrays and validates", () => {
    const schema = z.object({ tag: z.union([z.string(), z.array(z.string())]), limit: z.coerce.number().int().max(100) });
    expect(parseQuery(new Request(`${URL_}?tag=a&tag=b&limit=5`), schema)).toEqual({ tag: ["a", "b"], limit: 5 });
    expect(() => parseQuery(new Request(`${URL_}?tag=a&limit=500`), schema)).toThrow(AppError);
  });

  it("requestIdFrom reuses a sane X-Request-Id and replaces anything else", () => {
    expect(requestIdFrom(new Request(URL_, { headers: { "x-request-id": "trace-12345678" } }))).toBe("trace-12345678");
    for (const bad of ["short", "has space in it", "<script>alert(1)</script>", "x".repeat(101)]) {
      expect(requestIdFrom(new Request(URL_, { headers: { "x-request-id": bad } }))).toMatch(/^req_[0-9a-z]{22}$/);
    }
  });

  it("clientIp trusts X-Forwarded-For only for the configured number of hops", () => {
    const req = new Request(URL_, { headers: { "x-forwarded-for": "1.1.1.1, 2.2.2.2, 3.3.3.3" } });
    expect(clientIp(req, 0, "9.9.9.9")).toBe("9.9.9.9");
    expect(clientIp(req, 1, "9.9.9.9")).toBe("3.3.3.3");
    expect(clientIp(req, 2, "9.9.9.9")).toBe("2.2.2.2");
    expect(clientIp(req, 5, "9.9.9.9")).toBe("9.9.9.9");
  });
});
