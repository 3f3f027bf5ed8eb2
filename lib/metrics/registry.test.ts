import { describe, expect, it } from "vitest";
import { histogram, renderMetrics } from "@/lib/metrics/registry";

describe("histograms", () => {
  it("render cumulative buckets, sum and count per label set in the Prometheus text format", () => {
    const h = histogram("latchkey_test_seconds", "A test histogram.", [0.1, 1]);
    h.observe(0.05, { route: "/a" });
    h.observe(0.5, { route: "/a" });
    h.observe(5, { route: "/a" });
    const text = renderMetrics();
    expect(text).toContain("# TYPE latchkey_test_seconds histogram");
    expect(text).toContain('latchkey_test_seconds_bucket{le="0.1",route="/a"} 1');
    expect(text).toContain('latchkey_test_seconds_bucket{le="1",route="/a"} 2');
    expect(text).toContain('latchkey_test_seconds_bucket{le="+Inf",route="/a"} 3');
    expect(text).toContain('latchkey_test_seconds_count{route="/a"} 3');
    expect(text).toContain('latchkey_test_seconds_sum{route="/a"} 5.55');
  });
});
