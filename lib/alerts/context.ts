import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Which tenant the current request serves, for alerts raised deep below it by code that does
 * not know (the outbound guard refusing a private address). Set at the request's entry (API
 * wrapper, server actions, MCP mount); an alert with no context is logged, never guessed.
 */
export type AlertContext = { environmentId: string; toolPackId?: string | null; registeredUserId?: string | null };

const KEY = Symbol.for("latchkey.alerts.context");
const g = globalThis as { [KEY]?: AsyncLocalStorage<AlertContext> };
// One store for the custom server and Next's route bundles, which load this module separately.
const store = (g[KEY] ??= new AsyncLocalStorage<AlertContext>());

export function withAlertContext<T>(ctx: AlertContext, fn: () => T): T {
  return store.run(ctx, fn);
}

export function currentAlertContext(): AlertContext | undefined {
  return store.getStore();
}
