import { getTableColumns, type InferSelectModel, type Table } from "drizzle-orm";

/**
 * Rows of `table` from a JSON array built in SQL (`json_agg(t)`), mapped as drizzle maps a
 * select: column names to fields, timestamps to Dates, jsonb parsed. Lets one statement bring
 * back rows of several tables (the hot path's cold load, lib/gateway/serve.ts).
 */
export function rowsFromJson<T extends Table>(table: T, value: unknown): InferSelectModel<T>[] {
  const list: unknown = typeof value === "string" ? JSON.parse(value) : value;
  if (!Array.isArray(list)) return [];
  const columns = Object.entries(getTableColumns(table));
  return list.map((o: Record<string, unknown>) => {
    const row: Record<string, unknown> = {};
    for (const [field, column] of columns) {
      const v = o[column.name];
      row[field] = v === null || v === undefined ? null : column.mapFromDriverValue(v);
    }
    return row as InferSelectModel<T>;
  });
}
