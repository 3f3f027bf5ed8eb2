import { createHmac } from "node:crypto";
import { mcpTerminatedSessions } from "@/db/schema";
import { eq } from "drizzle-orm";
import { sha256Hex } from "@/lib/crypto/tokens";
import type { McpSessionStore } from "@/lib/mcp/types";
import type { HotCache } from "@/lib/gateway/hot-cache";
import type { Runtime } from "@/lib/runtime";

const secrets = new Map<string, Uint8Array>();

/** Same on every replica (derived from AUTH_SECRET), so any replica verifies any session id. */
export function mcpSessionSecret(rt: Pick<Runtime, "authSecret">): Uint8Array {
  let s = secrets.get(rt.authSecret);
  if (!s) secrets.set(rt.authSecret, (s = createHmac("sha256", rt.authSecret).update("latchkey-mcp-session-v1").digest()));
  return s;
}

/**
 * Session ids verify themselves; only DELETE-ended ones are remembered, in the database. A
 * replica asks the database once per session and then remembers the answer; an ending
 * anywhere reaches it by notification (migration 0005).
 */
export function mcpSessionStore(rt: Pick<Runtime, "db"> & { cache?: HotCache }): McpSessionStore {
  return {
    async isTerminated(id) {
      const hash = sha256Hex(id);
      const known = rt.cache?.sessionState(hash);
      if (known) return known === "ended";
      const [row] = await rt.db.select({ h: mcpTerminatedSessions.sessionHash }).from(mcpTerminatedSessions).where(eq(mcpTerminatedSessions.sessionHash, hash));
      if (row) rt.cache?.sessionEnded(hash);
      else rt.cache?.sessionSeenLive(hash);
      return Boolean(row);
    },
    async terminate(id) {
      const hash = sha256Hex(id);
      await rt.db.insert(mcpTerminatedSessions).values({ sessionHash: hash }).onConflictDoNothing();
      rt.cache?.sessionEnded(hash);
    },
  };
}

/** The base URL users and agents see: LATCHKEY_PUBLIC_URL, else what this request came in on. */
export function publicBaseUrl(rt: Pick<Runtime, "env">, headers: { get(name: string): string | null }): string {
  if (rt.env.LATCHKEY_PUBLIC_URL) return rt.env.LATCHKEY_PUBLIC_URL.replace(/\/$/, "");
  const host = headers.get("x-forwarded-host") ?? headers.get("host") ?? `localhost:${rt.env.PORT}`;
  const proto = headers.get("x-forwarded-proto") ?? "http";
  return `${proto}://${host}`;
}
