import { describe, expect, it } from "vitest";
import { escapeHtml, formatUtc, renderMagicLinkEmail } from "@/lib/email/magic-link-template";

const url = "https://latchkey.example.com/m#token=lk_magic_0123456789abcdefghijABCDEFGHIJ0123456789abc";
const expiresAt = new Date("2026-11-29T08:30:00Z");

describe("magic-link email", () => {
  it("carries the link and the expiry in both parts, branded, asking for the requested connectors", () => {
    const e = renderMagicLinkEmail({ brand: "Acme", connectorNames: ["GitHub", "Slack"], url, expiresAt });
    expect(e.subject).toBe("Acme: connect your GitHub and Slack accounts");
    for (const part of [e.text, e.html]) {
      expect(part).toContain(url);
      expect(part).toContain("29 November 2026");
      expect(part).toContain("08:30 UTC");
      expect(part).toContain("Acme");
    }
    expect(e.text).toContain("connect your GitHub and Slack accounts");
    expect(formatUtc(expiresAt)).toMatch(/^29 November 2026.*08:30 UTC$/);
  });

  it("without connectors it is a 'manage your connections' email", () => {
    const e = renderMagicLinkEmail({ brand: "Acme", connectorNames: [], url, expiresAt });
    expect(e.subject).toBe("Acme: manage your connected accounts");
    expect(e.html).toContain("Manage connections");
  });

  it("escapes HTML in names: an organization or connector name cannot inject markup or break out of an attribute", () => {
    const evil = `<script>alert(1)</script>"'&<img src=x onerror=alert(2)>`;
    const e = renderMagicLinkEmail({ brand: evil, connectorNames: [`Git<b>Hub</b>`], url: `${url}"><script>x</script>`, expiresAt });
    expect(e.html).not.toContain("<script>");
    expect(e.html).not.toContain("<img");
    expect(e.html).not.toContain("<b>Hub");
    expect(e.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;");
    expect(e.html).not.toMatch(/href="[^"]*"><script>/);
    expect(escapeHtml(`a<b>"c"&'d'`)).toBe("a&lt;b&gt;&quot;c&quot;&amp;&#39;d&#39;");
  });

  it("keeps names on one line: a CR/LF in a name cannot add a header to the subject", () => {
    const e = renderMagicLinkEmail({ brand: "Acme\r\nBcc: victim@example.com", connectorNames: [], url, expiresAt });
    expect(e.subject).not.toMatch(/[\r\n]/);
    expect(e.subject).toBe("Acme Bcc: victim@example.com: manage your connected accounts");
  });

  it("tracks nothing: no images, no remote resources, the only link is the magic link", () => {
    const e = renderMagicLinkEmail({ brand: "Acme", connectorNames: ["GitHub"], url, expiresAt });
    expect(e.html).not.toMatch(/<img|<link|<script|url\(|@import|src=/i);
    const hrefs = [...e.html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(new Set(hrefs)).toEqual(new Set([url]));
  });
});
