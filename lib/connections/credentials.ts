import * as z from "zod";
import type { Connection, Environment } from "@/db/schema";
import { seal, unseal } from "@/lib/crypto/vault";
import type { Runtime } from "@/lib/runtime";

/** What a connection stores, encrypted. Never leaves the server except as injected headers. */
export const oauthCredentialSchema = z.object({
  type: z.literal("oauth2"),
  access_token: z.string(),
  refresh_token: z.string().optional(),
  token_type: z.string().optional(),
  /** Provider-specific extras from the token response (team, workspace…), no secrets. */
  extra: z.record(z.string(), z.unknown()).optional(),
});
export const formCredentialSchema = z.object({ type: z.enum(["api_key", "basic"]), values: z.record(z.string(), z.string()) });
export const credentialSchema = z.discriminatedUnion("type", [oauthCredentialSchema, formCredentialSchema]);
export type Credential = z.infer<typeof credentialSchema>;
export type OAuthCredential = z.infer<typeof oauthCredentialSchema>;

type Env = Pick<Environment, "id" | "organizationId">;
const aad = (env: Env, connectionId: string) => ({ org: env.organizationId, env: env.id, table: "connections", row: connectionId, field: "credential" });

export function sealCredential(rt: Pick<Runtime, "keyring">, env: Env, connectionId: string, cred: Credential): string {
  return seal(rt, JSON.stringify(cred), aad(env, connectionId));
}

/** The one place a connection's credential is decrypted. */
export function unsealCredential(rt: Pick<Runtime, "keyring">, env: Env, conn: Pick<Connection, "id" | "credential">): Credential {
  return credentialSchema.parse(JSON.parse(unseal(rt, conn.credential, aad(env, conn.id))));
}
