import nodemailer from "nodemailer";
import type SMTPTransport from "nodemailer/lib/smtp-transport";
import { scrub } from "@/lib/log";

/**
 * SMTP_URL → nodemailer options. smtps:// is TLS from the first byte (port 465 by default);
 * smtp:// upgrades with STARTTLS when the server offers it. Timeouts are short because the
 * send happens inside the API request that asked for it.
 */
export function smtpOptions(smtpUrl: string): SMTPTransport.Options {
  const u = new URL(smtpUrl);
  const secure = u.protocol === "smtps:";
  return {
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    ...(u.username ? { auth: { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } } : {}),
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    // The message never pulls in a file or a URL (nodemailer can attach either by path).
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

const transports = new Map<string, ReturnType<typeof nodemailer.createTransport<SMTPTransport.SentMessageInfo>>>();

function transportFor(smtpUrl: string) {
  let t = transports.get(smtpUrl);
  if (!t) {
    t = nodemailer.createTransport(smtpOptions(smtpUrl));
    transports.set(smtpUrl, t);
  }
  return t;
}

export type OutgoingEmail = { from: string; to: string; subject: string; text: string; html: string };

export async function sendSmtp(smtpUrl: string, mail: OutgoingEmail): Promise<void> {
  await transportFor(smtpUrl).sendMail({
    from: mail.from,
    to: mail.to,
    subject: mail.subject,
    text: mail.text,
    html: mail.html,
    headers: { "Auto-Submitted": "auto-generated" },
  });
}

/**
 * What a failed send may tell the API caller and the dashboard: the error's code and the
 * server's reply, never the SMTP password (masked even if a server echoed it back).
 */
export function describeSmtpError(err: unknown, smtpUrl: string): string {
  const e = err as { code?: unknown; responseCode?: unknown; message?: unknown };
  let message = typeof e?.message === "string" ? e.message : String(err);
  try {
    const pass = new URL(smtpUrl).password;
    for (const p of new Set([pass, decodeURIComponent(pass)])) if (p) message = message.split(p).join("••••");
  } catch {
    /* SMTP_URL was validated at boot */
  }
  const code = typeof e?.code === "string" ? `${e.code}: ` : "";
  return scrub(`${code}${message}`).replace(/\s+/g, " ").trim().slice(0, 300);
}
