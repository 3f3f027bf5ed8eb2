import { setFingerprintSecret } from "@/lib/crypto/fingerprint";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { migrateDb, openPglite, openPostgres, type Db, type DbHandle } from "@/db/client";
import { acquireLock } from "@/lib/data-dir-lock";
import type { Keyring } from "@/lib/crypto/keyring";
import { checkKeyring, loadKeyring } from "@/lib/crypto/keyring-store";
import { getEnv, type Env } from "@/lib/env";
import { log } from "@/lib/log";
import { HotCache } from "@/lib/gateway/hot-cache";
import { SharedRateLimiter } from "@/lib/rate-limit/shared-window";
import { bootstrap, type BootstrapResult } from "@/lib/orgs/bootstrap";
import { installAlertHooks } from "@/lib/alerts/security-events";
import { setAlertDatabase } from "@/lib/alerts/raise";
import { setSandboxSecret } from "@/lib/sandbox/hosted";

/**
 * Process-wide state: env, database, keyring. Held on globalThis because the custom server
 * and Next's route bundles load this module separately but must share one database handle
 * (PGlite admits a single opener).
 */
export type Runtime = {
  env: Env;
  handle: DbHandle;
  db: Db;
  keyring: Keyring;
  keyringSource: "env" | "file";
  authSecret: string;
  /** Why the vault is sealed (wrong or missing key); null when serving normally. */
  sealed: string | null;
  bootstrapped: BootstrapResult | null;
  dataDir: string;
  releaseLock?: () => void;
  /** The MCP hot path's in-process cache, invalidated by database notifications (DESIGN §8). */
  cache: HotCache;
  /** MCP rate limits: counted here, shared through the database off the request path. */
  limiter: SharedRateLimiter;
  unlisten?: () => Promise<void>;
};

export class BootError extends Error {}

const RUNTIME = Symbol.for("latchkey.runtime");
type Holder = { [RUNTIME]?: Promise<Runtime> };
const holder = globalThis as Holder;

function fileSecret(dataDir: string, name: string): string {
  const file = path.join(dataDir, name);
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  const value = randomBytes(32).toString("base64url");
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

export type StartOptions = { role: "server" | "cli"; bootstrap: boolean };

async function start(opts: StartOptions): Promise<Runtime> {
  const env = getEnv();
  installAlertHooks();
  const dataDir = path.resolve(env.LATCHKEY_DATA_DIR);
  const loaded = loadKeyring({ spec: env.LATCHKEY_ENCRYPTION_KEYS, embedded: env.embedded, dataDir });
  if (!loaded) {
    throw new BootError(
      "LATCHKEY_ENCRYPTION_KEYS is required when DATABASE_URL is set (kid:base64-32-bytes[,…]). " +
        "Generate one with: npm run cli -- generate-encryption-key",
    );
  }
  if (loaded.generated) {
    log.warn("no LATCHKEY_ENCRYPTION_KEYS set: generated an encryption key into the data directory", {
      file: path.join(dataDir, "encryption-keys"),
      hint: "back this file up; losing it loses every stored credential",
    });
  }
  let authSecret = env.AUTH_SECRET;
  if (!authSecret) {
    if (!env.embedded) throw new BootError("AUTH_SECRET is required when DATABASE_URL is set (32+ random characters)");
    authSecret = fileSecret(dataDir, "auth-secret");
  }

  setSandboxSecret(authSecret);
  setFingerprintSecret(authSecret);
  let releaseLock: (() => void) | undefined;
  let handle: DbHandle;
  if (env.embedded) {
    releaseLock = acquireLock(dataDir, { role: opts.role });
    handle = await openPglite(dataDir);
  } else {
    handle = await openPostgres(env.DATABASE_URL!, env.DATABASE_POOL_MAX);
  }

  const bootstrapped =
    (await migrateDb(handle, async () =>
      opts.bootstrap
        ? bootstrap(handle.db, {
            orgName: env.LATCHKEY_ORG_NAME,
            adminEmail: env.LATCHKEY_ADMIN_EMAIL,
            adminPassword: env.LATCHKEY_ADMIN_PASSWORD,
            demo: env.LATCHKEY_FIRST_RUN_DEMO ? { keyring: loaded.ring } : undefined,
          })
        : null,
    )) ?? null;

  const sealed = await checkKeyring(handle, loaded.ring);
  if (sealed) log.error("vault sealed: refusing to serve", { reason: sealed });

  setAlertDatabase(() => handle.db);
  const cache = new HotCache();
  const limiter = new SharedRateLimiter(() => handle.db);
  let unlisten: (() => Promise<void>) | undefined;
  if (opts.role === "server") {
    unlisten = await handle.listen(
      "latchkey_invalidate",
      (payload) => cache.onNotify(payload),
      () => cache.clear(),
    );
  }

  return {
    env,
    handle,
    db: handle.db,
    cache,
    limiter,
    ...(unlisten ? { unlisten } : {}),
    keyring: loaded.ring,
    keyringSource: loaded.source,
    authSecret,
    sealed,
    bootstrapped,
    dataDir,
    ...(releaseLock ? { releaseLock } : {}),
  };
}

export function startRuntime(opts: StartOptions): Promise<Runtime> {
  if (!holder[RUNTIME]) {
    holder[RUNTIME] = start(opts);
    holder[RUNTIME].catch(() => {
      delete holder[RUNTIME];
    });
  }
  return holder[RUNTIME];
}

/** The running process's runtime; started on first use when no server started it. */
export function getRuntime(): Promise<Runtime> {
  return holder[RUNTIME] ?? startRuntime({ role: "server", bootstrap: true });
}

export async function getDb(): Promise<Db> {
  return (await getRuntime()).db;
}

export async function stopRuntime(): Promise<void> {
  const p = holder[RUNTIME];
  if (!p) return;
  delete holder[RUNTIME];
  const rt = await p.catch(() => null);
  if (!rt) return;
  await rt.limiter.stop();
  await rt.unlisten?.().catch(() => {});
  await rt.handle.close().catch(() => {});
  rt.releaseLock?.();
}
