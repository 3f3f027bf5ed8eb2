import type { Environment } from "@/db/schema";
import { insertEmail } from "@/db/queries/email-outbox";
import { seal } from "@/lib/crypto/vault";
import { createId } from "@/lib/ids";
import { log } from "@/lib/log";
import type { Runtime } from "@/lib/runtime";
import { describeSmtpError, sendSmtp } from "@/lib/email/smtp";
import type { RenderedEmail } from "@/lib/email/magic-link-template";

type Env = Pick<Environment, "id" | "organizationId">;
type Rt = Pick<Runtime, "db" | "keyring"> & { env: Pick<Runtime["env"], "SMTP_URL" | "LATCHKEY_EMAIL_FROM"> };

export type EmailDelivery = { id: string; status: "sent" | "failed" | "outbox"; error?: string };

export const outboxBodyAad = (env: Env, id: string) => ({ org: env.organizationId, env: env.id, table: "email_outbox", row: id, field: "body" });

/**
 * Sends one email, or keeps it in the outbox when no SMTP server is configured (development).
 * Either way a row records it. Only outbox rows keep the body, encrypted: it carries a bearer
 * link, and once an email went out there is no reason to hold a copy of it.
 * A failed send is reported, not thrown: what the email was for (a link) exists regardless.
 */
export async function deliverEmail(rt: Rt, input: { environment: Env; to: string; email: RenderedEmail; magicLinkId?: string | null }): Promise<EmailDelivery> {
  const id = createId("email");
  const base = { id, environmentId: input.environment.id, toAddress: input.to, subject: input.email.subject, magicLinkId: input.magicLinkId ?? null };
  const smtpUrl = rt.env.SMTP_URL;
  if (!smtpUrl) {
    const bodySealed = seal(rt, JSON.stringify({ text: input.email.text, html: input.email.html }), outboxBodyAad(input.environment, id));
    await insertEmail(rt.db, { ...base, status: "outbox", bodySealed });
    return { id, status: "outbox" };
  }
  let delivery: EmailDelivery;
  try {
    await sendSmtp(smtpUrl, { from: rt.env.LATCHKEY_EMAIL_FROM, to: input.to, ...input.email });
    delivery = { id, status: "sent" };
  } catch (err) {
    delivery = { id, status: "failed", error: describeSmtpError(err, smtpUrl) };
    log.warn("email delivery failed", { email: id, environment: input.environment.id, error: delivery.error });
  }
  await insertEmail(rt.db, { ...base, status: delivery.status, error: delivery.error ?? null });
  return delivery;
}
