// GET /api/ready – readiness: database reachable, migrations current, vault unsealed
import { readiness } from "@/lib/health";
import { withPublic } from "@/lib/http/with-api-key";
import { json } from "@/lib/http/respond";
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export const GET = withPublic(async () => {
  const r = await readiness(await getRuntime());
  return json(r, { status: r.status === "ok" ? 200 : 503 });
});
