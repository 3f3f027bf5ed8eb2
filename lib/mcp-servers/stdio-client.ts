import { and, eq } from "drizzle-orm";
import { secrets, type Environment, type McpServer } from "@/db/schema";
import { getEnv } from "@/lib/env";
import { StdioProcess, stdioProcessFor, STDIO_COMMANDS, type StdioConfig } from "@/lib/mcp-servers/stdio";
import { UpstreamError } from "@/lib/mcp-servers/upstream";
import type { Runtime } from "@/lib/runtime";
import { readSecret } from "@/lib/secrets/service";

type Env = Pick<Environment, "id" | "organizationId">;

/**
 * The stdio process of one (user, server): a new process per server version (an edit restarts
 * it) and per user, whose `{ secret }` variables are read when it starts, with `{user}` in the
 * secret name standing for the registered user's id (so each user's process gets that user's
 * credential). Refused when stdio is turned off, even for a server registered while it was on.
 */
export function stdioClientFor(rt: Pick<Runtime, "db" | "keyring">, env: Env, server: McpServer, userKey: string | null): StdioProcess {
  const config = server.stdioConfig as StdioConfig | null;
  if (getEnv().LATCHKEY_ALLOW_STDIO !== true || !config || !(STDIO_COMMANDS as readonly string[]).includes(config.command)) {
    throw new UpstreamError("upstream_error", `${server.slug} is a stdio server, and stdio servers are disabled on this Latchkey.`);
  }
  const user = userKey ?? "shared";
  return stdioProcessFor(`${server.id}:${server.updatedAt.getTime()}:${user}`, () => {
    const resolveEnv = async () => {
      const out: Record<string, string> = {};
      for (const [name, v] of Object.entries(config.env ?? {})) {
        if (typeof v === "string") {
          out[name] = v;
          continue;
        }
        const secretName = v.secret.replaceAll("{user}", user);
        const [row] = await rt.db
          .select({ id: secrets.id })
          .from(secrets)
          .where(and(eq(secrets.environmentId, env.id), eq(secrets.name, secretName)));
        if (!row) throw new UpstreamError("upstream_error", `${server.slug} needs the secret "${secretName}", which does not exist.`);
        out[name] = await readSecret(rt, env, row.id);
      }
      return out;
    };
    return new StdioProcess(server.slug, config, resolveEnv, { idleMs: 5 * 60_000, maxRssBytes: 512 * 1024 * 1024, maxLineBytes: 4 * 1024 * 1024, timeoutMs: getEnv().LATCHKEY_UPSTREAM_TIMEOUT_MS, rssCheckMs: 1_000 });
  });
}
