import * as z from "zod";
import { AppError, issuesFromZod, validationError } from "@/lib/errors";
import { createId } from "@/lib/ids";

const INCOMING_ID = /^[A-Za-z0-9._:-]{8,100}$/;

/** Reuse the caller's X-Request-Id when it is sane (so traces join up), else mint one. */
export function requestIdFrom(req: Request): string {
  return requestIdFromHeader(req.headers.get("x-request-id"));
}

export function requestIdFromHeader(incoming: string | null | undefined): string {
  return incoming && INCOMING_ID.test(incoming) ? incoming : createId("request");
}

/**
 * The client address. X-Forwarded-For is trusted only for the number of proxy hops the
 * operator configured; otherwise a caller could pick any address (and reset a limit).
 */
export function clientIp(req: Request, trustedHops: number, socketIp?: string | null): string | null {
  if (trustedHops > 0) {
    const chain = (req.headers.get("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const idx = chain.length - trustedHops;
    if (idx >= 0 && chain[idx]) return chain[idx]!.slice(0, 100);
  }
  return socketIp ?? req.headers.get("x-latchkey-peer") ?? null;
}

/** Reads the body with a hard cap: the declared length is checked first, the stream as it arrives. */
export async function readBodyText(req: Request, maxBytes: number): Promise<string> {
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  const tooLarge = () =>
    new AppError({ code: "payload_too_large", message: `The request body is larger than ${maxBytes} bytes.` });
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!req.body) return "";
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export async function parseJsonBody<S extends z.ZodType>(req: Request, schema: S, maxBytes: number): Promise<z.output<S>> {
  const ctype = req.headers.get("content-type") ?? "";
  const text = await readBodyText(req, maxBytes);
  if (text.trim() === "") return parseWith(schema, {});
  if (ctype && !/^application\/([a-z.+-]*\+)?json\b/i.test(ctype)) {
    throw new AppError({ code: "unsupported_media_type", message: "Send the body as application/json." });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new AppError({ code: "invalid_json", message: "The request body is not valid JSON." });
  }
  const bad = unstorableStringPath(data);
  if (bad !== null) {
    throw validationError([{ path: bad, message: "must not contain NUL characters or unpaired UTF-16 surrogates", code: "invalid_string" }]);
  }
  return parseWith(schema, data);
}

// PostgreSQL text cannot hold U+0000, and jsonb rejects an unpaired surrogate: such a string
// would fail at the INSERT as a 500. Found here, it is the client's 422 with a field path.
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

type PathNode = { key: string; parent: PathNode | null } | null;

function unstorableStringPath(root: unknown): string | null {
  // Iterative, with parent links instead of copied paths: a body may nest deeper than the call
  // stack goes, and copying the path at each level would be quadratic.
  const pathOf = (node: PathNode) => {
    const parts: string[] = [];
    for (let n = node; n; n = n.parent) parts.unshift(n.key);
    return parts.join(".");
  };
  const stack: [unknown, PathNode][] = [[root, null]];
  while (stack.length) {
    const [value, node] = stack.pop()!;
    if (typeof value === "string") {
      if (UNSTORABLE.test(value)) return pathOf(node);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push([value[i], { key: String(i), parent: node }]);
    } else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value).reverse()) {
        if (UNSTORABLE.test(k)) return pathOf({ key: k, parent: node });
        stack.push([v, { key: k, parent: node }]);
      }
    }
  }
  return null;
}

export function parseWith<S extends z.ZodType>(schema: S, data: unknown): z.output<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw validationError(issuesFromZod(r.error.issues));
  return r.data;
}

export function parseQuery<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const url = new URL(req.url);
  const obj: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key);
    obj[key] = all.length > 1 ? all : all[0]!;
  }
  return parseWith(schema, obj);
}
