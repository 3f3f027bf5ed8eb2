// npm start: build when there is no build yet (a fresh clone), then run the server.
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";

if (!existsSync("dist/server.js") || !existsSync(".next/BUILD_ID")) {
  console.log("No production build yet: building (this takes a minute or two the first time)…");
  const r = spawnSync(process.execPath, ["scripts/build.mjs"], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
process.env.NODE_ENV ??= "production";
await import(new URL("../dist/server.js", import.meta.url).href);
