import * as z from "zod";
import { validationError } from "@/lib/errors";

export const PAGE_LIMIT_MAX = 100;

/** Cursors are opaque to clients: base64url of the last id of the page. Ids sort by time. */
export const paginationQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(PAGE_LIMIT_MAX).default(20).describe("Page size, 1–100."),
  cursor: z
    .string()
    .max(200)
    .regex(/^[A-Za-z0-9_-]+$/, "not a cursor returned by this API")
    .optional()
    .describe("`next_cursor` of the previous page."),
});

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const id = Buffer.from(cursor, "base64url").toString("utf8");
  if (!/^[a-z]+_[0-9a-z]{22}$/.test(id)) throw validationError([{ path: "cursor", message: "not a cursor returned by this API" }]);
  return id;
}

/** For dashboard pages: a cursor that is not ours shows the first page instead of an error. */
export function decodeCursorOrFirstPage(cursor: string | undefined): string | undefined {
  try {
    return decodeCursor(cursor);
  } catch {
    return undefined;
  }
}

export function encodeCursor(id: string): string {
  return Buffer.from(id, "utf8").toString("base64url");
}

/** Takes limit+1 rows, returns the page and the cursor for the next one. */
export function page<T extends { id: string }>(rows: T[], limit: number) {
  const hasMore = rows.length > limit;
  const data = hasMore ? rows.slice(0, limit) : rows;
  return { data, hasMore, nextCursor: hasMore ? encodeCursor(data[data.length - 1]!.id) : null };
}

export const pageSchema = <T extends z.ZodType>(item: T) =>
  z.object({
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z.string().nullable().describe("Pass as `cursor` to get the next page; null on the last page."),
  });
