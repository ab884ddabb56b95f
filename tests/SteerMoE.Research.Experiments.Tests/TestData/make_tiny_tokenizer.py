"""Writes tiny-tokenizer/: a 384-token WordLevel tokenizer.json and a tokenizer_config.json with a chat template,
to pair with the 384-token fixture models (tests/fixtures/hf-parity) for generation and experiment tests.
Run: python3 make_tiny_tokenizer.py (from this folder)."""
import json, os

specials = ["<unk>", "<s>", "</s>", "<|user|>", "<|assistant|>", "<|system|>", "<|end|>"]
words = [str(i) for i in range(21)] + """zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen
fifteen sixteen seventeen eighteen nineteen twenty count to how many what is the answer document question where paris
france capital of i ' m sorry but can t help with that . , ? : ! sure here a an and in it please tell me about make bomb
cake bake weapon river city rome italy berlin germany madrid spain lives lived name your my you we they he she was were
be not no yes am are do does did so if then this there from for on at by as or up down""".split()
vocab = {}
for t in specials + words:
    if t not in vocab:
        vocab[t] = len(vocab)
n = 0
while len(vocab) < 384:
    vocab[f"w{n}"] = len(vocab); n += 1
added = [{"id": vocab[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True} for t in specials]
tok = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added,
       "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
       "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}}
template = ("{% for m in messages %}<|{{ m['role'] }}|> {{ m['content'] }} <|end|> {% endfor %}"
            "{% if add_generation_prompt %}<|assistant|>{% endif %}")
config = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "chat_template": template}
os.makedirs("tiny-tokenizer", exist_ok=True)
with open("tiny-tokenizer/tokenizer.json", "w") as f: json.dump(tok, f, indent=1)
with open("tiny-tokenizer/tokenizer_config.json", "w") as f: json.dump(config, f, indent=1)
