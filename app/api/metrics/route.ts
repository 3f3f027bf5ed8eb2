// GET /api/metrics – Prometheus text format, behind LATCHKEY_METRICS_TOKEN (always 401 when unset).
import { bearerToken } from "@/lib/api-keys/authenticate";
import { safeEqual } from "@/lib/crypto/tokens";
import { AppError } from "@/lib/errors";
import { withPublic } from "@/lib/http/with-api-key";
import { renderMetrics } from "@/lib/metrics/registry";
import { getRuntime } from "@/lib/runtime";

export const dynamic = "force-dynamic";

export const GET = withPublic(async ({ req }) => {
  const rt = await getRuntime();
  const expected = rt.env.LATCHKEY_METRICS_TOKEN;
  if (!expected) throw new AppError({ code: "unauthorized", message: "Metrics are off: set LATCHKEY_METRICS_TOKEN to enable /api/metrics." });
  const presented = bearerToken(req.headers.get("authorization"));
  if (!presented || !safeEqual(presented, expected)) throw new AppError({ code: "unauthorized", message: "A valid metrics token is required." });
  return new Response(renderMetrics(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8", "cache-control": "no-store" } });
});
