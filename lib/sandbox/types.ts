/**
 * Simulated provider APIs. They follow each provider's documented request and response shapes
 * closely enough that a connector's real code runs against them unchanged, chosen only by the
 * base URL. Contract tests use them; the product serves them for test environments.
 */
export type SandboxRequest = {
  method: string;
  /** Path below the backend's root, e.g. `/repos/octo/hello/issues`. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | undefined>;
  /** Parsed JSON or form body (object), or undefined. */
  body: unknown;
};

export type SandboxResponse = { status: number; headers?: Record<string, string>; body?: unknown };

export type SandboxOptions = {
  /** The provider's OAuth server (providers that have one): registered clients, consent page, RFC 9207 `iss`. */
  oauth?: import("@/lib/sandbox/oauth").SandboxOAuthOptions;
  /** Decides whether a bearer token (or other credential) is accepted. Default: any non-empty one not starting with `expired_` or `revoked_`. */
  authorize?: (credential: string, req: SandboxRequest) => boolean | Promise<boolean>;
};

export interface SandboxBackend {
  readonly slug: string;
  handle(req: SandboxRequest): Promise<SandboxResponse>;
  /** Back to the seeded sample data. */
  reset(): void;
  /** The provider's OAuth server, for providers whose sandbox has one (tests revoke grants through it). */
  readonly oauth?: import("@/lib/sandbox/oauth").SandboxOAuthServer;
}
