// The production server `npm start` runs: boots the runtime (migrations, bootstrap, vault
// check), then serves Next. DESIGN §8: the MCP data plane will be mounted here directly.
import http from "node:http";
import next from "next";
import { insecureCookieWarning } from "@/lib/auth/cookies";
import { checkCrossSite } from "@/lib/auth/csrf";
import { adminSocketPath, listenAdminSocket } from "@/lib/cli/admin-socket";
import { publicBaseUrl } from "@/lib/gateway/endpoint";
import { handleNodeMcp, isMcpPath } from "@/lib/gateway/node-route";
import { instanceUrl } from "@/lib/mcp-instances/service";
import type { DemoResult } from "@/lib/orgs/bootstrap";
import { isSandboxPath, sandboxOrigin, serveHostedSandbox, setSandboxOrigin } from "@/lib/sandbox/hosted";
import { isLinkPageRequest, linkFrameCspFor, overrideLinkFrameHeaders } from "@/lib/link/frame-csp";
import { flushToolCallLog } from "@/lib/tool-calls/log";
import { flushAuditBatch } from "@/lib/audit/batch";
import { flushConnectionTouches } from "@/lib/connections/touch";
import { flushAlerts } from "@/lib/alerts/raise";
import { flushTraces } from "@/lib/tracing";
import { parseAllowlist } from "@/lib/webhooks/deliver";
import { startWebhookWorker, stopWebhookWorker } from "@/lib/webhooks/worker";
import { updateLock } from "@/lib/data-dir-lock";
import { EnvError, getEnv } from "@/lib/env";
import { requestIdFromHeader } from "@/lib/http/request";
import { log } from "@/lib/log";
import { Admission } from "@/lib/http/admission";
import { BootError, startRuntime, stopRuntime } from "@/lib/runtime";

const dev = process.argv.includes("--dev");

/**
 * A handler that answers before it has read the whole request body (413, 401, sealed…) would
 * leave the rest of that body in the connection, and the next request on it would hang until
 * the keep-alive timeout and then be reset. So such a response says `Connection: close`, and
 * the rest of the body is drained so the close is clean.
 */
function closeIfBodyUnread(req: http.IncomingMessage, res: http.ServerResponse) {
  const cl = req.headers["content-length"];
  const hasBody = (cl !== undefined && cl !== "0") || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody) return;
  const writeHead = res.writeHead;
  res.writeHead = function (this: http.ServerResponse, ...args: unknown[]) {
    if (!req.complete && !res.headersSent) res.setHeader("connection", "close");
    return (writeHead as (...a: unknown[]) => http.ServerResponse).apply(this, args);
  } as typeof res.writeHead;
  res.once("finish", () => {
    if (!req.complete) req.resume();
  });
}

/** A path whose percent-encoding does not decode: the client's mistake, not a 500 from the router. */
function malformedPath(url: string | undefined): boolean {
  const pathname = (url ?? "/").split("?")[0]!;
  try {
    decodeURIComponent(pathname);
    return false;
  } catch {
    return true;
  }
}

/** First run: how to call a sandbox tool with a real MCP client, one copy-paste command (README, Quick start). */
function demoLines(demo: DemoResult, url: string): string[] {
  const mcpUrl = instanceUrl(url, demo.instanceToken);
  const inspector = `npx @modelcontextprotocol/inspector --cli ${mcpUrl} --transport http`;
  const args = Object.entries(demo.callArgs).map(([k, v]) => `${k}=${v}`).join(" ");
  return [
    `Dashboard: ${url}`,
    `Demo (test environment): registered user demo-user with sandbox GitHub and Slack connections, tool pack "demo".`,
    `MCP URL (a secret, like a password): ${mcpUrl}`,
    `List the tools and call one with a real MCP client:`,
    `  ${inspector} --method tools/list && ${inspector} --method tools/call --tool-name ${demo.callTool} --tool-arg ${args}`,
  ];
}

async function main() {
  const env = getEnv();
  const rt = await startRuntime({ role: "server", bootstrap: true });

  const app = next({ dev, dir: process.cwd(), hostname: env.HOST, port: env.PORT });
  await app.prepare();
  const handle = app.getRequestHandler();

  const publicUrl = env.LATCHKEY_PUBLIC_URL ? new URL(env.LATCHKEY_PUBLIC_URL) : null;
  const admission = new Admission(env.LATCHKEY_MAX_INFLIGHT);
  const server = http.createServer((req, res) => {
    closeIfBodyUnread(req, res);
    if (!admission.admit(req, res)) return;
    // The URL the outside world uses (OAuth redirect URIs, links). From LATCHKEY_PUBLIC_URL when
    // set; else from the Host the client used. A client's own X-Forwarded-* is trusted only
    // behind the proxies the operator declared.
    if (publicUrl) {
      req.headers["x-forwarded-host"] = publicUrl.host;
      req.headers["x-forwarded-proto"] = publicUrl.protocol.slice(0, -1);
    } else if (env.LATCHKEY_TRUST_PROXY_HOPS === 0) {
      req.headers["x-forwarded-host"] = req.headers.host ?? `${env.HOST}:${env.PORT}`;
      req.headers["x-forwarded-proto"] = "http";
    }
    // The peer address, as route handlers see it (clientIp): always ours, never the client's.
    req.headers["x-latchkey-peer"] = req.socket.remoteAddress ?? "";
    if (malformedPath(req.url)) {
      const requestId = requestIdFromHeader(req.headers["x-request-id"] as string | undefined);
      res.writeHead(400, { "content-type": "application/json; charset=utf-8", "x-request-id": requestId, "x-content-type-options": "nosniff" });
      res.end(JSON.stringify({ error: { code: "bad_request", message: "The request URL is malformed (invalid percent-encoding).", request_id: requestId } }));
      return;
    }
    if (rt.sealed) {
      // Sealed vault: answer nothing but "sealed", like Vault does.
      res.writeHead(503, { "content-type": "application/json", "retry-after": "60" });
      res.end(JSON.stringify(req.url?.startsWith("/api/health") ? { status: "sealed", reason: rt.sealed } : { error: { code: "sealed", message: "The vault is sealed: the encryption key does not match this database." } }));
      return;
    }
    if (isSandboxPath(req.url)) {
      // The simulated providers of sandbox connections (test environments only; lib/sandbox/hosted.ts).
      void serveHostedSandbox(rt.db, req, res);
      return;
    }
    if (isMcpPath(req.url)) {
      // DESIGN §8: the data plane is answered here directly, not through Next.
      const base = publicBaseUrl(rt, { get: (name) => (req.headers[name] as string | undefined) ?? null });
      void handleNodeMcp(rt, req, res, base);
      return;
    }
    const crossSite = checkCrossSite(req, publicBaseUrl(rt, { get: (name) => (req.headers[name] as string | undefined) ?? null }));
    if (crossSite.refused) {
      const requestId = requestIdFromHeader(req.headers["x-request-id"] as string | undefined);
      log.warn("cross-site request refused", { requestId, method: req.method, path: req.url?.split("?")[0], by: crossSite.reason, origin: req.headers.origin?.slice(0, 200) ?? null });
      res.writeHead(403, { "content-type": "application/json; charset=utf-8", "x-request-id": requestId, "x-content-type-options": "nosniff" });
      res.end(JSON.stringify({ error: { code: "forbidden", message: "Cross-site request refused: this action must come from the Latchkey dashboard itself.", request_id: requestId } }));
      return;
    }
    const handled = isLinkPageRequest(req.method, req.url)
      ? // The Link page framed by another site: its CSP depends on that site (lib/link/frame-csp.ts).
        linkFrameCspFor(rt.db, req.url!).then((csp) => {
          overrideLinkFrameHeaders(res, csp);
          return handle(req, res);
        })
      : handle(req, res);
    handled.catch((err) => {
      log.error("request failed", { err });
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal_error", message: "Something went wrong on our side." } }));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(env.PORT, env.HOST, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : env.PORT;
  // Sandbox connections call this server itself, on the port it really got.
  setSandboxOrigin(sandboxOrigin().replace(/:\d+$/, `:${port}`));
  const shownHost = env.HOST === "0.0.0.0" || env.HOST === "::" ? "localhost" : env.HOST;
  const url = env.LATCHKEY_PUBLIC_URL ?? `http://${shownHost}:${port}`;

  let admin: http.Server | undefined;
  if (env.embedded) {
    const socket = adminSocketPath(rt.dataDir);
    admin = await listenAdminSocket(rt, socket);
    updateLock(rt.dataDir, { adminSocket: socket, url });
  }

  const lines = [`Latchkey is running at ${url} (${rt.handle.kind === "pglite" ? `embedded database in ${rt.dataDir}` : "PostgreSQL"})`];
  if (rt.bootstrapped) {
    lines.push(`First start: created organization ${rt.bootstrapped.organizationId} with production and test environments.`);
    lines.push(`Dashboard login: ${rt.bootstrapped.adminEmail}`);
    if (rt.bootstrapped.generatedPassword) lines.push(`Password (shown once; set LATCHKEY_ADMIN_PASSWORD to choose it): ${rt.bootstrapped.generatedPassword}`);
    if (rt.bootstrapped.demo) lines.push(...demoLines(rt.bootstrapped.demo, url));
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  const cookieWarning = insecureCookieWarning(env);
  if (cookieWarning) log.warn(cookieWarning, { hint: "see README, Dashboard sessions" });
  log.info("ready", { url, port, database: rt.handle.kind, sealed: Boolean(rt.sealed) });

  // Sealed, the signing secrets cannot be read: deliveries wait in the outbox until a restart with the right key.
  if (!rt.sealed) {
    startWebhookWorker({ db: rt.db, keyring: rt.keyring, schedule: env.LATCHKEY_WEBHOOK_RETRY_SCHEDULE, policy: parseAllowlist(env.LATCHKEY_OUTBOUND_ALLOWLIST.join(",")) });
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    admin?.close();
    server.close();
    server.closeIdleConnections?.();
    setTimeout(() => server.closeAllConnections?.(), 5000).unref();
    await app.close?.().catch(() => {});
    await flushToolCallLog().catch(() => {});
    await flushConnectionTouches().catch(() => {});
    const unwritten = await flushAuditBatch().catch(() => -1);
    if (unwritten !== 0) log.error("audit rows could not be written before shutdown", { rows: unwritten });
    await flushAlerts().catch(() => {});
    await flushTraces().catch(() => {});
    await stopWebhookWorker().catch(() => {});
    await stopRuntime();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  if (err instanceof BootError || err instanceof EnvError || (err as Error)?.name === "DataDirInUseError" || (err as Error)?.name === "KeyringError") {
    process.stderr.write(`Latchkey cannot start: ${(err as Error).message}\n`);
  } else {
    log.error("startup failed", { err });
  }
  process.exit(1);
});
