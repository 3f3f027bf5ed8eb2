import { createHmac, hkdfSync } from "node:crypto";
import { and, eq, gt, inArray, lte, sql } from "drizzle-orm";
import { securityVaultCounters, securityVaultEntries, type Environment } from "@/db/schema";
import { seal, unseal } from "@/lib/crypto/vault";
import type { Runtime } from "@/lib/runtime";
import type { PlaceholderVault } from "@/lib/security";
import { findPlaceholderTokens, mapJsonStrings } from "@/lib/security/reversible";

/**
 * The database-backed reversible-redaction vault (issue 7 item 3): per registered user,
 * `(HMAC(user, kind, value)) → (placeholder, AES-GCM(value), expires_at)`. Lookups never use the
 * plaintext; the value is decrypted only to restore a placeholder the same user's agent sent
 * back. Retention is sliding: seeing the value again extends it. Numbers per (user, kind) come
 * from a counter and are never reused while the user exists, so an old `[EMAIL_1]` can never
 * come to mean another address.
 *
 * The user key given to the PlaceholderVault methods is the registered user id; the environment
 * is fixed per instance (every query carries it).
 */

type Rt = Pick<Runtime, "db" | "keyring" | "authSecret">;
type Env = Pick<Environment, "id" | "organizationId">;

const lookupKeys = new Map<string, Buffer>();
function lookupKey(authSecret: string): Buffer {
  let k = lookupKeys.get(authSecret);
  if (!k) {
    // Stable across replicas and key rotations (unlike the keyring's active key), separate from every other use of the secret.
    k = Buffer.from(hkdfSync("sha256", authSecret, "latchkey", "security vault lookup digest v1", 32));
    lookupKeys.set(authSecret, k);
  }
  return k;
}

/**
 * Placeholders this process stored or refreshed recently, by (environment, user, digest): a value
 * seen again within the first half of its window needs no query (its row still has at least half
 * the retention left), so warm calls that return the same addresses stay off the database.
 */
const recent = new Map<string, { placeholder: string; refreshAfter: number }>();
const MAX_RECENT = 100_000;

export class DbPlaceholderVault implements PlaceholderVault {
  constructor(
    private readonly rt: Rt,
    private readonly env: Env,
    private readonly ttlMs: number,
  ) {}

  lookupDigest(userKey: string, kind: string, value: string): string {
    return createHmac("sha256", lookupKey(this.rt.authSecret)).update(`${this.env.id}\u0000${userKey}\u0000${kind}\u0000${value}`).digest("base64url");
  }

  private aad(userKey: string, digest: string) {
    return { org: this.env.organizationId, env: this.env.id, table: "security_vault_entries", row: `${userKey}/${digest}`, field: "value" };
  }

  async placeholderFor(userKey: string, kind: string, value: string): Promise<string> {
    return (await this.placeholdersFor(userKey, [{ kind, value }]))[0]!;
  }

  async placeholdersFor(userKey: string, entries: readonly { kind: string; value: string }[]): Promise<string[]> {
    if (entries.length === 0) return [];
    const db = this.rt.db;
    const digests = entries.map((e) => this.lookupDigest(userKey, e.kind, e.value));
    const now = new Date();
    const memoKey = (d: string) => `${this.env.id}:${userKey}:${d}`;
    const memo = digests.map((d) => recent.get(memoKey(d)));
    if (memo.every((m) => m !== undefined && m.refreshAfter > now.getTime())) return memo.map((m) => m!.placeholder);
    const remember = (d: string, placeholder: string) => {
      if (recent.size >= MAX_RECENT) recent.clear();
      recent.set(memoKey(d), { placeholder, refreshAfter: now.getTime() + this.ttlMs / 2 });
    };
    const distinct = [...new Set(digests)];
    const expiresAt = new Date(now.getTime() + this.ttlMs);
    const where = (ds: string[]) => and(eq(securityVaultEntries.environmentId, this.env.id), eq(securityVaultEntries.registeredUserId, userKey), inArray(securityVaultEntries.lookupDigest, ds));
    const live = await db
      .update(securityVaultEntries)
      .set({ expiresAt })
      .where(and(where(distinct), gt(securityVaultEntries.expiresAt, now)))
      .returning({ digest: securityVaultEntries.lookupDigest, placeholder: securityVaultEntries.placeholder });
    const found = new Map(live.map((r) => [r.digest, r.placeholder]));
    // Retention: this user's expired rows go when new ones are written (no job needed, no extra query on a hit).
    if (found.size < distinct.length) {
      await db.delete(securityVaultEntries).where(and(eq(securityVaultEntries.environmentId, this.env.id), eq(securityVaultEntries.registeredUserId, userKey), lte(securityVaultEntries.expiresAt, now)));
    }
    for (let i = 0; i < entries.length; i++) {
      const d = digests[i]!;
      if (found.has(d)) continue;
      const e = entries[i]!;
      const placeholder = await db.transaction(async (tx) => {
        const [c] = await tx
          .insert(securityVaultCounters)
          .values({ environmentId: this.env.id, registeredUserId: userKey, kind: e.kind, lastNumber: 1 })
          .onConflictDoUpdate({ target: [securityVaultCounters.registeredUserId, securityVaultCounters.kind], set: { lastNumber: sql`${securityVaultCounters.lastNumber} + 1` } })
          .returning({ n: securityVaultCounters.lastNumber });
        const candidate = `[${e.kind}_${c!.n}]`;
        // Replace only an expired entry: a concurrent call that stored a live one for the same value wins.
        const [row] = await tx
          .insert(securityVaultEntries)
          .values({ environmentId: this.env.id, registeredUserId: userKey, lookupDigest: d, kind: e.kind, placeholder: candidate, ciphertext: seal(this.rt, e.value, this.aad(userKey, d)), expiresAt })
          .onConflictDoUpdate({
            target: [securityVaultEntries.registeredUserId, securityVaultEntries.lookupDigest],
            set: { placeholder: candidate, ciphertext: sql`excluded.ciphertext`, expiresAt, kind: e.kind },
            setWhere: lte(securityVaultEntries.expiresAt, now),
          })
          .returning({ placeholder: securityVaultEntries.placeholder });
        if (row) return row.placeholder;
        const [winner] = await tx.select({ placeholder: securityVaultEntries.placeholder }).from(securityVaultEntries).where(where([d]));
        return winner!.placeholder;
      });
      found.set(d, placeholder);
    }
    for (const [d, placeholder] of found) remember(d, placeholder);
    return digests.map((d) => found.get(d)!);
  }

  async restore<T>(userKey: string, args: T, kinds?: ReadonlySet<string>): Promise<T> {
    const wanted = new Set<string>();
    mapJsonStrings(args, (s) => {
      for (const t of findPlaceholderTokens(s)) if (!kinds || kinds.has(t.kind)) wanted.add(t.token);
      return null;
    });
    // No placeholder in the arguments: no query (the common case stays off the database).
    if (wanted.size === 0) return args;
    const rows = await this.rt.db
      .select()
      .from(securityVaultEntries)
      .where(
        and(
          eq(securityVaultEntries.environmentId, this.env.id),
          eq(securityVaultEntries.registeredUserId, userKey),
          inArray(securityVaultEntries.placeholder, [...wanted].slice(0, 1000)),
          gt(securityVaultEntries.expiresAt, new Date()),
        ),
      );
    if (rows.length === 0) return args;
    const values = new Map(rows.map((r) => [r.placeholder, unseal(this.rt, r.ciphertext, this.aad(userKey, r.lookupDigest))]));
    return mapJsonStrings(args, (s) => {
      const tokens = findPlaceholderTokens(s);
      let out = "";
      let pos = 0;
      for (const t of tokens) {
        const v = values.get(t.token);
        if (v === undefined) continue;
        out += s.slice(pos, t.start) + v;
        pos = t.end;
      }
      return pos === 0 ? null : out + s.slice(pos);
    });
  }
}
