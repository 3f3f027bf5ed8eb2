/**
 * The magic-link email: plain text plus a minimal HTML part, branded with the organization's
 * name. No images, no remote resources, no tracking of any kind; the only link is the magic
 * link itself.
 */
export type MagicLinkEmailInput = {
  /** Organization name, with the environment's for test environments ("Acme (Staging)"). */
  brand: string;
  /** Display names of the connectors the link asks for; empty = "manage your connections". */
  connectorNames: string[];
  url: string;
  expiresAt: Date;
};

export type RenderedEmail = { subject: string; text: string; html: string };

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** One line, printable: a name with control characters must not bend a header or the layout. */
const oneLine = (s: string, max: number) => s.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ").trim().slice(0, max);

/** "22 November 2026 at 05:42 UTC": unambiguous for a reader in any time zone. */
export function formatUtc(d: Date): string {
  const s = new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }).format(d);
  return `${s} UTC`;
}

function listOf(names: string[]): string {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

export function renderMagicLinkEmail(input: MagicLinkEmailInput): RenderedEmail {
  const brand = oneLine(input.brand, 120) || "Latchkey";
  const names = input.connectorNames.map((n) => oneLine(n, 60)).filter(Boolean);
  const expiry = formatUtc(input.expiresAt);
  const subject = names.length ? `${brand}: connect your ${listOf(names)} account${names.length > 1 ? "s" : ""}` : `${brand}: manage your connected accounts`;
  const ask = names.length
    ? `${brand} asks you to connect your ${listOf(names)} account${names.length > 1 ? "s" : ""}, so that its assistant can act on your behalf.`
    : `Use this link to see and manage the accounts you have connected to ${brand}.`;
  const text = [
    ask,
    "",
    "Open this link in your browser:",
    input.url,
    "",
    `The link works until ${expiry}. Do not forward it: anyone with it can manage your connected accounts.`,
    "If you did not expect this email, you can ignore it.",
    "",
    `— ${brand}, via Latchkey`,
    "",
  ].join("\n");
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(subject)}</title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#18181b">
<div style="max-width:480px;margin:0 auto;background:#ffffff;border:1px solid #e4e4e7;border-radius:8px;padding:24px">
<p style="margin:0 0 16px;font-size:18px;font-weight:600">${e(brand)}</p>
<p style="margin:0 0 20px;font-size:15px;line-height:1.5">${e(ask)}</p>
<p style="margin:0 0 20px"><a href="${e(input.url)}" style="display:inline-block;background:#4f46e5;color:#ffffff;text-decoration:none;padding:10px 16px;border-radius:6px;font-weight:600">${names.length ? "Connect" : "Manage connections"}</a></p>
<p style="margin:0 0 8px;font-size:13px;color:#52525b">Or copy this link into your browser:</p>
<p style="margin:0 0 20px;font-size:13px;word-break:break-all"><a href="${e(input.url)}" style="color:#4338ca">${e(input.url)}</a></p>
<p style="margin:0 0 8px;font-size:13px;color:#52525b">The link works until ${e(expiry)}. Do not forward it: anyone with it can manage your connected accounts.</p>
<p style="margin:0;font-size:13px;color:#52525b">If you did not expect this email, you can ignore it.</p>
</div>
<p style="max-width:480px;margin:12px auto 0;font-size:12px;color:#71717a;text-align:center">${e(brand)}, via Latchkey</p>
</body>
</html>
`;
  return { subject, text, html };
}
