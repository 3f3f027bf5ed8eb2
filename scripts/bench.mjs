// npm run bench [-- --quick] [-- --pg] [-- --profile=<dir>]: runs scripts/bench/run.ts under tsx
// against the production build. A signal to this wrapper (scripts/test.mjs stopping its step)
// is passed on, so the bench stops the servers it started.
import { spawn } from "node:child_process";
import path from "node:path";
const root = path.resolve(import.meta.dirname, "..");
const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "bench", "run.ts"), ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => child.kill(sig));
child.once("exit", (code, signal) => process.exit(code ?? (signal ? 130 : 1)));
