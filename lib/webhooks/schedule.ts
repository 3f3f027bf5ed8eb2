/** Longest wait between two attempts, whatever the schedule or a receiver's Retry-After says. */
export const MAX_RETRY_DELAY_SEC = 24 * 3600;

/**
 * Seconds to wait before the next attempt after `attempts` failed ones, or null when the
 * schedule is exhausted (the delivery fails for good). ±20 % jitter spreads retries of many
 * deliveries that failed together (one receiver outage) so they do not return in a burst.
 * A receiver's Retry-After is honoured when it asks for longer.
 */
export function nextRetryDelaySec(attempts: number, schedule: readonly number[], opts: { retryAfterSec?: number | null; random?: () => number } = {}): number | null {
  if (attempts < 1 || attempts > schedule.length) return null;
  const base = schedule[attempts - 1]!;
  const jittered = base * (0.8 + 0.4 * (opts.random ?? Math.random)());
  const wanted = Math.max(jittered, opts.retryAfterSec ?? 0);
  return Math.round(Math.min(wanted, MAX_RETRY_DELAY_SEC) * 1000) / 1000;
}

/** Retry-After as seconds (delta or HTTP date); null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return null;
  if (/^\d{1,9}$/.test(v.trim())) return Number(v.trim());
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, (at - now) / 1000);
}
