import { and, desc, eq, lt, type SQL } from "drizzle-orm";
import type { Db, DbOrTx } from "@/db/client";
import { toolCalls } from "@/db/schema";
import { createId } from "@/lib/ids";
import { log } from "@/lib/log";
import { outsideQueryScope } from "@/lib/metrics/registry";
import { toolCallDuration, toolCallsTotal } from "@/lib/metrics/app";

export type ToolCallRecord = Omit<typeof toolCalls.$inferInsert, "id" | "createdAt">;

const FLUSH_EVERY_MS = 500;
const MAX_BATCH = 200;
const MAX_QUEUE = 10_000;

/**
 * The tool-call log is written off the request path: calls are queued in memory and inserted
 * in batches (every 500 ms or 200 rows), and the queue is flushed on a clean shutdown. If the
 * database refuses a batch it is retried once and then dropped with an error log — a log row
 * never fails or slows a tool call.
 */
export class ToolCallLog {
  private queue: (typeof toolCalls.$inferInsert)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private held = new WeakMap<AbortSignal, ToolCallRecord[]>();

  constructor(private readonly db: () => Db) {}

  /**
   * Rows recorded for this call (keyed by its signal) wait until `release`, which may amend them:
   * the security gateway withholds a result after the inner backend logged it as `ok`.
   */
  hold(signal: AbortSignal): { release(amend?: Partial<Pick<ToolCallRecord, "status" | "errorCode">>): void } {
    const rows: ToolCallRecord[] = [];
    this.held.set(signal, rows);
    return {
      release: (amend) => {
        if (this.held.get(signal) !== rows) return;
        this.held.delete(signal);
        for (const r of rows) this.push(amend ? { ...r, ...amend } : r);
      },
    };
  }

  record(r: ToolCallRecord, signal?: AbortSignal) {
    const held = signal && this.held.get(signal);
    if (held) held.push(r);
    else this.push(r);
  }

  private push(r: ToolCallRecord) {
    toolCallsTotal.inc({ status: r.status });
    toolCallDuration.observe(r.latencyMs / 1000, { status: r.status });
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      log.warn("tool-call log queue full: dropping the oldest row");
    }
    this.queue.push({ ...r, id: createId("toolCall"), createdAt: new Date() });
    // The batch serves many requests: its insert belongs to none of them (query accounting).
    outsideQueryScope(() => {
      if (this.queue.length >= MAX_BATCH) void this.flush();
      else if (!this.timer) {
        this.timer = setTimeout(() => void this.flush(), FLUSH_EVERY_MS);
        this.timer.unref();
      }
    });
  }

  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.flushing) await this.flushing;
    while (this.queue.length) {
      const batch = this.queue.splice(0, MAX_BATCH);
      this.flushing = (async () => {
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            await this.db().insert(toolCalls).values(batch);
            return;
          } catch (err) {
            if (attempt === 1) log.error("could not write tool-call log rows", { rows: batch.length, err });
          }
        }
      })();
      await this.flushing;
      this.flushing = null;
    }
  }
}

const KEY = Symbol.for("latchkey.toolCallLog");
/** One log per process, shared by the custom server's mount and the route handlers. */
export function toolCallLog(db: () => Db): ToolCallLog {
  const g = globalThis as { [KEY]?: ToolCallLog };
  g[KEY] ??= new ToolCallLog(db);
  return g[KEY];
}

export async function flushToolCallLog() {
  await (globalThis as { [KEY]?: ToolCallLog })[KEY]?.flush();
}

export async function listToolCalls(
  db: DbOrTx,
  opts: { environmentId: string; limit: number; beforeId?: string | undefined; registeredUserId?: string | undefined; toolPackId?: string | undefined; tool?: string | undefined; status?: "ok" | "error" | "unauthorized" | undefined },
) {
  const conds: SQL[] = [eq(toolCalls.environmentId, opts.environmentId)];
  if (opts.beforeId) conds.push(lt(toolCalls.id, opts.beforeId));
  if (opts.registeredUserId) conds.push(eq(toolCalls.registeredUserId, opts.registeredUserId));
  if (opts.toolPackId) conds.push(eq(toolCalls.toolPackId, opts.toolPackId));
  if (opts.tool) conds.push(eq(toolCalls.tool, opts.tool));
  if (opts.status) conds.push(eq(toolCalls.status, opts.status));
  return db
    .select()
    .from(toolCalls)
    .where(and(...conds))
    .orderBy(desc(toolCalls.id))
    .limit(opts.limit + 1);
}
