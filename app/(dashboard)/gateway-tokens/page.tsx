import * as z from "zod";
import { GatewayTokensClient } from "./gateway-tokens-client";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { listGatewayTokens, toGatewayTokenOut } from "@/lib/gateway-tokens/service";
import { getRuntime } from "@/lib/runtime";

export const metadata = { title: "Gateway tokens" };

const searchSchema = z.object({ cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional(), revoked: z.enum(["1"]).optional() });

export default async function GatewayTokensPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const sp = searchSchema.safeParse(await searchParams);
  const q = sp.success ? sp.data : {};
  const tokens = await listGatewayTokens(rt.db, { environmentId: ctx.environment.id, limit: 50, cursor: q.cursor, includeRevoked: q.revoked === "1" });
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">Gateway tokens</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Service tokens (<code>lk_svc_…</code>) of <strong>{ctx.environment.name}</strong>. An agent sends one as <code>Authorization: Bearer …</code> to{" "}
          <code>/mcp/&lt;tool pack slug&gt;</code> and gets that pack on the environment&apos;s <em>shared</em> connections only, with no end user. For an end
          user&apos;s own accounts, use a personal token (<code>POST /api/v1/registered-users/&#123;id&#125;/tokens</code>) or your identity provider&apos;s JWT
          (Settings). The token is shown once.
        </p>
      </header>
      <GatewayTokensClient tokens={tokens.data.map(toGatewayTokenOut)} canWrite={hasRole(ctx.role, "developer")} nextCursor={tokens.nextCursor} showRevoked={q.revoked === "1"} />
    </div>
  );
}
