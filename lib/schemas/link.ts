import * as z from "zod";

const LOOPBACK_HOSTS = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** https anywhere, plain http only to this machine (local development); never credentials in the URL. */
export function isAllowedRedirectUrl(raw: string): boolean {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return false;
  }
  if (u.username || u.password) return false;
  return u.protocol === "https:" || (u.protocol === "http:" && LOOPBACK_HOSTS.test(u.hostname));
}

export const linkRedirectUrlSchema = z
  .string()
  .max(2000)
  .refine(isAllowedRedirectUrl, { message: "must be an https URL (or http on localhost / 127.0.0.1 / [::1]) without credentials" })
  .describe("Where the hosted Link page sends the user after they finish. https, or http on a loopback host.");

const connectorSlug = z.string().min(1).max(64).regex(/^[a-z0-9_]+$/, "must be a connector slug");

export const redeemLinkTokenBodySchema = z.strictObject({
  link_token: z.string().min(1).max(200),
  // The origin of the page that framed or opened Link (it passed it in ?embed_origin=): checked
  // against the token's environment, and the answer then carries the session as a bearer token.
  embed_origin: z.string().max(300).optional(),
});
export const oauthStartBodySchema = z.strictObject({
  connector: connectorSlug,
  // The OAuth popup of an embedded page: also set the session cookie, which the callback checks
  // the state against (the popup is a first-party window, so the browser keeps it).
  bind_cookie: z.boolean().optional(),
  /** "Sandbox account" (test environments): authorize against Latchkey's sandbox provider. */
  sandbox: z.boolean().optional(),
});
export const formConnectBodySchema = z.strictObject({
  connector: connectorSlug,
  values: z.record(z.string().max(100), z.union([z.string().max(10_000), z.number(), z.boolean()])),
});
export const finishLinkSessionBodySchema = z.strictObject({ outcome: z.enum(["done", "exit"]) });

export const oauthCallbackQuerySchema = z.object({
  state: z.string().min(1).max(200).optional(),
  code: z.string().min(1).max(2000).optional(),
  iss: z.string().min(1).max(2000).optional(),
  error: z.string().min(1).max(200).optional(),
});

/** What the callback tells the page, as closed codes (never provider text, which is attacker-controllable). */
export const linkCallbackErrors = ["access_denied", "provider_error", "invalid_state", "session_missing", "issuer_mismatch", "exchange_failed", "not_available"] as const;
export type LinkCallbackError = (typeof linkCallbackErrors)[number];

export type LinkFormField = {
  name: string;
  label: string;
  type: "text" | "password" | "email" | "url";
  required: boolean;
  hint: string | null;
};

export type LinkConnectorView = {
  slug: string;
  name: string;
  description: string;
  icon_svg: string;
  auth_kind: "oauth2" | "api_key" | "basic";
  /** The user's connection for this connector, when there is one (sent on in the `connected` event). */
  connection_id: string | null;
  status: "connected" | "reauth_required" | "not_connected";
  account_label: string | null;
  available: boolean;
  fields: LinkFormField[];
};

export type LinkSessionView = {
  object: "link_session";
  expires_at: string;
  environment_kind: "production" | "test";
  branding: { name: string; logo_url: string | null; accent_color: string };
  redirect_url: string | null;
  /** The environment's embedding origins: the page posts its events to its embedder only when listed here. */
  allowed_origins: string[];
  connectors: LinkConnectorView[];
};
