import { describe, expect, it } from "vitest";
import { generateToken, hashToken } from "@/lib/crypto/tokens";
import { displayPrefix, parseGatewayAuthorization } from "@/lib/gateway-tokens/parse";

const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl";

describe("parseGatewayAuthorization", () => {
  it("tells service tokens, user tokens and JWTs apart by their shape", () => {
    const svc = generateToken("lk_svc").token;
    const pat = generateToken("lk_pat").token;
    expect(parseGatewayAuthorization(`Bearer ${svc}`)).toEqual({ kind: "service", hash: hashToken(svc) });
    expect(parseGatewayAuthorization(`bearer  ${pat} `)).toEqual({ kind: "user", hash: hashToken(pat) });
    expect(parseGatewayAuthorization(`Bearer ${jwt}`)).toEqual({ kind: "jwt", token: jwt });
  });

  it("rejects everything else before any lookup", () => {
    const svc = generateToken("lk_svc").token;
    for (const bad of [
      null,
      "",
      "Bearer",
      `Basic ${svc}`,
      `Bearer ${svc}x`,
      `Bearer ${svc.slice(0, -1)}`,
      `Bearer ${svc} extra`,
      `Bearer lk_mcp_${"a".repeat(43)}`,
      `Bearer lk_test_${"a".repeat(49)}`,
      "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.", // alg none: no signature
      "Bearer eyJhbGciOiJkaXIifQ..iv.ct.tag", // JWE
      "Bearer not.a.jwt",
      `Bearer eyJ${"a".repeat(9000)}.eyJ.sig`,
    ]) {
      expect(parseGatewayAuthorization(bad), String(bad).slice(0, 60)).toBeNull();
    }
  });

  it("shows only the prefix and four characters", () => {
    const svc = generateToken("lk_svc").token;
    expect(displayPrefix(svc)).toBe(svc.slice(0, 11));
    expect(displayPrefix(svc)).toMatch(/^lk_svc_[0-9A-Za-z]{4}$/);
  });
});
