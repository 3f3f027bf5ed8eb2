// GET /oauth/callback – providers send the browser back here; the outcome goes to the Link page as a closed code
import { withLinkPublic } from "@/lib/link/http";
import { oauthCallbackRedirect } from "@/lib/link/callback";

export const dynamic = "force-dynamic";

export const GET = withLinkPublic({ bucket: "oauth_callback", limitPerMinute: 120, sameOrigin: false }, ({ req, ctx }) => oauthCallbackRedirect(req, ctx));
