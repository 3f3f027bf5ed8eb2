import type { LinkSession } from "@/db/schema";
import { createFormConnection } from "@/lib/connections/service";
import { AppError, isAppError } from "@/lib/errors";
import { endUserActor, environmentOf, limitPerSession, requireAllowedConnector, type Caller } from "@/lib/link/session";
import type { Runtime } from "@/lib/runtime";

type Rt = Pick<Runtime, "db" | "keyring">;

/**
 * An api-key or basic connector from the Link form: validated by the connector's own schema
 * and checked with the provider by createFormConnection, saved in place when the user already
 * has one. Field problems come back as `values.<field>` so the page can show each one beside its input.
 */
export async function connectWithForm(rt: Rt, input: { session: LinkSession; connector: string; values: Record<string, unknown> } & Caller) {
  // Each attempt asks the provider whether the credentials work: keep a session from using us to hammer it.
  await limitPerSession(rt, "link_form", input.session);
  const def = await requireAllowedConnector(rt.db, input.session, input.connector);
  if (def.auth.kind === "oauth2") throw new AppError({ code: "validation_error", message: `${def.name} connects through its own sign-in page, not a form.` });
  const env = await environmentOf(rt.db, input.session.environmentId);
  try {
    const { connection } = await createFormConnection(rt, {
      environment: env,
      owner: { type: "registered_user", id: input.session.registeredUserId },
      connector: def.slug,
      values: input.values,
      actor: endUserActor(input.session),
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
    });
    return { connector: def.slug, connection_id: connection.id, status: "connected" as const, account_label: connection.accountLabel };
  } catch (err) {
    if (isAppError(err) && err.code === "validation_error" && err.issues) {
      throw new AppError({
        code: "validation_error",
        message: err.message,
        issues: err.issues.map((i) => ({ ...i, path: i.path.replace(/^credentials(?=\.|$)/, "values") })),
      });
    }
    throw err;
  }
}
