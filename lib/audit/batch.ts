import type { Db, Tx } from "@/db/client";
import { appendToChain, auditWriteFailed, unchainedRow, type AuditInput, type UnchainedRow } from "@/lib/audit/record";
import { log } from "@/lib/log";
import { counter, gauge, outsideQueryScope } from "@/lib/metrics/registry";

const FLUSH_EVERY_MS = 200;
const MAX_BATCH = 500;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 10_000;

const written = counter("latchkey_audit_batched_rows_total", "Audit rows written by the batch writer (credential injections on tool calls).");
const failures = counter("latchkey_audit_batch_failures_total", "Audit batches the database refused (the sink is failing; credential use fails closed).");
const pendingGauge = gauge("latchkey_audit_pending_rows", "Audit rows waiting to be written.");

/**
 * Audit rows for events on the MCP hot path (a stored credential injected into a provider
 * call), which must not wait for a database write (DESIGN section 8). Rows are chained and
 * inserted in batches, a few hundred milliseconds after the call, in one transaction per batch.
 *
 * The policy when the database refuses them (F9): the rows are kept and retried with backoff,
 * an `audit_sink_failure` alert is raised, and while the sink is failing every call that would
 * use a stored credential is refused (`audit_unavailable`) before the credential is read. So
 * at most one flush interval of calls can use a credential before the failure is known, and
 * their rows are written as soon as the database accepts them again.
 */
export class AuditBatchWriter {
  private queue: UnchainedRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failingSince: number | null = null;
  private retryMs = RETRY_MIN_MS;

  constructor(private readonly db: () => Db) {}

  /** False while the database refuses audit rows: credential use must fail closed. */
  get healthy(): boolean {
    return this.failingSince === null;
  }

  get pending(): number {
    return this.queue.length;
  }

  record(input: AuditInput) {
    this.queue.push(unchainedRow(input, { trusted: true }));
    pendingGauge.set(this.queue.length);
    // The batch serves many requests: its statements belong to none of them (query accounting).
    outsideQueryScope(() => {
      if (this.queue.length >= MAX_BATCH && this.healthy) void this.flush();
      else this.schedule(FLUSH_EVERY_MS);
    });
  }

  private schedule(ms: number) {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.flushing) await this.flushing;
    while (this.queue.length) {
      const batch = this.queue.slice(0, MAX_BATCH);
      let ok = false;
      this.flushing = (async () => {
        try {
          await this.db().transaction((tx: Tx) => appendToChain(tx, batch));
          ok = true;
        } catch (err) {
          this.failed(batch, err);
        }
      })();
      await this.flushing;
      this.flushing = null;
      if (!ok) {
        // Kept at the head of the queue, in order: retried until the database takes them.
        this.schedule(this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
        return;
      }
      this.queue.splice(0, batch.length);
      written.inc({}, batch.length);
      pendingGauge.set(this.queue.length);
      if (this.failingSince !== null) {
        log.info("audit log accepts rows again: credential use resumes", { failed_for_ms: Date.now() - this.failingSince });
        this.failingSince = null;
      }
      this.retryMs = RETRY_MIN_MS;
    }
  }

  private failed(batch: UnchainedRow[], err: unknown) {
    failures.inc();
    const first = this.failingSince === null;
    this.failingSince ??= Date.now();
    if (!first) return;
    log.error("audit log refused a batch: calls that use stored credentials are refused until it accepts rows again", { rows: batch.length, err });
    auditWriteFailed({ environmentIds: [...new Set(batch.flatMap((r) => (r.environmentId ? [r.environmentId] : [])))], rows: batch.length, err });
  }
}

const KEY = Symbol.for("latchkey.auditBatch");
type Slot = { writer: AuditBatchWriter | null };
const slot: Slot = ((globalThis as { [KEY]?: Slot })[KEY] ??= { writer: null });

/** One writer per process, shared by the custom server's mount and the route handlers. */
export function auditBatch(db: () => Db): AuditBatchWriter {
  return (slot.writer ??= new AuditBatchWriter(db));
}

/** Whether credential use may go ahead (no writer yet means nothing has failed). */
export function auditSinkHealthy(): boolean {
  return slot.writer?.healthy ?? true;
}

/** Writes what is queued; answers how many rows are still unwritten (the sink refused them). */
export async function flushAuditBatch(): Promise<number> {
  await slot.writer?.flush();
  return slot.writer?.pending ?? 0;
}
