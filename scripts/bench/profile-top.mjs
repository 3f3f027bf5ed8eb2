// node scripts/bench/profile-top.mjs <file.cpuprofile> [n]: top frames by self time, and by package/file.
import { readFileSync } from "node:fs";
const prof = JSON.parse(readFileSync(process.argv[2], "utf8"));
const n = Number(process.argv[3] ?? 25);
const self = new Map();
const dt = prof.timeDeltas;
const byId = new Map(prof.nodes.map((x) => [x.id, x]));
const counts = new Map();
for (let i = 0; i < prof.samples.length; i++) counts.set(prof.samples[i], (counts.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0));
let total = 0;
const byFile = new Map();
for (const [id, us] of counts) {
  const cf = byId.get(id).callFrame;
  const key = `${cf.functionName || "(anon)"} ${cf.url.replace(/^.*node_modules\//, "nm:").replace(/^.*\/dist\//, "dist/").replace(/^file:\/\/.*wt-bench\//, "")}:${cf.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + us);
  const file = cf.url ? cf.url.replace(/^.*node_modules\/((?:@[^/]+\/)?[^/]+).*$/, "nm:$1").replace(/^.*\/(\.next|dist)\/.*$/, "$1 (app bundle)") : cf.functionName;
  byFile.set(file, (byFile.get(file) ?? 0) + us);
  total += us;
}
const pr = (m) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)} %  ${k}`).join("\n");
console.log(`total ${(total / 1e6).toFixed(2)} s sampled\n\n-- self time by frame\n${pr(self)}\n\n-- self time by package/file\n${pr(byFile)}`);
