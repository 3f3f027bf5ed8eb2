import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "@/lib/env";

function envError(source: Record<string, string | undefined>): string {
  try {
    parseEnv(source);
  } catch (err) {
    expect(err).toBeInstanceOf(EnvError);
    return (err as Error).message;
  }
  throw new Error("parseEnv accepted the environment");
}

describe("parseEnv", () => {
  it("with no DATABASE_URL runs embedded, with safe defaults", () => {
    const env = parseEnv({});
    expect(env.embedded).toBe(true);
    expect(env.NODE_ENV).toBe("production");
    expect(env.PORT).toBe(3000);
    expect(env.LATCHKEY_MAX_BODY_BYTES).toBe(1024 * 1024);
    expect(env.LATCHKEY_TRUST_PROXY_HOPS).toBe(0);
    expect(parseEnv({ DATABASE_URL: "" }).embedded).toBe(true);
    expect(parseEnv({ DATABASE_URL: "   " }).embedded).toBe(true);
  });

  it("with a postgres URL is not embedded; values are coerced", () => {
    const env = parseEnv({ DATABASE_URL: "postgres://u:p@db:5432/latchkey", PORT: "8080", LATCHKEY_SECURE_COOKIES: "yes" });
    expect(env.embedded).toBe(false);
    expect(env.PORT).toBe(8080);
    expect(env.LATCHKEY_SECURE_COOKIES).toBe(true);
    expect(parseEnv({ DATABASE_URL: "postgresql://db/x" }).embedded).toBe(false);
  });

  it.each([
    ["DATABASE_URL", { DATABASE_URL: "mysql://db/x" }],
    ["PORT", { PORT: "not-a-port" }],
    ["PORT", { PORT: "70000" }],
    ["LATCHKEY_ADMIN_EMAIL", { LATCHKEY_ADMIN_EMAIL: "not-an-email" }],
    ["LATCHKEY_ADMIN_PASSWORD", { LATCHKEY_ADMIN_PASSWORD: "short" }],
    ["AUTH_SECRET", { AUTH_SECRET: "too-short-secret" }],
    ["LATCHKEY_MAX_BODY_BYTES", { LATCHKEY_MAX_BODY_BYTES: "10" }],
    ["LATCHKEY_TRUST_PROXY_HOPS", { LATCHKEY_TRUST_PROXY_HOPS: "-1" }],
    ["LATCHKEY_LOG_LEVEL", { LATCHKEY_LOG_LEVEL: "verbose" }],
    ["NODE_ENV", { NODE_ENV: "staging" }],
    ["LATCHKEY_PUBLIC_URL", { LATCHKEY_PUBLIC_URL: "not a url" }],
  ])("a bad %s gives an EnvError naming the variable", (name, source) => {
    expect(envError(source)).toMatch(new RegExp(`\\b${name}\\b`));
  });

  it("lists every bad variable at once, without echoing secret values", () => {
    const msg = envError({ PORT: "x", AUTH_SECRET: "hunter2-secret", LATCHKEY_ADMIN_PASSWORD: "pw-leak" });
    expect(msg).toContain("PORT");
    expect(msg).toContain("AUTH_SECRET");
    expect(msg).toContain("LATCHKEY_ADMIN_PASSWORD");
    expect(msg).not.toContain("hunter2-secret");
    expect(msg).not.toContain("pw-leak");
  });

  it("the OIDC issuer, client id and client secret go together", () => {
    const full = {
      LATCHKEY_OIDC_ISSUER: "https://idp.example.com",
      LATCHKEY_OIDC_CLIENT_ID: "latchkey",
      LATCHKEY_OIDC_CLIENT_SECRET: "s3cret-value",
    };
    expect(parseEnv(full).LATCHKEY_OIDC_CLIENT_ID).toBe("latchkey");
    for (const missing of Object.keys(full) as (keyof typeof full)[]) {
      const partial = { ...full, [missing]: undefined };
      const msg = envError(partial);
      expect(msg).toContain("LATCHKEY_OIDC_ISSUER");
      expect(msg).toContain("go together");
      expect(msg).not.toContain("s3cret-value");
    }
    expect(envError({ LATCHKEY_OIDC_CLIENT_SECRET: "s3cret-value" })).toContain("go together");
  });
});
