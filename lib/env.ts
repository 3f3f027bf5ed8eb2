import * as z from "zod";

/**
 * The only reader of process.env. Parsed once, validated with zod; a bad variable stops
 * the process at boot with the list of what is wrong.
 */
const emptyToUndefined = (v: unknown) => (typeof v === "string" && v.trim() === "" ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const bool = z.preprocess(
  (v) => (typeof v === "string" ? ["1", "true", "yes", "on"].includes(v.toLowerCase()) : v),
  z.boolean(),
);

/** Seconds between webhook delivery attempts: after the first failure wait the first value, and so on. */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE = [30, 120, 600, 3600, 3 * 3600, 6 * 3600, 12 * 3600];

const retrySchedule = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .regex(/^\s*\d+(\.\d+)?(\s*,\s*\d+(\.\d+)?){0,19}\s*$/, "must be 1–20 comma-separated numbers of seconds, e.g. 30,120,600")
    .transform((s) => s.split(",").map((v) => Number(v.trim())))
    .refine((a) => a.every((n) => n <= 7 * 24 * 3600), "each delay must be at most 7 days")
    .optional(),
);

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("production"),
    DATABASE_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
        .optional(),
    ),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    LATCHKEY_DATA_DIR: z.preprocess(emptyToUndefined, z.string().default("./.data")),
    LATCHKEY_ENCRYPTION_KEYS: optionalString,
    LATCHKEY_ADMIN_EMAIL: z.preprocess(emptyToUndefined, z.email().optional()),
    LATCHKEY_ADMIN_PASSWORD: z.preprocess(emptyToUndefined, z.string().min(12, "must be at least 12 characters").optional()),
    LATCHKEY_ORG_NAME: z.preprocess(emptyToUndefined, z.string().max(100).default("Demo")),
    /** First start: create the demo in the test environment (demo-user, sandbox GitHub and Slack, tool pack "demo", an MCP URL). */
    LATCHKEY_FIRST_RUN_DEMO: z.preprocess(emptyToUndefined, z.enum(["true", "false", "1", "0"]).default("true").transform((v) => v === "true" || v === "1")),
    AUTH_SECRET: z.preprocess(emptyToUndefined, z.string().min(32, "must be at least 32 characters").optional()),
    LATCHKEY_OIDC_ISSUER: z.preprocess(emptyToUndefined, z.url().optional()),
    LATCHKEY_OIDC_CLIENT_ID: optionalString,
    LATCHKEY_OIDC_CLIENT_SECRET: optionalString,
    LATCHKEY_OIDC_NAME: z.preprocess(emptyToUndefined, z.string().default("Single sign-on")),
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.preprocess(emptyToUndefined, z.string().default("0.0.0.0")),
    LATCHKEY_PUBLIC_URL: z.preprocess(emptyToUndefined, z.url().optional()),
    LATCHKEY_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
    LATCHKEY_API_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
    /** MCP requests per minute per caller (API key or instance URL), and per registered user. */
    LATCHKEY_MCP_RATE_LIMIT: z.coerce.number().int().min(1).default(1200),
    LATCHKEY_MCP_USER_RATE_LIMIT: z.coerce.number().int().min(1).default(600),
    LATCHKEY_TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(5).default(0),
    /** Requests one replica serves at once; beyond it a fast 503 with Retry-After (DESIGN §8). */
    LATCHKEY_MAX_INFLIGHT: z.coerce.number().int().min(1).max(100_000).default(512),
    /** How long a connector tool waits for its provider before answering upstream_timeout. */
    LATCHKEY_CONNECTOR_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
    /** Bearer token for GET /api/metrics (Prometheus); unset, the endpoint refuses everyone. */
    LATCHKEY_METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(16).optional()),
    LATCHKEY_WEBHOOK_RETRY_SCHEDULE: retrySchedule.transform((v) => v ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE),
    /** smtp://user:pass@host:port or smtps://…; unset = emails go to the dashboard's outbox instead. */
    SMTP_URL: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .regex(/^smtps?:\/\/[^\s]+$/, "must be an smtp:// or smtps:// URL")
        .refine((v) => URL.canParse(v) && new URL(v).hostname !== "", "must be an smtp:// or smtps:// URL with a host")
        .optional(),
    ),
    LATCHKEY_EMAIL_FROM: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .max(320)
        .refine((v) => !/[\r\n]/.test(v), "must be one line")
        .default("Latchkey <no-reply@localhost>"),
    ),
    LATCHKEY_LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
    /** OTLP/HTTP collector base URL (e.g. http://otel-collector:4318): spans go to {it}/v1/traces. Unset = tracing off, at no cost. */
    OTEL_EXPORTER_OTLP_ENDPOINT: z.preprocess(
      emptyToUndefined,
      z
        .url()
        .refine((v) => /^https?:\/\//.test(v), "must be an http(s) URL")
        .optional(),
    ),
    OTEL_SERVICE_NAME: z.preprocess(emptyToUndefined, z.string().max(100).default("latchkey")),
    LATCHKEY_SECURE_COOKIES: z.preprocess(emptyToUndefined, bool.optional()),
    /**
     * Hosts (`host` or `host:port`) that outbound fetches of user-supplied URLs may reach over
     * plain http and at private or loopback addresses. Empty in production; tests list their
     * local servers here.
     */
    LATCHKEY_OUTBOUND_ALLOWLIST: z.preprocess(
      (v) => (typeof v === "string" ? v.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean) : []),
      z.array(z.string().regex(/^(?:\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::\d{1,5})?$/, "must be a comma-separated list of host, host:port or [ipv6]:port")).max(100),
    ),
    /** Per-call timeout for upstream MCP servers; the request is aborted (and cancelled upstream) when it fires. */
    LATCHKEY_UPSTREAM_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
    /** Calls in flight at once to one upstream MCP server; more wait briefly, then fail with upstream_busy. */
    LATCHKEY_UPSTREAM_CONCURRENCY: z.coerce.number().int().min(1).max(1_000).default(16),
    /**
     * The https URL where Latchkey's Client ID Metadata Document is served, when that is not
     * `{LATCHKEY_PUBLIC_URL}/oauth/client-metadata.json` on https (e.g. Latchkey on plain http
     * behind a TLS proxy that serves the document). It is the client_id Latchkey presents to
     * authorization servers that accept CIMD, instead of registering a client there.
     */
    LATCHKEY_CLIENT_METADATA_URL: z.preprocess(
      emptyToUndefined,
      z
        .url()
        .refine((u) => u.startsWith("https://") && new URL(u).pathname.length > 1, "must be an https URL with a path")
        .optional(),
    ),
    /** Allow stdio MCP servers (a local process per user and server). Off by default: it runs commands on this host. */
    LATCHKEY_ALLOW_STDIO: z.preprocess(emptyToUndefined, bool.optional()),
  })
  .check((ctx) => {
    const v = ctx.value;
    const oidc = [v.LATCHKEY_OIDC_ISSUER, v.LATCHKEY_OIDC_CLIENT_ID, v.LATCHKEY_OIDC_CLIENT_SECRET];
    if (oidc.some(Boolean) && !oidc.every(Boolean)) {
      ctx.issues.push({
        code: "custom",
        input: v.LATCHKEY_OIDC_ISSUER,
        path: ["LATCHKEY_OIDC_ISSUER"],
        message: "LATCHKEY_OIDC_ISSUER, LATCHKEY_OIDC_CLIENT_ID and LATCHKEY_OIDC_CLIENT_SECRET go together",
      });
    }
  });

export type Env = z.infer<typeof envSchema> & {
  /** Embedded mode: PGlite in the data directory, no external services. */
  embedded: boolean;
};

export class EnvError extends Error {}

let cached: Env | undefined;

export function parseEnv(source: Record<string, string | undefined>): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new EnvError(`Missing or invalid environment variables:\n${lines.join("\n")}`);
  }
  return { ...parsed.data, embedded: !parsed.data.DATABASE_URL };
}

export function getEnv(): Env {
  cached ??= parseEnv(process.env);
  return cached;
}
