import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { encryptionKeys } from "@/db/schema";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { keyFingerprint, type Keyring } from "@/lib/crypto/keyring";
import { countSecretsByKid, reencryptSecretsBatch } from "@/lib/secrets/service";

/** Each encrypted column registers how to re-encrypt a batch and count rows per key id. */
const columns = [{ name: "secrets.value", batch: reencryptSecretsBatch, count: countSecretsByKid }];

export type RotationReport = { activeKid: string; reencrypted: number; failed: number; remainingByKid: Record<string, number> };

/**
 * Re-encrypts every stored value under the active key, online: batches, compare-and-swap
 * writes, no long transaction. Idempotent and resumable; run it again after a crash.
 */
export async function reencryptAll(
  db: Db,
  ring: Keyring,
  opts: { batchSize?: number; actor: Actor; onBatch?: (n: number) => void },
): Promise<RotationReport> {
  await db.insert(encryptionKeys).values({ kid: ring.activeKid, fingerprint: keyFingerprint(ring.keys.get(ring.activeKid)!) }).onConflictDoNothing();
  let reencrypted = 0;
  let failed = 0;
  for (const col of columns) {
    let after = "";
    for (;;) {
      const r = await col.batch(db, ring, after, opts.batchSize ?? 200);
      reencrypted += r.done;
      failed += r.failed;
      opts.onBatch?.(r.done);
      if (!r.lastId) break;
      after = r.lastId;
    }
  }
  const remainingByKid = await countByKid(db);
  delete remainingByKid[ring.activeKid];
  await recordAudit(db, {
    actor: opts.actor,
    action: "encryption_key.rotated",
    target: { type: "encryption_key", id: ring.activeKid },
    metadata: { reencrypted, failed, remaining_by_kid: remainingByKid },
  });
  return { activeKid: ring.activeKid, reencrypted, failed, remainingByKid };
}

export async function countByKid(db: Db): Promise<Record<string, number>> {
  const total: Record<string, number> = {};
  for (const col of columns) {
    for (const [kid, n] of Object.entries(await col.count(db))) total[kid] = (total[kid] ?? 0) + n;
  }
  return total;
}

/** A key may be retired only when nothing is encrypted under it any more. */
export async function retireKey(db: Db, ring: Keyring, kid: string, actor: Actor) {
  if (kid === ring.activeKid) return { ok: false as const, message: `"${kid}" is the active key; make another key active first` };
  const inUse = (await countByKid(db))[kid] ?? 0;
  if (inUse > 0) return { ok: false as const, message: `${inUse} stored value(s) still use "${kid}"; run rotate-encryption-key first` };
  const updated = await db
    .update(encryptionKeys)
    .set({ retiredAt: new Date() })
    .where(eq(encryptionKeys.kid, kid))
    .returning({ kid: encryptionKeys.kid });
  await recordAudit(db, { actor, action: "encryption_key.retired", target: { type: "encryption_key", id: kid } });
  return { ok: true as const, message: updated.length ? `retired "${kid}"; remove it from the keyring` : `"${kid}" was never recorded; nothing uses it` };
}

