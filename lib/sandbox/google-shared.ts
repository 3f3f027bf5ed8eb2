import { json } from "@/lib/sandbox/router";
import type { SandboxRequest, SandboxResponse } from "@/lib/sandbox/types";

/** Google APIs' 401 answer: missing credential vs invalid credential, with its WWW-Authenticate. */
export function googleUnauthenticated(req: SandboxRequest): SandboxResponse {
  const missing = !req.headers.authorization;
  return json(
    401,
    {
      error: {
        code: 401,
        message: `Request ${missing ? "is missing required authentication credential" : "had invalid authentication credentials"}. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.`,
        errors: [{ message: missing ? "Login Required." : "Invalid Credentials", domain: "global", reason: missing ? "required" : "authError", location: "Authorization", locationType: "header" }],
        status: "UNAUTHENTICATED",
      },
    },
    { "www-authenticate": missing ? `Bearer realm="https://accounts.google.com/"` : `Bearer realm="https://accounts.google.com/", error="invalid_token"` },
  );
}
