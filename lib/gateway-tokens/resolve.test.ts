import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DbHandle } from "@/db/client";
import { auditLog, environmentSettings, type Environment } from "@/db/schema";
import { createTestDb } from "@/db/test-db";
import { getEnvironmentSettings, updateEnvironmentSettings } from "@/lib/environment-settings/service";
import { AppError } from "@/lib/errors";
import type { IdpVerifier } from "@/lib/gateway-tokens/idp";
import { resolveGatewayRequest } from "@/lib/gateway-tokens/resolve";
import { createGatewayToken, createUserToken, revokeGatewayToken, revokeUserToken } from "@/lib/gateway-tokens/service";
import { createOrganization } from "@/lib/orgs/organizations";
import { createUser } from "@/lib/orgs/users";
import { ensureRegisteredUser } from "@/lib/registered-users/service";
import type { IdpSettings } from "@/lib/schemas/environment-settings";
import { createToolPack } from "@/lib/tool-packs/service";

const actor = { type: "api_key" as const, id: "key_test" };
const ISSUER = "https://idp.example.com/";
const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcC5leGFtcGxlLmNvbS8ifQ.c2ln"; // iss = ISSUER; the fake verifier decides
let handle: DbHandle;
let prod: Environment;
let test: Environment;

/** Accepts the token for the environments whose audience is listed, as `sub`. */
const verifier = (sub: string | null, audiences = ["aud"]): IdpVerifier => ({
  verify: async (_token, idp) => (sub && audiences.includes(idp.audience as string) ? { userIdentifier: sub } : null),
});
const idp = (over: Partial<IdpSettings> = {}): IdpSettings => ({ issuer: ISSUER, jwks_url: "https://idp.example.com/jwks", audience: "aud", user_claim: "sub", auto_create_users: false, ...over });
const resolve = (authorization: string | null, slug = "agent", v: IdpVerifier = verifier(null), environmentHeader: string | null = null) =>
  resolveGatewayRequest(handle, { authorization, slug, environmentHeader, requestId: "req_t", ip: null }, v);
async function code(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return (err as AppError).code;
  }
  return "resolved";
}
const audits = async (action: string) => (await handle.db.select().from(auditLog).where(eq(auditLog.action, action))).length;

beforeAll(async () => {
  handle = await createTestDb();
  const ownerUserId = await createUser(handle.db, { email: "o@example.com", actor: { type: "system", id: "t" } });
  const org = await createOrganization(handle.db, { name: "Acme", ownerUserId, actor: { type: "system", id: "t" } });
  prod = org.environments.find((e) => e.kind === "production")! as Environment;
  test = org.environments.find((e) => e.kind === "test")! as Environment;
  await createToolPack(handle.db, { environment: test, name: "Agent", entries: [{ connector: "stripe", tools: "*" }], actor });
}, 60_000);
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 50));
  await handle?.close();
});

describe("service and personal tokens", () => {
  it("a service token resolves to its environment, no user, its own principal; only its hash is stored; create and revoke are audited", async () => {
    const { row, token } = await createGatewayToken(handle.db, { environment: test, name: "bot", actor });
    expect(JSON.stringify(await handle.rows(sql`select * from gateway_tokens`))).not.toContain(token.slice(7));
    const r = await resolve(`Bearer ${token}`);
    expect(r).toMatchObject({ environment: { id: test.id }, pack: { slug: "agent" }, registeredUser: null, principal: { type: "gateway_token", id: row.id }, authRequiredAsHttp: false });
    expect(await code(resolve(`Bearer ${token}`, "nope"))).toBe("not_found");
    expect(await code(resolve(`Bearer ${token}`, "agent", verifier(null), prod.id))).toBe("environment_mismatch");
    await revokeGatewayToken(handle.db, { environment: test, id: row.id, actor });
    await revokeGatewayToken(handle.db, { environment: test, id: row.id, actor });
    expect(await code(resolve(`Bearer ${token}`))).toBe("unauthorized");
    expect(await audits("gateway_token.created")).toBe(1);
    expect(await audits("gateway_token.revoked")).toBe(1);
  });

  it("a personal token resolves to its user with McpAuthRequiredError on; another environment's token finds no pack here", async () => {
    const { user } = await ensureRegisteredUser(handle.db, { environment: test, originUserId: "u1", actor });
    const { row, token } = await createUserToken(handle.db, { environment: test, registeredUserId: user.id, actor });
    expect(await resolve(`Bearer ${token}`)).toMatchObject({ registeredUser: { id: user.id }, principal: { type: "user_token", id: row.id }, authRequiredAsHttp: true });
    // A user of production cannot get a token in test, and production's token sees no test pack.
    expect(await code(createUserToken(handle.db, { environment: prod, registeredUserId: user.id, actor }))).toBe("not_found");
    const prodSvc = await createGatewayToken(handle.db, { environment: prod, name: "p", actor });
    expect(await code(resolve(`Bearer ${prodSvc.token}`))).toBe("not_found");
    await revokeUserToken(handle.db, { environment: test, registeredUserId: user.id, id: row.id, actor });
    expect(await code(resolve(`Bearer ${token}`))).toBe("unauthorized");
    expect(await audits("registered_user_token.created")).toBe(1);
    expect(await audits("registered_user_token.revoked")).toBe(1);
  });
});

describe("IdP JWTs", () => {
  it("no environment trusts the issuer → 401; unknown user → 401 unless auto-create, which creates it (audited)", async () => {
    expect(await code(resolve(`Bearer ${JWT}`, "agent", verifier("jwt-user")))).toBe("unauthorized");
    await updateEnvironmentSettings(handle.db, { environment: test, patch: { idp: idp() }, allowlist: [], actor });
    expect(await code(resolve(`Bearer ${JWT}`, "agent", verifier(null)))).toBe("unauthorized");
    expect(await code(resolve(`Bearer ${JWT}`, "agent", verifier("jwt-user")))).toBe("unauthorized");
    const before = await audits("registered_user.created");
    await updateEnvironmentSettings(handle.db, { environment: test, patch: { idp: idp({ auto_create_users: true }) }, allowlist: [], actor });
    const r = await resolve(`Bearer ${JWT}`, "agent", verifier("jwt-user"));
    expect(r).toMatchObject({ environment: { id: test.id }, registeredUser: { originUserId: "jwt-user" }, principal: { type: "idp", id: r.registeredUser!.id }, authRequiredAsHttp: true });
    expect(await audits("registered_user.created")).toBe(before + 1);
    // The same user next time: no second user.
    expect((await resolve(`Bearer ${JWT}`, "agent", verifier("jwt-user"))).registeredUser!.id).toBe(r.registeredUser!.id);
  });

  it("two environments trusting one issuer: the pack decides, then Latchkey-Environment; each verifies with its own audience", async () => {
    await updateEnvironmentSettings(handle.db, { environment: prod, patch: { idp: idp({ audience: "aud", auto_create_users: true }) }, allowlist: [], actor });
    // Only test has the pack.
    expect((await resolve(`Bearer ${JWT}`, "agent", verifier("x1"))).environment.id).toBe(test.id);
    await createToolPack(handle.db, { environment: prod, name: "Agent", entries: [{ connector: "stripe", tools: "*" }], actor });
    const ambiguous = resolve(`Bearer ${JWT}`, "agent", verifier("x1"));
    await expect(ambiguous).rejects.toThrow(/Latchkey-Environment/);
    expect((await resolve(`Bearer ${JWT}`, "agent", verifier("x1"), prod.id)).environment.id).toBe(prod.id);
    // Another audience in production: the token verifies only in test.
    await updateEnvironmentSettings(handle.db, { environment: prod, patch: { idp: idp({ audience: "prod-aud", auto_create_users: true }) }, allowlist: [], actor });
    expect((await resolve(`Bearer ${JWT}`, "agent", verifier("x1", ["aud"]))).environment.id).toBe(test.id);
    expect(await code(resolve(`Bearer ${JWT}`, "agent", verifier("x1", ["aud"]), prod.id))).toBe("unauthorized");
  });
});

describe("environment settings", () => {
  it("sections replace, null removes, unknown sections survive, an invalid stored section reads as absent; every change is audited", async () => {
    const env = prod;
    const before = await audits("environment_settings.updated");
    await handle.db
      .update(environmentSettings)
      .set({ settings: sql`settings || '{"branding":{"color":"#123456"}}'::jsonb` })
      .where(eq(environmentSettings.environmentId, env.id));
    await updateEnvironmentSettings(handle.db, { environment: env, patch: { idp: idp({ issuer: "https://other.example/" }) }, allowlist: [], actor });
    let [row] = await handle.db.select().from(environmentSettings).where(eq(environmentSettings.environmentId, env.id));
    expect(row!.settings).toMatchObject({ branding: { color: "#123456" }, idp: { issuer: "https://other.example/" } });
    await updateEnvironmentSettings(handle.db, { environment: env, patch: {}, allowlist: [], actor });
    await updateEnvironmentSettings(handle.db, { environment: env, patch: { idp: null }, allowlist: [], actor });
    [row] = await handle.db.select().from(environmentSettings).where(eq(environmentSettings.environmentId, env.id));
    expect(row!.settings).toEqual({ branding: { color: "#123456" } });
    expect(await audits("environment_settings.updated")).toBe(before + 2);

    await handle.db.update(environmentSettings).set({ settings: { idp: { issuer: ISSUER, jwks_url: "not a url" } } }).where(eq(environmentSettings.environmentId, env.id));
    expect((await getEnvironmentSettings(handle.db, env.id)).settings.idp).toBeUndefined();
  });

  it("refuses a JWKS URL the outbound guard would refuse, unless its host is allowlisted", async () => {
    for (const jwks_url of ["http://idp.example.com/jwks", "https://127.0.0.1/jwks", "https://[fd00::1]/jwks"]) {
      const err = await updateEnvironmentSettings(handle.db, { environment: test, patch: { idp: idp({ jwks_url }) }, allowlist: [], actor }).catch((e: AppError) => e);
      expect(err).toMatchObject({ code: "validation_error", issues: [{ path: "idp.jwks_url" }] });
    }
    const ok = await updateEnvironmentSettings(handle.db, { environment: test, patch: { idp: idp({ jwks_url: "http://127.0.0.1:9999/jwks" }) }, allowlist: ["127.0.0.1:9999"], actor });
    expect(ok.settings.idp?.jwks_url).toBe("http://127.0.0.1:9999/jwks");
  });
});
