// npm run bench [-- --quick] [-- --pg]: runs scripts/bench/run.ts under tsx against the production build.
import { spawnSync } from "node:child_process";
import path from "node:path";
const root = path.resolve(import.meta.dirname, "..");
const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts", "bench", "run.ts"), ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
