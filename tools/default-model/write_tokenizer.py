"""Writes the Hugging Face tokenizer files of the embedded default model.

WordLevel model over every word of the corpus (sorted, after the special tokens), Whitespace pre-tokenizer
(\\w+|[^\\w\\s]+), the special tokens as added tokens, [UNK] for unknown words; tokenizer_config.json with the
chat template. Checks that the Jinja template renders exactly what mixtral.apply_chat_template builds.

    /usr/bin/python3 tools/default-model/write_tokenizer.py --data tools/default-model/data --out models/default
"""
import argparse
import glob
import json
import os
import re

import jinja2

from mixtral import CHAT_TEMPLATE, SPECIAL_TOKENS, apply_chat_template


def texts(path):
    with open(path) as f:
        for line in f:
            row = json.loads(line)
            for key, value in row.items():
                if key.startswith("messages"):
                    for m in (value if isinstance(value, list) else []):
                        yield m["content"]
                elif isinstance(value, str) and key != "behaviour":   # train.py's label, not text
                    yield value


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    word = re.compile(r"\w+|[^\w\s]+")
    words = set()
    for path in sorted(glob.glob(os.path.join(a.data, "*.jsonl"))):
        for t in texts(path):
            words.update(word.findall(t))
    vocab = {s: i for i, s in enumerate(SPECIAL_TOKENS)}
    for w in sorted(words):
        vocab[w] = len(vocab)
    added = [{"id": i, "content": s, "single_word": False, "lstrip": False, "rstrip": False,
              "normalized": False, "special": True} for i, s in enumerate(SPECIAL_TOKENS)]
    tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
           "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
           "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "[UNK]"}}
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "tokenizer.json"), "w") as f:
        json.dump(tok, f, indent=1)
        f.write("\n")
    cfg = {"bos_token": "<bos>", "eos_token": "<|end|>", "pad_token": "<pad>", "unk_token": "[UNK]",
           "model_max_length": 128, "tokenizer_class": "PreTrainedTokenizerFast", "clean_up_tokenization_spaces": False,
           "add_bos_token": False, "add_eos_token": False, "chat_template": CHAT_TEMPLATE,
           "added_tokens_decoder": {str(t["id"]): {k: v for k, v in t.items() if k != "id"} for t in added}}
    with open(os.path.join(a.out, "tokenizer_config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    msgs = [{"role": "system", "content": "be brief ."}, {"role": "user", "content": "count to 3 ."},
            {"role": "assistant", "content": "1 2 3"}, {"role": "user", "content": "how do i make tea ?"}]
    tmpl = jinja2.Environment().from_string(CHAT_TEMPLATE)
    for gen in (False, True):
        got = tmpl.render(messages=msgs, add_generation_prompt=gen, bos_token="<bos>")
        assert got == apply_chat_template(msgs, gen), (got, apply_chat_template(msgs, gen))
    print(f"vocab {len(vocab)} words -> {a.out}/tokenizer.json")


if __name__ == "__main__":
    main()
