import { userInfo } from "node:os";
import { randomBytes } from "node:crypto";
import { and, asc, eq } from "drizzle-orm";
import * as z from "zod";
import { environments, memberships, organizations, roles } from "@/db/schema";
import { migrateDb } from "@/db/client";
import { createApiKey, toApiKeyOut } from "@/lib/api-keys/service";
import { recordAudit, type Actor } from "@/lib/audit/record";
import { verifyAuditLog } from "@/lib/audit/verify";
import { formatKeyring, generateKey } from "@/lib/crypto/keyring";
import { writeKeyringFile } from "@/lib/crypto/keyring-store";
import { reencryptAll, retireKey } from "@/lib/crypto/rotation";
import { base62 } from "@/lib/crypto/tokens";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser, findUserByEmail, setUserPassword } from "@/lib/orgs/users";
import type { Runtime } from "@/lib/runtime";

export type CommandResult = { ok: boolean; text: string; json: Record<string, unknown> };
type Flags = Record<string, string | boolean>;

export class UsageError extends Error {}

const cliActor = (): Actor => ({ type: "cli", id: (() => { try { return userInfo().username; } catch { return "operator"; } })() });

function flagSchema<S extends z.ZodRawShape>(shape: S) {
  return (flags: Flags) => {
    const r = z.strictObject({ json: z.boolean().optional(), ...shape }).safeParse(flags);
    if (!r.success) throw new UsageError(r.error.issues.map((i) => `--${i.path.join(".") || "?"}: ${i.message}`).join("; "));
    return r.data;
  };
}

async function orgFor(rt: Runtime, orgId: string | undefined) {
  const [org] = orgId
    ? await rt.db.select().from(organizations).where(eq(organizations.id, orgId))
    : await rt.db.select().from(organizations).orderBy(asc(organizations.createdAt)).limit(1);
  if (!org) throw new UsageError(orgId ? `no organization ${orgId}` : "no organization yet: start the server once to bootstrap");
  return org;
}

export const commands: Record<string, { summary: string; usage: string; run: (rt: Runtime, flags: Flags) => Promise<CommandResult> }> = {
  migrate: {
    summary: "Apply pending database migrations (also done at every start).",
    usage: "migrate",
    run: async (rt, flags) => {
      flagSchema({})(flags);
      await migrateDb(rt.handle);
      return { ok: true, text: "Migrations are current.", json: { ok: true } };
    },
  },

  "create-admin": {
    summary: "Create a dashboard user (or reset their password) and make them owner of an organization.",
    usage: "create-admin --email E [--password P] [--role owner|admin|developer|viewer] [--org org_…]",
    run: async (rt, flags) => {
      const f = flagSchema({
        email: z.email(),
        password: z.string().min(12, "at least 12 characters").optional(),
        role: z.enum(roles).default("owner"),
        org: z.string().optional(),
      })(flags);
      const org = await orgFor(rt, f.org);
      const password = f.password ?? base62(randomBytes(15), 21);
      const actor = cliActor();
      const existing = await findUserByEmail(rt.db, f.email);
      const userId = existing?.id ?? (await createUser(rt.db, { email: f.email, name: null, password, actor }));
      if (existing) await setUserPassword(rt.db, { userId, password, actor });
      await rt.db.transaction(async (tx) => {
        await tx
          .insert(memberships)
          .values({ organizationId: org.id, userId, role: f.role })
          .onConflictDoUpdate({ target: [memberships.organizationId, memberships.userId], set: { role: f.role } });
        await recordAudit(tx, { organizationId: org.id, actor, action: "member.added", target: { type: "user", id: userId }, metadata: { role: f.role } });
      });
      const shown = f.password ? undefined : password;
      return {
        ok: true,
        text: `${existing ? "Updated" : "Created"} ${f.email} as ${f.role} of ${org.name}.${shown ? `\nPassword (shown once): ${shown}` : ""}`,
        json: { user_id: userId, email: f.email, organization_id: org.id, role: f.role, created: !existing, ...(shown ? { password: shown } : {}) },
      };
    },
  },

  "create-organization": {
    summary: "Create an organization (with production and test environments) owned by an existing member.",
    usage: "create-organization --name N --owner-email E [--json]",
    run: async (rt, flags) => {
      const f = flagSchema({ name: z.string().trim().min(1).max(100), "owner-email": z.email() })(flags);
      const owner = await findUserByEmail(rt.db, f["owner-email"]);
      if (!owner) throw new UsageError(`no member with email ${f["owner-email"]}: create-admin first`);
      const org = await createOrganization(rt.db, { name: f.name, ownerUserId: owner.id, actor: cliActor() });
      return {
        ok: true,
        text: `Created ${f.name} (${org.id}) with environments ${org.environments.map((e) => `${e.kind}=${e.id}`).join(", ")}.`,
        json: { id: org.id, name: f.name, environments: org.environments.map((e) => ({ id: e.id, kind: e.kind, name: e.name })) },
      };
    },
  },

  "create-api-key": {
    summary: "Create an API key; its secret is printed once.",
    usage: "create-api-key --env production|test|env_… [--name N] [--org org_…] [--json]",
    run: async (rt, flags) => {
      const f = flagSchema({ env: z.string().min(1), name: z.string().trim().min(1).max(100).default("CLI key"), org: z.string().optional() })(flags);
      const org = await orgFor(rt, f.org);
      const cond = f.env.startsWith("env_")
        ? and(eq(environments.organizationId, org.id), eq(environments.id, f.env))
        : f.env === "production" || f.env === "test"
          ? and(eq(environments.organizationId, org.id), eq(environments.kind, f.env))
          : undefined;
      if (!cond) throw new UsageError("--env must be production, test or an environment id (env_…)");
      const [env] = await rt.db.select().from(environments).where(cond).orderBy(asc(environments.createdAt)).limit(1);
      if (!env) throw new UsageError(`no environment ${f.env} in ${org.name}`);
      const { key, secret } = await createApiKey(rt.db, { environment: env, name: f.name, actor: cliActor() });
      return {
        ok: true,
        text: `Created ${key.id} in ${org.name} / ${env.name}.\n${secret}\nStore it now: it is not shown again.`,
        json: { ...toApiKeyOut(key), secret, organization_id: org.id },
      };
    },
  },

  "rotate-encryption-key": {
    summary: "Re-encrypt every stored secret under the active key (online, resumable). --new-key first generates and activates a key (embedded mode).",
    usage: "rotate-encryption-key [--new-key] [--batch-size N]",
    run: async (rt, flags) => {
      const f = flagSchema({ "new-key": z.boolean().optional(), "batch-size": z.coerce.number().int().min(1).max(10000).optional() })(flags);
      let generated: string | undefined;
      if (f["new-key"]) {
        if (rt.keyringSource !== "file") {
          const { kid, key } = generateKey();
          throw new UsageError(
            `keys come from LATCHKEY_ENCRYPTION_KEYS: put a new key first in that list, restart, then run this again. A fresh key: ${kid}:${key.toString("base64")}`,
          );
        }
        const { kid, key } = generateKey();
        const ring = { activeKid: kid, keys: new Map([[kid, key], ...rt.keyring.keys]) };
        writeKeyringFile(rt.dataDir, ring);
        rt.keyring = ring;
        generated = kid;
      }
      const report = await reencryptAll(rt.db, rt.keyring, { actor: cliActor(), ...(f["batch-size"] ? { batchSize: f["batch-size"] } : {}) });
      const left = Object.entries(report.remainingByKid).filter(([, n]) => n > 0);
      return {
        ok: report.failed === 0,
        text: [
          generated ? `Generated and activated key ${generated}.` : null,
          `Active key: ${report.activeKid}. Re-encrypted ${report.reencrypted} value(s).`,
          report.failed ? `${report.failed} value(s) failed to decrypt and were left untouched.` : null,
          left.length ? `Still under older keys: ${left.map(([k, n]) => `${k}=${n}`).join(", ")}` : "Nothing is left under older keys.",
        ]
          .filter(Boolean)
          .join("\n"),
        json: { ...report, ...(generated ? { generated_kid: generated } : {}) },
      };
    },
  },

  "retire-encryption-key": {
    summary: "Mark a key retired; refused while any stored value still uses it.",
    usage: "retire-encryption-key --kid K",
    run: async (rt, flags) => {
      const f = flagSchema({ kid: z.string().min(1) })(flags);
      const r = await retireKey(rt.db, rt.keyring, f.kid, cliActor());
      if (r.ok && rt.keyringSource === "file" && rt.keyring.keys.has(f.kid)) {
        const keys = new Map(rt.keyring.keys);
        keys.delete(f.kid);
        rt.keyring = { activeKid: rt.keyring.activeKid, keys };
        writeKeyringFile(rt.dataDir, rt.keyring);
      }
      return { ok: r.ok, text: r.message, json: { ok: r.ok, message: r.message } };
    },
  },

  "verify-audit-log": {
    summary: "Walk the audit log's hash chain and report the first row that does not verify.",
    usage: "verify-audit-log [--json]",
    run: async (rt, flags) => {
      flagSchema({})(flags);
      const r = await verifyAuditLog(rt.db);
      return r.ok
        ? { ok: true, text: `Audit log verified: ${r.rows} row(s), chain intact.`, json: r }
        : { ok: false, text: `Audit log BROKEN at row ${r.broken.seq}${r.broken.id ? ` (${r.broken.id})` : ""}: ${r.message}`, json: r };
    },
  },
};

/** Commands that need no database. */
export const offlineCommands: Record<string, { summary: string; usage: string; run: (flags: Flags) => CommandResult }> = {
  "generate-encryption-key": {
    summary: "Print a new key for LATCHKEY_ENCRYPTION_KEYS.",
    usage: "generate-encryption-key",
    run: () => {
      const { kid, key } = generateKey();
      const entry = formatKeyring({ activeKid: kid, keys: new Map([[kid, key]]) });
      return { ok: true, text: entry, json: { kid, key: key.toString("base64"), entry } };
    },
  },
};

export function parseArgs(argv: string[]): { command: string | undefined; flags: Flags } {
  const [command, ...rest] = argv;
  const flags: Flags = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith("--")) throw new UsageError(`unexpected argument "${a}"`);
    const eqIdx = a.indexOf("=");
    if (eqIdx > 0) {
      flags[a.slice(2, eqIdx)] = a.slice(eqIdx + 1);
    } else if (rest[i + 1] !== undefined && !rest[i + 1]!.startsWith("--")) {
      flags[a.slice(2)] = rest[++i]!;
    } else {
      flags[a.slice(2)] = true;
    }
  }
  return { command, flags };
}

export function helpText(): string {
  const all = { ...commands, ...offlineCommands };
  return [
    "Latchkey admin CLI: npm run cli -- <command> [flags]",
    "",
    ...Object.values(all).map((c) => `  ${c.usage}\n      ${c.summary}`),
    "",
    "Add --json to print one JSON object.",
  ].join("\n");
}

/** Commands that read or rewrite keys and ciphertexts: refused while the vault is sealed. */
const vaultCommands = new Set(["rotate-encryption-key", "retire-encryption-key"]);

export async function runCommand(rt: Runtime, command: string, flags: Flags): Promise<CommandResult> {
  const c = commands[command];
  if (!c) throw new UsageError(`unknown command "${command}"`);
  if (rt.sealed && vaultCommands.has(command)) {
    throw new UsageError(`the vault is sealed (${rt.sealed}): correct LATCHKEY_ENCRYPTION_KEYS and restart before running ${command}`);
  }
  return c.run(rt, flags);
}
