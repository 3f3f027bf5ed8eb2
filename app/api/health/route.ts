// GET /api/health – liveness: the process answers. Reports "sealed" when the vault is.
import { withPublic } from "@/lib/http/with-api-key";
import { json } from "@/lib/http/respond";
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export const GET = withPublic(async () => {
  const rt = await getRuntime();
  if (rt.sealed) return json({ status: "sealed", reason: rt.sealed }, { status: 503 });
  return json({ status: "ok" });
});
