import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

/** Sorted keys at every depth, so jsonb's own key order never changes a hash. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
}

export type ChainedFields = {
  seq: number;
  id: string;
  organizationId: string | null;
  environmentId: string | null;
  actorType: string;
  actorId: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  requestId: string | null;
  ip: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
};

/** row_hash = SHA-256(prev_hash ‖ canonical row) */
export function rowHash(prevHash: string, row: ChainedFields): string {
  const canonical = canonicalJson({
    seq: row.seq,
    id: row.id,
    organization_id: row.organizationId,
    environment_id: row.environmentId,
    actor_type: row.actorType,
    actor_id: row.actorId,
    action: row.action,
    target_type: row.targetType,
    target_id: row.targetId,
    request_id: row.requestId,
    ip: row.ip,
    metadata: row.metadata,
    created_at: row.createdAt,
  });
  return createHash("sha256").update(prevHash).update("\n").update(canonical).digest("hex");
}
