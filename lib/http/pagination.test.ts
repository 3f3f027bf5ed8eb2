import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/lib/errors";
import { decodeCursor, encodeCursor, page, paginationQuerySchema } from "@/lib/http/pagination";
import { createId, idPrefixes, type IdKind } from "@/lib/ids";

describe("pagination cursors", () => {
  it("round-trip any id we mint, and are URL-safe", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(idPrefixes) as IdKind[])), (kind) => {
        const id = createId(kind);
        const cursor = encodeCursor(id);
        expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(decodeCursor(cursor)).toBe(id);
      }),
      { numRuns: 200 },
    );
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(decodeCursor("")).toBeUndefined();
  });

  it("an invalid cursor is a validation_error on the cursor field", () => {
    const bad = [
      "garbage",
      encodeCursor("key_short"),
      encodeCursor("key_0000000000000000000000' OR 1=1 --"),
      encodeCursor("KEY_0000000000000000000000"),
      "%%%",
    ];
    for (const c of bad) {
      let err: unknown;
      try {
        decodeCursor(c);
      } catch (e) {
        err = e;
      }
      expect(err, c).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe("validation_error");
      expect((err as AppError).issues).toEqual([{ path: "cursor", message: "not a cursor returned by this API" }]);
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          const id = decodeCursor(s);
          expect(id === undefined || /^[a-z]+_[0-9a-z]{22}$/.test(id)).toBe(true);
        } catch (e) {
          expect((e as AppError).code).toBe("validation_error");
        }
      }),
    );
  });

  it("page() returns at most `limit` rows and a cursor to the last one only when there is more", () => {
    const rows = Array.from({ length: 5 }, () => ({ id: createId("apiKey") }));
    const p = page(rows.slice(0, 3), 2);
    expect(p.data).toEqual(rows.slice(0, 2));
    expect(p.hasMore).toBe(true);
    expect(decodeCursor(p.nextCursor!)).toBe(rows[1]!.id);
    expect(page(rows.slice(0, 2), 2)).toEqual({ data: rows.slice(0, 2), hasMore: false, nextCursor: null });
  });

  it("the query schema bounds the page size", () => {
    expect(paginationQuerySchema.parse({})).toEqual({ limit: 20 });
    expect(paginationQuerySchema.parse({ limit: "100" }).limit).toBe(100);
    for (const limit of ["0", "101", "1.5", "abc"]) expect(paginationQuerySchema.safeParse({ limit }).success).toBe(false);
    expect(paginationQuerySchema.safeParse({ cursor: "a+b" }).success).toBe(false);
  });
});
