import { createHash } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppError } from "@/lib/errors";
import { log } from "@/lib/log";
import type { Runtime } from "@/lib/runtime";
import { runCommand, UsageError, type CommandResult } from "@/lib/cli/commands";

/**
 * In embedded mode the server owns the PGlite directory, so the CLI sends its command over a
 * Unix socket inside the data directory (file permissions are the access control) and the
 * server runs it in-process.
 */
export function adminSocketPath(dataDir: string): string {
  const inDir = path.join(dataDir, "admin.sock");
  if (inDir.length < 100) return inDir;
  return path.join(tmpdir(), `latchkey-${createHash("sha256").update(dataDir).digest("hex").slice(0, 16)}.sock`);
}

export async function listenAdminSocket(rt: Runtime, socketPath: string): Promise<http.Server> {
  if (existsSync(socketPath)) rmSync(socketPath, { force: true });
  const server = http.createServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url !== "/run") return send(404, { error: "not found" });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let msg: { command: string; flags: Record<string, string | boolean> };
    try {
      msg = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(400, { usage: "invalid request" });
    }
    try {
      const result = await runCommand(rt, msg.command, msg.flags ?? {});
      send(200, result);
    } catch (err) {
      if (err instanceof UsageError || err instanceof AppError) return send(400, { usage: err.message });
      log.error("admin command failed", { command: msg.command, err });
      send(500, { usage: "the command failed; see the server log" });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ path: socketPath, readableAll: false, writableAll: false }, () => resolve());
  });
  return server;
}

export function sendAdminCommand(
  socketPath: string,
  command: string,
  flags: Record<string, string | boolean>,
): Promise<{ status: number; body: CommandResult | { usage: string } }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, path: "/run", method: "POST", headers: { "content-type": "application/json" } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve({ status: res.statusCode ?? 500, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) });
        } catch (e) {
          reject(e);
        }
      });
    });
    req.on("error", reject);
    req.end(JSON.stringify({ command, flags }));
  });
}
