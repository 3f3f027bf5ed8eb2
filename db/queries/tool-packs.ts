import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "@/db/client";
import { toolPacks, type ToolPack } from "@/db/schema";

export async function findToolPackBySlug(db: DbOrTx, environmentId: string, slug: string): Promise<ToolPack | null> {
  const [row] = await db.select().from(toolPacks).where(and(eq(toolPacks.environmentId, environmentId), eq(toolPacks.slug, slug)));
  return row ?? null;
}
