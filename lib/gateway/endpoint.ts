import { createHmac } from "node:crypto";
import { mcpTerminatedSessions } from "@/db/schema";
import { eq } from "drizzle-orm";
import { sha256Hex } from "@/lib/crypto/tokens";
import type { McpSessionStore } from "@/lib/mcp/types";
import type { Runtime } from "@/lib/runtime";

/** Same on every replica (derived from AUTH_SECRET), so any replica verifies any session id. */
export function mcpSessionSecret(rt: Pick<Runtime, "authSecret">): Uint8Array {
  return createHmac("sha256", rt.authSecret).update("latchkey-mcp-session-v1").digest();
}

/** Session ids verify themselves; only DELETE-ended ones are remembered, in the database. */
export function mcpSessionStore(rt: Pick<Runtime, "db">): McpSessionStore {
  return {
    async isTerminated(id) {
      const [row] = await rt.db.select({ h: mcpTerminatedSessions.sessionHash }).from(mcpTerminatedSessions).where(eq(mcpTerminatedSessions.sessionHash, sha256Hex(id)));
      return Boolean(row);
    },
    async terminate(id) {
      await rt.db.insert(mcpTerminatedSessions).values({ sessionHash: sha256Hex(id) }).onConflictDoNothing();
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
