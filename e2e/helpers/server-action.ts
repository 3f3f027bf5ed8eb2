// Calls a Next.js server action over HTTP the way the browser does: POST to the page with the
// action's id in `Next-Action` and the arguments as JSON. The id comes from the production
// build's manifest, by file and export name.
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./server";

type Manifest = { node: Record<string, { filename?: string; exportedName?: string }> };

export function serverActionId(file: string, exportedName: string): string {
  const manifest = JSON.parse(readFileSync(path.join(ROOT, ".next", "server", "server-reference-manifest.json"), "utf8")) as Manifest;
  const found = Object.entries(manifest.node).find(([, v]) => v.filename === file && v.exportedName === exportedName);
  if (!found) throw new Error(`no server action ${exportedName} in ${file}: run \`npm run build\``);
  return found[0];
}

/** The action's return value (our ActionResult), decoded from the RSC reply. */
export async function callServerAction<T = any>(baseUrl: string, pagePath: string, actionId: string, args: unknown[], headers: Record<string, string> = {}) {
  const res = await fetch(`${baseUrl}${pagePath}`, {
    method: "POST",
    headers: { "next-action": actionId, "content-type": "text/plain;charset=UTF-8", accept: "text/x-component", origin: baseUrl, ...headers },
    body: JSON.stringify(args),
    redirect: "manual",
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  // Flight rows are `<id>:<json>`; the action's result is row 1.
  const row = text.split("\n").find((l) => l.startsWith("1:"));
  let result: T | undefined;
  try {
    result = row ? (JSON.parse(row.slice(2)) as T) : undefined;
  } catch {
    result = undefined;
  }
  return { status: res.status, headers: res.headers, text, result };
}
