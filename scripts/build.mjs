// npm run build: the Next production build, then the custom server bundled into dist/.
import { spawnSync } from "node:child_process";
import { build } from "esbuild";
import { writeFileSync } from "node:fs";
import { execSync } from "node:child_process";

const r = spawnSync("npx", ["next", "build"], { stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
if (r.status !== 0) process.exit(r.status ?? 1);

await build({
  entryPoints: ["scripts/server.ts"],
  outfile: "dist/server.js",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  packages: "external",
  tsconfig: "tsconfig.json",
  sourcemap: true,
  logLevel: "warning",
});

let sha = "unknown";
try {
  sha = execSync("git rev-parse HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
} catch {}
writeFileSync("dist/build-info.json", JSON.stringify({ builtAt: new Date().toISOString(), sha }));
console.log("built dist/server.js");
