import { ApiKeysClient } from "./api-keys-client";
import { listApiKeys, toApiKeyOut } from "@/lib/api-keys/service";
import { hasRole, requireDashboard } from "@/lib/dashboard/context";
import { getRuntime } from "@/lib/runtime";
import * as z from "zod";

export const metadata = { title: "API keys" };

const searchSchema = z.object({ cursor: z.string().max(200).regex(/^[A-Za-z0-9_-]+$/).optional(), revoked: z.enum(["1"]).optional() });

export default async function ApiKeysPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  const ctx = await requireDashboard();
  const rt = await getRuntime();
  const sp = searchSchema.safeParse(await searchParams);
  const q = sp.success ? sp.data : {};
  const keys = await listApiKeys(rt.db, { environmentId: ctx.environment.id, limit: 50, cursor: q.cursor, includeRevoked: q.revoked === "1" });
  return (
    <div className="max-w-5xl space-y-6">
      <header>
        <h1 className="text-2xl font-semibold">API keys</h1>
        <p className="mt-1 text-sm text-zinc-600">
          Keys of <strong>{ctx.environment.name}</strong> ({ctx.environment.kind === "production" ? "lk_live_" : "lk_test_"}…). A key sees only this
          environment. Its secret is shown once, when it is created.
        </p>
      </header>
      <ApiKeysClient
        keys={keys.data.map(toApiKeyOut)}
        canWrite={hasRole(ctx.role, "developer")}
        nextCursor={keys.nextCursor}
        showRevoked={q.revoked === "1"}
      />
    </div>
  );
}
