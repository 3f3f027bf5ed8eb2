/**
 * Per-upstream isolation (checks F4, F5): a circuit breaker and a concurrency cap for each
 * upstream MCP server, shared by every session Latchkey holds with it. A dead upstream fails
 * fast instead of tying up request slots for its timeout, and a slow one can occupy at most its
 * own cap of in-flight calls, so other tenants' upstreams keep their latency.
 */

export type GuardErrorCode = "upstream_unavailable" | "upstream_busy";

export class GuardError extends Error {
  constructor(
    readonly code: GuardErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "GuardError";
  }
}

export type GuardOptions = {
  /** Consecutive failures (network errors, timeouts, 5xx) that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker refuses before one probe may go through. */
  cooldownMs: number;
  /** Calls in flight at once to this upstream. */
  maxConcurrent: number;
  /** Calls waiting for a slot; beyond it a call fails at once. */
  maxQueue: number;
  /** How long a call may wait for a slot before it fails with upstream_busy. */
  queueTimeoutMs: number;
};

export const DEFAULT_GUARD: GuardOptions = { failureThreshold: 5, cooldownMs: 30_000, maxConcurrent: 16, maxQueue: 64, queueTimeoutMs: 2_000 };

type Waiter = { grant: () => void; timer: ReturnType<typeof setTimeout> };

export class UpstreamGuard {
  private failures = 0;
  private openedAt: number | null = null;
  private probing = false;
  private inFlight = 0;
  private queue: Waiter[] = [];

  constructor(
    private readonly label: string,
    readonly options: GuardOptions = DEFAULT_GUARD,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): "closed" | "open" | "half-open" {
    if (this.openedAt === null) return "closed";
    return this.now() - this.openedAt >= this.options.cooldownMs ? "half-open" : "open";
  }

  /** Runs `fn` under the breaker and the cap. `fn` reports whether the outcome counts as an upstream failure. */
  async run<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean, signal?: AbortSignal): Promise<T> {
    let probe = false;
    const state = this.state;
    if (state === "open") throw new GuardError("upstream_unavailable", `${this.label} is unavailable (it failed repeatedly); calls are refused for a while.`);
    if (state === "half-open") {
      // One probe at a time decides whether the upstream is back.
      if (this.probing) throw new GuardError("upstream_unavailable", `${this.label} is unavailable (it failed repeatedly); calls are refused for a while.`);
      this.probing = probe = true;
    }
    try {
      await this.acquire(signal);
    } catch (err) {
      if (probe) this.probing = false;
      throw err;
    }
    try {
      const out = await fn();
      this.succeeded();
      return out;
    } catch (err) {
      if (isFailure(err)) this.failed();
      else if (probe) this.succeeded();
      throw err;
    } finally {
      if (probe) this.probing = false;
      this.release();
    }
  }

  private succeeded() {
    this.failures = 0;
    this.openedAt = null;
  }

  private failed() {
    this.failures++;
    // A failed probe re-opens at once; otherwise the threshold decides.
    if (this.openedAt !== null || this.failures >= this.options.failureThreshold) this.openedAt = this.now();
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.inFlight < this.options.maxConcurrent) {
      this.inFlight++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.options.maxQueue) return Promise.reject(new GuardError("upstream_busy", `${this.label} is busy (too many calls in flight); try again shortly.`));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        drop();
        reject(new GuardError("upstream_busy", `${this.label} is busy; the call was cancelled while waiting.`));
      };
      const drop = () => {
        clearTimeout(waiter.timer);
        const i = this.queue.indexOf(waiter);
        if (i >= 0) this.queue.splice(i, 1);
        signal?.removeEventListener("abort", onAbort);
      };
      const waiter: Waiter = {
        grant: () => {
          drop();
          resolve();
        },
        timer: setTimeout(() => {
          drop();
          reject(new GuardError("upstream_busy", `${this.label} is busy (too many calls in flight); try again shortly.`));
        }, this.options.queueTimeoutMs),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  private release() {
    const next = this.queue[0];
    // The slot passes straight to the next waiter, so inFlight stays the same.
    if (next) next.grant();
    else this.inFlight--;
  }
}

const guards = new Map<string, UpstreamGuard>();

/** One guard per upstream server (by id), kept across client rebuilds so an edit does not reset a tripped breaker's count needlessly. */
export function guardFor(serverId: string, label: string, options?: GuardOptions): UpstreamGuard {
  let g = guards.get(serverId);
  if (!g) {
    g = new UpstreamGuard(label, options);
    guards.set(serverId, g);
  }
  return g;
}

export function forgetGuard(serverId: string) {
  guards.delete(serverId);
}
