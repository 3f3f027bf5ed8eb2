import type * as z from "zod";
import type { ProviderHttp } from "@/lib/connectors/http";

/** MCP tool annotations (spec names). */
export type ToolAnnotations = {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
};

export type ToolContext = {
  http: ProviderHttp;
  connection: { id: string; grantedScopes: string[]; accountLabel: string | null };
  signal: AbortSignal;
};

export type ToolDef<S extends z.ZodObject = z.ZodObject> = {
  /** `{connector}_{verb}_{noun}`, e.g. `github_create_issue` */
  name: string;
  description: string;
  input: S;
  annotations: ToolAnnotations;
  /** Provider scopes this tool needs (OAuth connectors); checked against the granted ones. */
  scopes: string[];
  handler: (args: z.output<S>, ctx: ToolContext) => Promise<unknown>;
};

export function defineTool<S extends z.ZodObject>(t: ToolDef<S>): ToolDef {
  return t as unknown as ToolDef;
}

export type OAuth2Auth = {
  kind: "oauth2";
  authorizeUrl: string;
  tokenUrl: string;
  /** RFC 7009 (or the provider's own) revocation endpoint, when it has one. */
  revokeUrl?: string;
  pkce: boolean;
  scopeSeparator: " " | ",";
  /** Always requested, whatever the tools need (e.g. the scope that reads the account label). */
  baseScopes: string[];
  tokenAuthMethod: "client_secret_post" | "client_secret_basic";
  authorizeParams?: Record<string, string>;
};

export type FormAuth = {
  kind: "api_key" | "basic";
  /** What the user fills in; validated before anything is stored. */
  form: z.ZodObject;
  /** Fields of the form that are secret (never shown back, masked). */
  secretFields: string[];
  /** Headers to send, built from the stored form values. */
  headers: (values: Record<string, string>) => Record<string, string>;
};

export type ConnectorAuth = OAuth2Auth | FormAuth;

/** Connectors interpret some provider answers themselves (Slack's `ok:false` on HTTP 200, …). */
export type ProviderAnswer = { status: number; headers: Record<string, string | string[] | undefined>; body: unknown };

export type ConnectorDef = {
  slug: string;
  name: string;
  description: string;
  /** An inline SVG (kept small) for the catalog. */
  icon: string;
  categories: string[];
  docsUrl: string;
  auth: ConnectorAuth;
  /** Default API base URL; overridable per environment (GitHub Enterprise, sandbox). */
  baseUrl: string;
  /**
   * For providers whose API lives on a per-account host (Jira Cloud: https://{site}.atlassian.net):
   * the base URL from the connection's stored form values. An environment's base-URL override
   * (sandbox, tests) still wins.
   */
  baseUrlFromCredential?: (values: Record<string, string>) => string;
  /** Sent with every API call (API version pins, Accept variants). */
  defaultHeaders?: Record<string, string>;
  tools: ToolDef[];
  /** The provider account's login or email, read once after connecting. */
  accountLabel?: (ctx: ToolContext) => Promise<string | null>;
  /** Classifies an answer the generic mapping would get wrong. Return null to use the default. */
  interpret?: (answer: ProviderAnswer) => import("@/lib/connectors/errors").ToolFailure | null;
  /** Scopes the provider says were missing, read from a 403 answer. */
  missingScopes?: (answer: ProviderAnswer) => string[] | null;
};

export function defineConnector(c: ConnectorDef): ConnectorDef {
  return c;
}
