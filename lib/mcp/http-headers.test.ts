import { describe, expect, it } from "vitest";
import { decodeMcpHeaderValue, isJsonContentType, originAllowed, prefersEventStream } from "@/lib/mcp/http-headers";

describe("prefersEventStream", () => {
  it.each([
    [undefined, false],
    ["application/json, text/event-stream", false],
    ["text/event-stream", true],
    ["text/event-stream, application/json", false],
    ["application/json;q=0.9, text/event-stream", true],
    ["text/event-stream;q=0.1, application/json;q=0", true],
    ["*/*", false],
    ["text/*", true],
    ["application/*, text/event-stream;q=0.5", false],
    ["TEXT/EVENT-STREAM", true],
    ["text/event-stream;q=abc", false],
    ["", false],
  ])("%s → %s", (accept, sse) => {
    expect(prefersEventStream(accept)).toBe(sse);
  });
});

describe("originAllowed", () => {
  const list = ["https://app.example.com"];
  it.each([
    ["https://app.example.com", "gw.example.com", true],
    ["https://app.example.com/", "gw.example.com", false],
    ["https://gw.example.com", "gw.example.com", false],
    ["http://evil.example", "evil.example", false],
    ["http://localhost:3000", "localhost:3000", true],
    ["http://localhost:3001", "localhost:3000", false],
    ["http://LOCALHOST:3000", "LOCALHOST:3000", true],
    ["http://127.0.0.1", "127.0.0.1", true],
    ["https://[::1]:8443", "[::1]:8443", true],
    ["http://localhost.evil.example", "localhost.evil.example", false],
    ["null", undefined, false],
  ])("%s with Host %s → %s", (origin, host, ok) => {
    expect(originAllowed(origin, host, list)).toBe(ok);
  });
});

describe("decodeMcpHeaderValue", () => {
  it.each([
    ["get_weather", "get_weather"],
    ["  padded\t", "padded"],
    ["=?base64?SGVsbG8sIOS4lueVjA==?=", "Hello, 世界"],
    ["=?base64?SGVsbG8sIOS4lueVjA?=", "Hello, 世界"],
    ["=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?=", "=?base64?literal?="],
    ["=?base64??=", ""],
    ["=?base64?SGV sbG8=?=", null],
    ["=?base64?/w==?=", null],
    ["caf\u00e9", null],
    ["a\u0000b", null],
  ])("%j → %j", (raw, decoded) => {
    expect(decodeMcpHeaderValue(raw)).toBe(decoded);
  });
});

describe("isJsonContentType", () => {
  it.each([
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON;charset=UTF-8", true],
    [" application/json ", true],
    [undefined, false],
    ["", false],
    ["text/plain", false],
    ["text/plain; x=application/json", false],
    ["application/x-www-form-urlencoded", false],
    ["multipart/form-data; boundary=x", false],
    ["application/json-seq", false],
    ["application/jsonx", false],
    ["text/json", false],
    ["application/vnd.api+json", false],
  ])("%s → %s", (value, ok) => {
    expect(isJsonContentType(value)).toBe(ok);
  });
});
