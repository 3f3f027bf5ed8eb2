import { describe, expect, it } from "vitest";
import { magicLinkStatus, pendingConnectors } from "@/lib/magic-links/status";

const now = new Date("2026-11-22T12:00:00Z");
const later = new Date("2026-11-29T12:00:00Z");
const earlier = new Date("2026-11-22T11:59:59Z");
const link = (over: Partial<{ revokedAt: Date | null; expiresAt: Date; connectors: string[] | null }> = {}) => ({ revokedAt: null, expiresAt: later, connectors: null, ...over });

describe("magic link status", () => {
  it("active until it expires; a link that asked for nothing in particular never completes", () => {
    expect(magicLinkStatus(link(), new Set(["github", "slack"]), now)).toBe("active");
    expect(magicLinkStatus(link({ connectors: [] }), new Set(["github"]), now)).toBe("active");
    expect(magicLinkStatus(link({ expiresAt: earlier }), new Set(), now)).toBe("expired");
    expect(magicLinkStatus(link({ expiresAt: now }), new Set(), now)).toBe("expired");
  });

  it("completed once every requested connector has an active connection, not before", () => {
    const l = link({ connectors: ["github", "slack"] });
    expect(magicLinkStatus(l, new Set(), now)).toBe("active");
    expect(magicLinkStatus(l, new Set(["github"]), now)).toBe("active");
    expect(pendingConnectors(l, new Set(["github"]))).toEqual(["slack"]);
    expect(magicLinkStatus(l, new Set(["github", "slack", "notion"]), now)).toBe("completed");
    expect(pendingConnectors(l, new Set(["github", "slack"]))).toEqual([]);
    // Completion is what the caller wants to know, even once the link has expired.
    expect(magicLinkStatus({ ...l, expiresAt: earlier }, new Set(["github", "slack"]), now)).toBe("completed");
  });

  it("revocation wins over everything", () => {
    const r = new Date("2026-11-22T10:00:00Z");
    expect(magicLinkStatus(link({ revokedAt: r }), new Set(), now)).toBe("revoked");
    expect(magicLinkStatus(link({ revokedAt: r, connectors: ["github"] }), new Set(["github"]), now)).toBe("revoked");
    expect(magicLinkStatus(link({ revokedAt: r, expiresAt: earlier }), new Set(), now)).toBe("revoked");
  });
});
