import { randomBytes } from "node:crypto";
import type { Db } from "@/db/client";
import { organizations } from "@/db/schema";
import { base62 } from "@/lib/crypto/tokens";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser, findUserByEmail } from "@/lib/orgs/users";
import type { Keyring } from "@/lib/crypto/keyring";
import { ensureInstance, instanceToken } from "@/lib/mcp-instances/service";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import { createSandboxConnection } from "@/lib/sandbox/connections";
import { createToolPack, findToolPackBySlugOrName } from "@/lib/tool-packs/service";
import type { Environment } from "@/db/schema";

export const DEFAULT_ADMIN_EMAIL = "admin@latchkey.local";

export type BootstrapResult = {
  organizationId: string;
  environments: { id: string; kind: string }[];
  adminEmail: string;
  /** Present only when we generated it: printed once, never stored in clear. */
  generatedPassword?: string;
  /** The first-run demo in the test environment (sandbox connections), when it was created. */
  demo?: DemoResult;
};

export type DemoResult = { environmentId: string; registeredUserId: string; toolPackId: string; instanceId: string; instanceToken: string; listTool: string; callTool: string; callArgs: Record<string, string> };

export const DEMO_USER = "demo-user";
export const DEMO_PACK = "demo";
const DEMO_ENTRIES = [
  { connector: "github", tools: ["github_list_repositories", "github_list_issues", "github_get_issue"] },
  { connector: "slack", tools: ["slack_list_channels", "slack_get_channel_history"] },
];

/**
 * The first five minutes: in the test environment, a registered user `demo-user` with sandbox
 * GitHub and Slack connections, a `demo` tool pack of read tools of both, and its MCP instance.
 * Idempotent (ensure semantics); never in a production environment (the sandbox refuses it).
 */
export async function ensureDemo(rt: { db: Db; keyring: Keyring }, env: Pick<Environment, "id" | "organizationId" | "kind">): Promise<DemoResult> {
  const actor = { type: "system" as const, id: "bootstrap" };
  const { user } = await ensureRegisteredUser(rt.db, { environment: env, originUserId: DEMO_USER, email: "demo-user@example.com", metadata: { demo: true }, actor });
  for (const connector of ["github", "slack"]) {
    await createSandboxConnection(rt, { environment: env, owner: { type: "registered_user", id: user.id }, connector, actor });
  }
  const pack =
    (await findToolPackBySlugOrName(rt.db, env.id, DEMO_PACK)) ??
    (await createToolPack(rt.db, { environment: env, name: "Demo", slug: DEMO_PACK, description: "Read tools of the sandbox GitHub and Slack (first-run demo).", entries: DEMO_ENTRIES, actor }));
  const { instance } = await ensureInstance(rt, { environment: env, toolPackId: pack.id, registeredUserId: user.id, actor });
  return {
    environmentId: env.id,
    registeredUserId: user.id,
    toolPackId: pack.id,
    instanceId: instance.id,
    instanceToken: instanceToken(rt, env, instance),
    listTool: "tools/list",
    callTool: "github_list_issues",
    callArgs: { owner: "octocat", repo: "hello-world" },
  };
}

/**
 * First start on an empty database: an organization with its production and test
 * environments and a first admin, and (opts.demo) the first-run demo in the test environment.
 * Does nothing once any organization exists.
 */
export async function bootstrap(
  db: Db,
  opts: { orgName: string; adminEmail?: string | undefined; adminPassword?: string | undefined; demo?: { keyring: Keyring } | undefined },
): Promise<BootstrapResult | null> {
  const [existing] = await db.select({ id: organizations.id }).from(organizations).limit(1);
  if (existing) return null;
  const actor = { type: "system" as const, id: "bootstrap" };
  const adminEmail = opts.adminEmail ?? DEFAULT_ADMIN_EMAIL;
  const generatedPassword = opts.adminPassword ? undefined : base62(randomBytes(15), 21);
  const password = opts.adminPassword ?? generatedPassword!;
  const userId = (await findUserByEmail(db, adminEmail))?.id ?? (await createUser(db, { email: adminEmail, name: "Admin", password, actor }));
  const org = await createOrganization(db, { name: opts.orgName, ownerUserId: userId, actor });
  const testEnv = org.environments.find((e) => e.kind === "test");
  const demo = opts.demo && testEnv ? await ensureDemo({ db, keyring: opts.demo.keyring }, testEnv) : undefined;
  return {
    organizationId: org.id,
    environments: org.environments.map((e) => ({ id: e.id, kind: e.kind })),
    adminEmail,
    ...(generatedPassword ? { generatedPassword } : {}),
    ...(demo ? { demo } : {}),
  };
}
