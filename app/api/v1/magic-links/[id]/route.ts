// GET /api/v1/magic-links/{id} – one link and its status; DELETE – revoke it (and every page it opened)
import { withApiKey } from "@/lib/http/with-api-key";
import { getMagicLink, revokeMagicLink } from "@/lib/magic-links/service";
import { magicLinkOperations } from "@/lib/schemas/magic-links";

export const GET = withApiKey(magicLinkOperations.get, async ({ ctx, params }) => getMagicLink(ctx.db, ctx.environment.id, params.id));

export const DELETE = withApiKey(magicLinkOperations.revoke, async ({ ctx, params }) =>
  revokeMagicLink(ctx.db, { environment: ctx.environment, id: params.id, actor: ctx.actor, requestId: ctx.requestId, ip: ctx.ip }),
);
