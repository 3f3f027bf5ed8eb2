// GET /api/link/session – what the Link page shows: branding and each allowed connector with this user's status
import { withLinkSession } from "@/lib/link/http";
import { linkSessionView } from "@/lib/link/session";

export const dynamic = "force-dynamic";

export const GET = withLinkSession(({ ctx, session }) => linkSessionView(ctx.rt, session));
