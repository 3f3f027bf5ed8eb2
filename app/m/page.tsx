import type { Metadata } from "next";
import { formatUtc } from "@/lib/email/magic-link-template";
import { currentMagicSession } from "@/lib/magic-links/current-session";
import { endUserView } from "@/lib/magic-links/end-user";
import { getRuntime } from "@/lib/runtime";
import { EndUserPanel, type PanelData } from "./end-user-panel";
import { MagicGate } from "./magic-gate";

export const dynamic = "force-dynamic";
export const metadata: Metadata = {
  title: "Your connected accounts",
  robots: { index: false, follow: false },
  referrer: "no-referrer",
};

const when = (d: Date) => ({ iso: d.toISOString(), text: formatUtc(d) });

/**
 * The end user's page, opened from a magic link (`/m#token=…`). Public: no dashboard session;
 * the magic-link session cookie is checked against the database on every request.
 */
export default async function MagicLinkPage() {
  const rt = await getRuntime();
  const session = await currentMagicSession(rt);
  let data: PanelData | null = null;
  if (session) {
    const v = await endUserView(rt.db, session);
    data = {
      brand: v.brand,
      userEmail: v.userEmail,
      requested: v.requested,
      connections: v.connections.map((c) => ({
        id: c.id,
        connector: c.connector,
        connectorName: c.connectorName,
        accountLabel: c.accountLabel,
        status: c.status,
        connectedAt: when(c.connectedAt),
        lastUse: c.lastUse ? { toolPackName: c.lastUse.toolPackName, ...when(c.lastUse.at) } : null,
      })),
      canConnectAny: v.canConnectAny,
      completed: v.completed,
      linkExpires: when(v.linkExpiresAt),
    };
  }
  return (
    <main className="mx-auto w-full max-w-xl px-4 py-6 sm:py-12">
      <MagicGate hasSession={Boolean(data)}>{data ? <EndUserPanel data={data} /> : null}</MagicGate>
    </main>
  );
}
