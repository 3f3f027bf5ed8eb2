"use server";

import { headers } from "next/headers";
import { publicAction } from "@/lib/actions/authed-action";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { clearMagicCookie, currentMagicSession } from "@/lib/magic-links/current-session";
import { connectUrlForEndUser, disconnectForEndUser } from "@/lib/magic-links/end-user";
import { endMagicSession, linkExpired } from "@/lib/magic-links/service";
import { endUserConnectSchema, endUserDisconnectSchema, endUserSignOutSchema } from "@/lib/schemas/magic-links";

// No dashboard session here by nature: the magic-link session cookie (checked against the
// database on every call, so a revoked link stops at once) is the credential.

export const disconnectAction = publicAction(
  { schema: endUserDisconnectSchema, rateLimit: { bucket: "magic-disconnect", limit: 30, windowSeconds: 60 } },
  async (input, ctx) => {
    const s = await currentMagicSession(ctx.rt);
    if (!s) throw linkExpired();
    try {
      const r = await disconnectForEndUser(ctx.rt, s, input.connection_id, { requestId: ctx.requestId });
      return { connector_name: r.connectorName };
    } finally {
      // This replica sees its own writes at once; others learn by notification (DESIGN §8).
      ctx.rt.cache.invalidateEnvironment(s.environment.id);
    }
  },
);

export const connectAction = publicAction(
  { schema: endUserConnectSchema, rateLimit: { bucket: "magic-connect", limit: 30, windowSeconds: 60 } },
  async (input, ctx) => {
    const s = await currentMagicSession(ctx.rt);
    if (!s) throw linkExpired();
    return connectUrlForEndUser(ctx.rt.db, s, { connector: input.connector, baseUrl: publicBaseUrl(ctx.rt, await headers()), requestId: ctx.requestId });
  },
);

export const signOutAction = publicAction({ schema: endUserSignOutSchema, rateLimit: { bucket: "magic-sign-out", limit: 30, windowSeconds: 60 } }, async (_input, ctx) => {
  const s = await currentMagicSession(ctx.rt);
  if (s) await endMagicSession(ctx.rt.db, s);
  await clearMagicCookie(ctx.rt);
  return { signed_out: true };
});
