import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { createIdpVerifier, unverifiedIssuer, userIdentifierOf } from "@/lib/gateway-tokens/idp";
import { OutboundError, type OutboundFetch } from "@/lib/net/outbound-guard";
import type { IdpSettings } from "@/lib/schemas/environment-settings";

const ISSUER = "https://idp.example.com/";
const idp: IdpSettings = { issuer: ISSUER, jwks_url: "https://idp.example.com/jwks", audience: "latchkey", user_claim: "sub", auto_create_users: false };
let privateKey: CryptoKey;
let jwk: JWK;
const fetched: string[] = [];

/** Serves the JWKS the way the outbound guard would hand it to jose. */
const fakeFetch: OutboundFetch = async (url) => {
  fetched.push(String(url));
  return new Response(JSON.stringify({ keys: [jwk] }), { status: 200, headers: { "content-type": "application/json" } });
};

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  privateKey = pair.privateKey;
  jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
});

const sign = (claims: Record<string, unknown>, opts: { exp?: string | number; alg?: string; key?: CryptoKey | Uint8Array } = {}) => {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: opts.alg ?? "RS256", kid: "k1" }).setIssuedAt();
  if (opts.exp !== undefined) jwt.setExpirationTime(opts.exp);
  return jwt.sign(opts.key ?? privateKey);
};

describe("IdP JWT verification", () => {
  it("accepts a token with the right issuer, audience and signature, and returns the user claim", async () => {
    const v = createIdpVerifier(fakeFetch);
    const token = await sign({ iss: ISSUER, aud: "latchkey", sub: "user-42", email: "a@b.c" }, { exp: "5m" });
    expect(unverifiedIssuer(token)).toBe(ISSUER);
    expect(await v.verify(token, idp)).toEqual({ userIdentifier: "user-42" });
    expect(await v.verify(token, { ...idp, user_claim: "email" })).toEqual({ userIdentifier: "a@b.c" });
    expect(await v.verify(token, { ...idp, audience: ["other", "latchkey"] })).toEqual({ userIdentifier: "user-42" });
    // The key set is fetched once and cached.
    expect(fetched.filter((u) => u === idp.jwks_url)).toHaveLength(1);
  });

  it("refuses the wrong issuer or audience, a missing or expired exp, a missing claim, and symmetric or forged signatures", async () => {
    const v = createIdpVerifier(fakeFetch);
    const base = { iss: ISSUER, aud: "latchkey", sub: "u" };
    expect(await v.verify(await sign({ ...base, iss: "https://evil.example.com/" }, { exp: "5m" }), idp)).toBeNull();
    expect(await v.verify(await sign({ ...base, aud: "someone-else" }, { exp: "5m" }), idp)).toBeNull();
    expect(await v.verify(await sign(base), idp)).toBeNull();
    expect(await v.verify(await sign(base, { exp: Math.floor(Date.now() / 1000) - 60 }), idp)).toBeNull();
    // Within the small clock tolerance it still passes.
    expect(await v.verify(await sign(base, { exp: Math.floor(Date.now() / 1000) - 2 }), idp)).toEqual({ userIdentifier: "u" });
    expect(await v.verify(await sign({ iss: ISSUER, aud: "latchkey" }, { exp: "5m" }), idp)).toBeNull();
    expect(await v.verify(await sign(base, { exp: "5m", alg: "HS256", key: new TextEncoder().encode("x".repeat(32)) }), idp)).toBeNull();
    const other = await generateKeyPair("RS256");
    expect(await v.verify(await sign(base, { exp: "5m", key: other.privateKey }), idp)).toBeNull();
    const token = await sign(base, { exp: "5m" });
    const [h, p] = token.split(".");
    expect(await v.verify(`${h}.${p}.`, idp)).toBeNull();
    expect(await v.verify(`${h}.${Buffer.from(JSON.stringify({ ...base, sub: "admin", exp: 9e9 })).toString("base64url")}.${token.split(".")[2]}`, idp)).toBeNull();
  });

  it("a JWKS the outbound guard refuses verifies nothing", async () => {
    const v = createIdpVerifier(async () => {
      throw new OutboundError("blocked_address", "private");
    });
    expect(await v.verify(await sign({ iss: ISSUER, aud: "latchkey", sub: "u" }, { exp: "5m" }), idp)).toBeNull();
  });

  it("reads the user claim as a bounded string", () => {
    expect(userIdentifierOf({ sub: " a " }, "sub")).toBe("a");
    expect(userIdentifierOf({ uid: 42 }, "uid")).toBe("42");
    for (const v of ["", "x".repeat(256), 1.5, null, {}, ["a"], true]) expect(userIdentifierOf({ sub: v }, "sub")).toBeNull();
    expect(unverifiedIssuer("not-a-jwt")).toBeNull();
  });
});
