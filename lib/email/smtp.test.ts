import { describe, expect, it } from "vitest";
import { describeSmtpError, smtpOptions } from "@/lib/email/smtp";
import { EnvError, parseEnv } from "@/lib/env";

describe("SMTP settings", () => {
  it("SMTP_URL: smtp:// or smtps:// with a host, else the server refuses to boot (without echoing the value)", () => {
    expect(parseEnv({ SMTP_URL: "smtp://u:p@mail.example.com:587" }).SMTP_URL).toBe("smtp://u:p@mail.example.com:587");
    expect(parseEnv({}).SMTP_URL).toBeUndefined();
    expect(parseEnv({ SMTP_URL: "  " }).SMTP_URL).toBeUndefined();
    for (const bad of ["http://mail.example.com", "smtp://", "mail.example.com:25", "smtp://a b@host"]) {
      let err: unknown;
      try {
        parseEnv({ SMTP_URL: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(EnvError);
      expect((err as Error).message).toContain("SMTP_URL");
    }
    let leak: unknown;
    try {
      parseEnv({ SMTP_URL: "http://user:Hunter2-Secret@host" });
    } catch (e) {
      leak = e;
    }
    expect((leak as Error).message).not.toContain("Hunter2-Secret");
  });

  it("LATCHKEY_EMAIL_FROM defaults to Latchkey <no-reply@localhost> and must be one line", () => {
    expect(parseEnv({}).LATCHKEY_EMAIL_FROM).toBe("Latchkey <no-reply@localhost>");
    expect(() => parseEnv({ LATCHKEY_EMAIL_FROM: "a@b.c\r\nBcc: x@y.z" })).toThrow(EnvError);
  });

  it("smtps:// is TLS from the start on 465; smtp:// defaults to 587; credentials are URL-decoded; nothing is read from files or URLs", () => {
    expect(smtpOptions("smtps://mail.example.com")).toMatchObject({ host: "mail.example.com", port: 465, secure: true });
    expect(smtpOptions("smtp://mail.example.com")).toMatchObject({ port: 587, secure: false });
    expect(smtpOptions("smtp://me%40example.com:p%40ss%3Aword@[::1]:2525")).toMatchObject({ host: "::1", port: 2525, auth: { user: "me@example.com", pass: "p@ss:word" } });
    expect(smtpOptions("smtp://mail.example.com")).not.toHaveProperty("auth");
    expect(smtpOptions("smtp://h")).toMatchObject({ disableFileAccess: true, disableUrlAccess: true, connectionTimeout: 10_000 });
  });

  it("a delivery error never carries the SMTP password, even if the server echoed it", () => {
    const url = "smtp://mailer:S3cret%2FPass@127.0.0.1:25";
    const err = Object.assign(new Error("Invalid login: 535 bad credentials for mailer:S3cret/Pass"), { code: "EAUTH" });
    const text = describeSmtpError(err, url);
    expect(text).toBe("EAUTH: Invalid login: 535 bad credentials for mailer:••••");
  });
});
