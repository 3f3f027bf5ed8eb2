import type { SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

type Handler = (req: SandboxRequest, params: Record<string, string>) => SandboxResponse | Promise<SandboxResponse>;

/** A tiny method + path-pattern router (`/repos/:owner/:repo/issues`). */
export class SandboxRouter {
  private routes: { method: string; re: RegExp; keys: string[]; handler: Handler }[] = [];

  on(method: string, pattern: string, handler: Handler): this {
    const keys: string[] = [];
    const re = new RegExp(
      `^${pattern.replace(/\/:([A-Za-z_]+)(\+)?/g, (_m, key: string, plus?: string) => {
        keys.push(key);
        return plus ? "/(.+)" : "/([^/]+)";
      })}/?$`,
    );
    this.routes.push({ method: method.toUpperCase(), re, keys, handler });
    return this;
  }

  async dispatch(req: SandboxRequest): Promise<SandboxResponse | null> {
    let pathMatched = false;
    for (const r of this.routes) {
      const m = r.re.exec(req.path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== req.method.toUpperCase()) continue;
      const params = Object.fromEntries(r.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]));
      return r.handler(req, params);
    }
    return pathMatched ? { status: 405, body: { message: "Method not allowed" } } : null;
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): SandboxResponse => ({ status, body, ...(headers ? { headers } : {}) });

export function bearer(req: SandboxRequest): string | null {
  const m = /^(?:Bearer|token)\s+(\S+)$/i.exec(req.headers.authorization ?? "");
  return m ? m[1]! : null;
}

export const defaultAuthorize = (credential: string) => credential.length > 0 && !/^(expired_|revoked_)/.test(credential);

let counter = 0;
/** Sandbox ids: deterministic enough to read, unique per process. */
export const sandboxId = (prefix = "") => `${prefix}${Date.now().toString(36)}${(counter++).toString(36)}`;
