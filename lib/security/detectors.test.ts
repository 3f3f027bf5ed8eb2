import { describe, expect, it } from "vitest";
import { BUILTIN_DETECTORS, DETECTOR_IDS, DETECTORS_BY_ID, type DetectorId } from "./detectors";
import { cardBrand, ibanCheckDigits, ibanChecksumValid, ipv4Valid, ipv6Groups, isbnValid, luhnValid, ssnValid } from "./validators";

const find = (id: DetectorId, text: string) => DETECTORS_BY_ID.get(id)!.find(text).map((m) => m.value);

describe("validators", () => {
  it("Luhn and issuer", () => {
    expect(luhnValid("4242424242424242")).toBe(true);
    expect(luhnValid("4242424242424241")).toBe(false);
    expect(cardBrand("4242424242424242")).toBe("visa");
    expect(cardBrand("378282246310005")).toBe("amex");
    expect(cardBrand("1718035200123456")).toBeNull();
    expect(cardBrand("4006381333931")).toBeNull();
  });
  it("IBAN mod-97 with per-country length", () => {
    expect(ibanChecksumValid("DE89370400440532013000")).toBe(true);
    expect(ibanChecksumValid("DE89370400440532013001")).toBe(false);
    expect(ibanChecksumValid("DE8937040044053201300")).toBe(false);
    expect(ibanCheckDigits("GB", "NWBK60161331926819")).toBe("29");
  });
  it("SSN, IP, ISBN rules", () => {
    expect(ssnValid("123", "45", "6789")).toBe(true);
    expect(ssnValid("666", "45", "6789")).toBe(false);
    expect(ssnValid("900", "45", "6789")).toBe(false);
    expect(ssnValid("123", "00", "6789")).toBe(false);
    expect(ssnValid("123", "45", "0000")).toBe(false);
    expect(ipv4Valid("192.168.1.1")).toBe(true);
    expect(ipv4Valid("192.168.01.1")).toBe(false);
    expect(ipv4Valid("256.1.1.1")).toBe(false);
    expect(ipv6Groups("2001:db8::1")).toBe(3);
    expect(ipv6Groups("::ffff:192.0.2.1")).toBe(1);
    expect(ipv6Groups("1:2:3:4:5:6")).toBeNull();
    expect(ipv6Groups("1::2::3")).toBeNull();
    expect(isbnValid("0306406152")).toBe(true);
    expect(isbnValid("9783161484100")).toBe(true);
  });
});

describe("built-in detectors", () => {
  it("has one detector per id, each with a placeholder kind and a bound", () => {
    expect(BUILTIN_DETECTORS.map((d) => d.id)).toEqual([...DETECTOR_IDS]);
    for (const d of BUILTIN_DETECTORS) {
      expect(d.kind).toMatch(/^[A-Z_]+$/);
      expect(d.maxLength).toBeGreaterThan(0);
      expect(d.maxLength).toBeLessThanOrEqual(16_448);
    }
  });

  it("email: addresses, not asset names, package specs or SSH remotes", () => {
    expect(find("email", "to jane.doe+x@mail.example.co.uk.")).toEqual(["jane.doe+x@mail.example.co.uk"]);
    expect(find("email", "icon@2x.png react@18.2.0 git@github.com:org/repo.git user@localhost")).toEqual([]);
    expect(find("email", "https://user:ghp_abc@github.com/x")).toEqual([]);
  });

  it("phone: international and national formats, not dates, ids or ISBNs", () => {
    expect(find("phone", "call +44 20 7946 0958 or (415) 555-0132 or 030 901820")).toEqual(["+44 20 7946 0958", "(415) 555-0132", "030 901820"]);
    expect(find("phone", "2024-01-15 1718035200 ISBN 0-306-40615-2 ORD-2024-000123 $1299.99 94105-1234")).toEqual([]);
  });

  it("card, SSN, IBAN", () => {
    expect(find("payment_card", "4242 4242 4242 4242 and 4242 4242 4242 4241")).toEqual(["4242 4242 4242 4242"]);
    expect(find("us_ssn", "123-45-6789, 666-45-6789, ssn 123456789")).toEqual(["123-45-6789", "123456789"]);
    expect(find("us_ssn", "account 123456789 routing 021000021")).toEqual([]);
    expect(find("iban", "GB29 NWBK 6016 1331 9268 19 and GB29NWBK60161331926818")).toEqual(["GB29 NWBK 6016 1331 9268 19"]);
  });

  it("IP: v4 and v6, not versions, MACs or times", () => {
    expect(find("ip_address", "from 10.0.0.1 and [2001:db8::1]:443")).toEqual(["10.0.0.1", "2001:db8::1"]);
    expect(find("ip_address", "v1.2.3.4 version 10.0.0.1 1.2.3.4.5 00:1A:2B:3C:4D:5E 12:30:45 a::b")).toEqual([]);
  });

  it("JWT needs a header with alg; PEM blocks with or without footer", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln";
    expect(find("jwt", `Bearer ${jwt}`)).toEqual([jwt]);
    expect(find("jwt", "eyJub3QiOiJqd3QifQ.eyJzdWIiOiIxIn0.c2ln")).toEqual([]);
    const pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----";
    expect(find("private_key", `x ${pem} y`)).toEqual([pem]);
    expect(find("private_key", "-----BEGIN PRIVATE KEY-----\nMIIBabc")).toEqual(["-----BEGIN PRIVATE KEY-----\nMIIBabc"]);
    expect(find("private_key", "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----")).toEqual([]);
  });

  it("known secret formats", () => {
    expect(find("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE")).toEqual(["AKIAIOSFODNN7EXAMPLE"]);
    expect(find("aws_secret_access_key", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).toEqual(["wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]);
    expect(find("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")).toEqual([]);
    expect(find("github_token", "ghp_1234567890abcdefghijABCDEFGHIJ123456")).toHaveLength(1);
    expect(find("slack_token", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx")).toHaveLength(1);
    expect(find("stripe_secret_key", "sk_live_4eC39HqLyjWDarjtT1zdp7dc pk_live_4eC39HqLyjWDarjtT1zdp7dc")).toEqual(["sk_live_4eC39HqLyjWDarjtT1zdp7dc"]);
    expect(find("openai_api_key", "sk-proj-abc123DEF456ghi789JKL012 sk-learn-compatible-estimators")).toEqual(["sk-proj-abc123DEF456ghi789JKL012"]);
    expect(find("latchkey_secret", `lk_live_${"a1".repeat(24)}b lk_env`)).toHaveLength(1);
  });

  it("high entropy: random tokens, not hashes, UUIDs, identifiers or data URIs", () => {
    expect(find("high_entropy_secret", "token Xk9mQ2vLp8RtY4wZ1nB7cF3hJ6sD0aE5")).toEqual(["Xk9mQ2vLp8RtY4wZ1nB7cF3hJ6sD0aE5"]);
    expect(
      find(
        "high_entropy_secret",
        "550e8400-e29b-41d4-a716-446655440000 3f786850e387550fdab836ed7e6dc881de23001b AbstractSingletonProxyFactoryBean2 src/lib/security/detectors data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
      ),
    ).toEqual([]);
  });

  it("never throws and stays bounded on hostile text", () => {
    const hostile = ["\u0000".repeat(100), "\ud800\udc00\ud800", "@".repeat(1000), "+".repeat(1000), "-----BEGIN ".repeat(200), "eyJ.".repeat(300), ":".repeat(500), "%".repeat(500)];
    for (const d of BUILTIN_DETECTORS) for (const h of hostile) expect(() => d.find(h)).not.toThrow();
  });
});
