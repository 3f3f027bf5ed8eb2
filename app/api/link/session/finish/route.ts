// POST /api/link/session/finish – the user is done (or cancelled); the session stops working
import { readBody, withLinkSession } from "@/lib/link/http";
import { finishLinkSession } from "@/lib/link/session";
import { finishLinkSessionBodySchema } from "@/lib/schemas/link";

export const dynamic = "force-dynamic";

export const POST = withLinkSession(async ({ req, ctx, session }) => {
  const body = await readBody(req, ctx, finishLinkSessionBodySchema);
  return finishLinkSession(ctx.rt, { session, outcome: body.outcome, ip: ctx.ip, requestId: ctx.requestId });
});
