// POST /api/link/connections – connect an api-key or basic connector from the Link form
import { connectWithForm } from "@/lib/link/connect-form";
import { readBody, withLinkSession } from "@/lib/link/http";
import { formConnectBodySchema } from "@/lib/schemas/link";

export const dynamic = "force-dynamic";

export const POST = withLinkSession(async ({ req, ctx, session }) => {
  const body = await readBody(req, ctx, formConnectBodySchema);
  return connectWithForm(ctx.rt, { session, connector: body.connector, values: body.values, ip: ctx.ip, requestId: ctx.requestId });
});
