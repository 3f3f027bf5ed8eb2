// /api/auth/* – next-auth (dashboard sign-in and sign-out)
import type { NextRequest } from "next/server";
import { handlers } from "@/lib/auth";
import { requestOrigin } from "@/lib/auth/cookies";

/**
 * Auth.js builds its redirects (SSO redirect_uri, callback URL) from the request URL, which Next
 * derives from Host and rewrites 127.0.0.1 to localhost. The cookies are host-only (`__Host-`),
 * so a redirect to another name than the browser used would arrive without them. Rebuild the
 * URL from the origin the server settled on (LATCHKEY_PUBLIC_URL, else the Host the browser
 * used), as a plain Request so Next does not normalize it again.
 */
async function atBrowserOrigin(req: NextRequest): Promise<NextRequest> {
  const { proto, host } = requestOrigin(req.headers);
  if (!host) return req;
  const url = new URL(req.url);
  let target: URL;
  try {
    target = new URL(`${url.pathname}${url.search}`, `${proto}://${host}`);
  } catch {
    return req;
  }
  const body = req.method === "GET" || req.method === "HEAD" ? undefined : await req.arrayBuffer();
  return new Request(target, { method: req.method, headers: req.headers, body }) as NextRequest;
}

export const GET = async (req: NextRequest) => handlers.GET(await atBrowserOrigin(req));
export const POST = async (req: NextRequest) => handlers.POST(await atBrowserOrigin(req));
