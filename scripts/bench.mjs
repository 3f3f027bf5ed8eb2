// npm run bench: benchmarks arrive with the benchmark issue; until then this says so.
console.log("no benchmarks yet");
