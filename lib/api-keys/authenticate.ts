import type { Db } from "@/db/client";
import type { ApiKey, Environment } from "@/db/schema";
import { findApiKeyByHash, touchApiKey } from "@/db/queries/api-keys";
import { recordAudit } from "@/lib/audit/record";
import { parseApiKey } from "@/lib/crypto/tokens";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import { raiseAlert } from "@/lib/alerts/raise";
import { noteAuthFailure } from "@/lib/alerts/security-events";

export type ApiPrincipal = { apiKey: Pick<ApiKey, "id" | "name" | "mode">; environment: Environment };

// One message for every failure, so the answer says nothing about which check failed.
const INVALID = "The API key is missing, malformed, revoked or unknown.";
const invalid = () => new AppError({ code: "invalid_api_key", message: INVALID });

export function bearerToken(authorization: string | null): string | null {
  if (!authorization) return null;
  const m = /^Bearer[ \t]+(\S{1,200})[ \t]*$/i.exec(authorization);
  return m ? m[1]! : null;
}

/**
 * The one path every API key takes. Shape and checksum are checked before any database
 * access; lookup is by SHA-256 through a unique index; nothing here can throw anything but
 * an AppError for a bad key.
 */
export type ApiKeyLookup = {
  find(hash: string): Promise<Awaited<ReturnType<typeof findApiKeyByHash>>>;
  /** Whether to write last_used_at now (the hot path writes it at most once a minute per key). */
  shouldTouch?(keyId: string): boolean;
};

export async function authenticateApiKey(
  db: Db,
  input: { authorization: string | null; environmentHeader?: string | null; requestId?: string; ip?: string | null },
  lookup: ApiKeyLookup = { find: (hash) => findApiKeyByHash(db, hash) },
): Promise<ApiPrincipal> {
  const raw = bearerToken(input.authorization);
  if (!raw) throw invalid();
  const parsed = parseApiKey(raw);
  if (!parsed) throw invalid();
  const found = await lookup.find(parsed.hash);
  if (!found) throw invalid();
  const { key, environment } = found;
  const now = new Date();
  if (key.revokedAt || (key.expiresAt && key.expiresAt <= now)) {
    noteAuthFailure({ db }, { environmentId: environment.id, source: `api_key:${key.id}`, ip: input.ip ?? null });
    throw invalid();
  }

  const expectedMode = environment.kind === "production" ? "live" : "test";
  const headerMismatch = input.environmentHeader && input.environmentHeader !== environment.id;
  if (parsed.mode !== expectedMode || key.mode !== expectedMode || headerMismatch) {
    await recordAudit(db, {
      organizationId: environment.organizationId,
      environmentId: environment.id,
      actor: { type: "api_key", id: key.id },
      action: "security.environment_mismatch",
      target: { type: "api_key", id: key.id },
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      metadata: { presented_mode: parsed.mode, environment_kind: environment.kind, header_mismatch: Boolean(headerMismatch) },
    }).catch((err) => log.error("could not record environment mismatch", { err }));
    raiseAlert({ db }, {
      environmentId: environment.id,
      kind: "environment_mismatch",
      dedupKey: `environment_mismatch|api_key:${key.id}`,
      details: { source: `api_key:${key.id}`, presented_mode: parsed.mode, environment_kind: environment.kind, header_mismatch: Boolean(headerMismatch) },
    });
    throw new AppError({
      code: "environment_mismatch",
      message: headerMismatch
        ? "This API key belongs to a different environment than the one requested."
        : `This key does not belong to a ${parsed.mode === "live" ? "production" : "test"} environment.`,
    });
  }
  if (lookup.shouldTouch?.(key.id) ?? true) touchApiKey(db, environment.id, key.id).catch((err) => log.warn("could not record key use", { err }));
  return { apiKey: { id: key.id, name: key.name, mode: key.mode }, environment };
}
