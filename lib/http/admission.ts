import type { IncomingMessage, ServerResponse } from "node:http";
import { inflightRequests, rejectedRequests } from "@/lib/gateway/metrics";

/** Probes must answer even at capacity: a load balancer that sees 503 there drains the replica. */
const EXEMPT = /^\/api\/(health|ready)(?:[/?]|$)/;

/**
 * Admission control (DESIGN §8): a replica serves at most `max` requests at once and answers
 * the next one at once with 503 + Retry-After, so a burst costs a retry instead of making
 * every request slow.
 */
export class Admission {
  private inflight = 0;
  constructor(private readonly max: number) {}

  /** True when admitted; the slot is given back when the response closes. False: already answered 503. */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (EXEMPT.test(req.url ?? "")) return true;
    if (this.inflight >= this.max) {
      rejectedRequests.inc({ reason: "overloaded" });
      res.writeHead(503, { "content-type": "application/json; charset=utf-8", "retry-after": "1", "x-content-type-options": "nosniff" });
      res.end(JSON.stringify({ error: { code: "service_unavailable", message: "This server is at capacity; retry in a second." } }));
      return false;
    }
    this.inflight++;
    inflightRequests.set(this.inflight);
    res.once("close", () => {
      this.inflight--;
      inflightRequests.set(this.inflight);
    });
    return true;
  }

  get current() {
    return this.inflight;
  }
}
