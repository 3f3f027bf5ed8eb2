import type { Environment, WebhookEndpoint } from "@/db/schema";
import { seal, unseal } from "@/lib/crypto/vault";
import type { Runtime } from "@/lib/runtime";

type Env = Pick<Environment, "id" | "organizationId">;
type Field = "secret" | "previous_secret";

const aad = (env: Env, endpointId: string, field: Field) => ({ org: env.organizationId, env: env.id, table: "webhook_endpoints", row: endpointId, field });

export function sealWebhookSecret(rt: Pick<Runtime, "keyring">, env: Env, endpointId: string, secret: string, field: Field = "secret"): string {
  return seal(rt, secret, aad(env, endpointId, field));
}

/** The secrets that sign a delivery now: the current one, plus the previous one during a rotation's overlap. */
export function signingSecrets(rt: Pick<Runtime, "keyring">, env: Env, e: Pick<WebhookEndpoint, "id" | "secret" | "previousSecret" | "previousSecretExpiresAt">, now = new Date()): string[] {
  const out = [unseal(rt, e.secret, aad(env, e.id, "secret"))];
  if (e.previousSecret && e.previousSecretExpiresAt && e.previousSecretExpiresAt > now) out.push(unseal(rt, e.previousSecret, aad(env, e.id, "previous_secret")));
  return out;
}
