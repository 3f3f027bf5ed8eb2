import { and, asc, eq, gt, gte, lt, type SQL } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { auditLog, toolCalls } from "@/db/schema";

/**
 * CSV and JSON exports of the audit log and the tool-call log, streamed page by page (a pull
 * stream: the next page is read only when the client has taken the previous one), so a large
 * export holds one page in memory.
 */
export type ExportFormat = "csv" | "json";
type Cell = string | number | boolean | null | undefined | Date | Record<string, unknown>;
type Row = Record<string, Cell>;

const PAGE = 1000;

/**
 * One CSV field. Quoted when it holds a separator, quote or line break; a value a spreadsheet
 * would run as a formula (starting with = + - @, tab or carriage return) gets a leading
 * apostrophe first (CSV injection), so it opens as the text it is.
 */
export function csvCell(v: Cell): string {
  if (v === null || v === undefined) return "";
  let s = v instanceof Date ? v.toISOString() : typeof v === "object" ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) || s.startsWith("'") ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: Cell[]): string {
  return `${values.map(csvCell).join(",")}\r\n`;
}

function jsonValue(v: Cell): unknown {
  return v instanceof Date ? v.toISOString() : (v ?? null);
}

/** Turns pages of rows into the bytes of a CSV or JSON-array document. */
export function exportStream(format: ExportFormat, columns: readonly string[], nextPage: (after: Row | null) => Promise<Row[]>): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let last: Row | null = null;
  let started = false;
  let first = true;
  let done = false;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!started) {
        started = true;
        controller.enqueue(enc.encode(format === "csv" ? csvLine([...columns]) : "["));
        return;
      }
      if (done) return;
      const rows = await nextPage(last);
      let chunk = "";
      for (const r of rows) {
        if (format === "csv") chunk += csvLine(columns.map((c) => r[c]));
        else {
          chunk += `${first ? "" : ","}\n${JSON.stringify(Object.fromEntries(columns.map((c) => [c, jsonValue(r[c])])))}`;
          first = false;
        }
      }
      if (rows.length > 0) last = rows[rows.length - 1]!;
      if (rows.length < PAGE) {
        done = true;
        if (format === "json") chunk += "\n]\n";
        if (chunk) controller.enqueue(enc.encode(chunk));
        controller.close();
        return;
      }
      controller.enqueue(enc.encode(chunk));
    },
  });
}

export const AUDIT_EXPORT_COLUMNS = ["seq", "id", "created_at", "organization_id", "environment_id", "actor_type", "actor_id", "action", "target_type", "target_id", "request_id", "ip", "metadata", "prev_hash", "row_hash"] as const;

/** Audit rows of one organization (one of its environments, or all of it), oldest first. */
export function auditExport(db: DbOrTx, opts: { organizationId?: string; environmentId?: string; since?: Date; until?: Date; format: ExportFormat }) {
  return exportStream(opts.format, AUDIT_EXPORT_COLUMNS, async (after) => {
    const conds: SQL[] = [];
    if (opts.organizationId) conds.push(eq(auditLog.organizationId, opts.organizationId));
    if (opts.environmentId) conds.push(eq(auditLog.environmentId, opts.environmentId));
    if (!opts.organizationId && !opts.environmentId) throw new Error("an audit export needs a tenant");
    // created_at is the hashed ISO text: ISO strings sort as the times they name.
    if (opts.since) conds.push(gte(auditLog.createdAt, opts.since.toISOString()));
    if (opts.until) conds.push(lt(auditLog.createdAt, opts.until.toISOString()));
    if (after) conds.push(gt(auditLog.seq, after.seq as number));
    const rows = await db.select().from(auditLog).where(and(...conds)).orderBy(asc(auditLog.seq)).limit(PAGE);
    return rows.map((r) => ({
      seq: r.seq,
      id: r.id,
      created_at: r.createdAt,
      organization_id: r.organizationId,
      environment_id: r.environmentId,
      actor_type: r.actorType,
      actor_id: r.actorId,
      action: r.action,
      target_type: r.targetType,
      target_id: r.targetId,
      request_id: r.requestId,
      ip: r.ip,
      metadata: r.metadata,
      prev_hash: r.prevHash,
      row_hash: r.rowHash,
    }));
  });
}

export const TOOL_CALL_EXPORT_COLUMNS = ["id", "created_at", "principal_type", "principal_id", "tool_pack_id", "registered_user_id", "tool", "connector", "connection_id", "status", "error_code", "latency_ms"] as const;

/** Tool calls of one environment, oldest first. */
export function toolCallExport(db: DbOrTx, opts: { environmentId: string; since?: Date; until?: Date; format: ExportFormat }) {
  return exportStream(opts.format, TOOL_CALL_EXPORT_COLUMNS, async (after) => {
    const conds: SQL[] = [eq(toolCalls.environmentId, opts.environmentId)];
    if (opts.since) conds.push(gte(toolCalls.createdAt, opts.since));
    if (opts.until) conds.push(lt(toolCalls.createdAt, opts.until));
    if (after) conds.push(gt(toolCalls.id, after.id as string));
    const rows = await db.select().from(toolCalls).where(and(...conds)).orderBy(asc(toolCalls.id)).limit(PAGE);
    return rows.map((r) => ({
      id: r.id,
      created_at: r.createdAt,
      principal_type: r.principalType,
      principal_id: r.principalId,
      tool_pack_id: r.toolPackId,
      registered_user_id: r.registeredUserId,
      tool: r.tool,
      connector: r.connector,
      connection_id: r.connectionId,
      status: r.status,
      error_code: r.errorCode,
      latency_ms: r.latencyMs,
    }));
  });
}

export function exportResponse(stream: ReadableStream<Uint8Array>, format: ExportFormat, name: string, headers: Record<string, string> = {}): Response {
  const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, "-");
  return new Response(stream, {
    status: 200,
    headers: {
      "content-type": format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      "content-disposition": `attachment; filename="${name}-${stamp}.${format}"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      ...headers,
    },
  });
}
