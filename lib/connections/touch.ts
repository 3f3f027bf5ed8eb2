import type { Db } from "@/db/client";
import { touchConnection } from "@/db/queries/connections";
import { log } from "@/lib/log";
import { outsideQueryScope } from "@/lib/metrics/registry";

const FLUSH_EVERY_MS = 1000;
const KEY = Symbol.for("latchkey.connectionTouches");
type State = { pending: Map<string, Set<string>>; timer: NodeJS.Timeout | null; db: (() => Db) | null };
const state: State = ((globalThis as { [KEY]?: State })[KEY] ??= { pending: new Map(), timer: null, db: null });

/**
 * Marks a connection used. `last_used_at` needs no finer grain than a minute, so tool calls do
 * not write it themselves: ids are collected and written in one UPDATE per environment a second
 * later, off the request path (a call makes no write of its own).
 */
export function touchConnectionSoon(db: () => Db, environmentId: string, id: string) {
  state.db = db;
  let ids = state.pending.get(environmentId);
  if (!ids) state.pending.set(environmentId, (ids = new Set()));
  ids.add(id);
  if (state.timer) return;
  outsideQueryScope(() => {
    state.timer = setTimeout(() => void flushConnectionTouches(), FLUSH_EVERY_MS);
    state.timer.unref();
  });
}

export async function flushConnectionTouches() {
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
  const db = state.db;
  const batches = [...state.pending];
  state.pending.clear();
  if (!db) return;
  for (const [environmentId, ids] of batches) {
    // A lost "last used" stamp is harmless: the next call sets it again.
    await touchConnection(db(), environmentId, [...ids]).catch((err: unknown) => log.warn("could not record connection use", { connections: ids.size, err }));
  }
}
