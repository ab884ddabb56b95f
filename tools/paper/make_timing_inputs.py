"""Inputs for olmoe_shaped_timing.sh: a word-level tokenizer over all of a random model's ids (the default model's
tokens first, then w<id>), its chat template, detection pairs and FaithEval-counterfactual-shaped rows.
usage: make_timing_inputs.py DEFAULT_MODEL MODEL_DIR DATA_DIR PROMPTS PAIRS WORDS"""
import json, os, random, sys

default, model, data = sys.argv[1], sys.argv[2], sys.argv[3]
prompts, pairs, words = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
config = json.load(open(os.path.join(model, "config.json")))
tok = json.load(open(os.path.join(default, "tokenizer.json")))
vocab = tok["model"]["vocab"]
for i in range(len(vocab), config["vocab_size"]):
    vocab[f"w{i}"] = i
json.dump(tok, open(os.path.join(model, "tokenizer.json"), "w"))
with open(os.path.join(default, "tokenizer_config.json")) as f:
    open(os.path.join(model, "tokenizer_config.json"), "w").write(f.read())

rng = random.Random(0)
plain = [w for w in vocab if w.isalpha()]
def text(n):
    return " ".join(rng.choice(plain) for _ in range(n))

os.makedirs(os.path.join(data, "faitheval-counterfactual"), exist_ok=True)
with open(os.path.join(data, "faitheval-counterfactual", "test.jsonl"), "w") as f:
    for i in range(prompts):
        f.write(json.dumps({"id": str(i), "context": text(words), "question": text(10),
                            "choices": {"label": ["A", "B", "C", "D"], "text": [text(2) for _ in range(4)]}, "answerKey": "A"}) + "\n")
with open(os.path.join(data, "pairs.jsonl"), "w") as f:
    for i in range(pairs):
        question = text(10)
        f.write(json.dumps({"messages_0": [{"role": "user", "content": f"document : {text(words)} question : {question}"}],
                            "messages_1": [{"role": "user", "content": f"question : {question}"}],
                            "messages_0_target": question, "messages_1_target": question}) + "\n")
