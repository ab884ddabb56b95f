"""Inputs for olmoe_shaped_timing.sh: detection pairs and FaithEval-counterfactual-shaped rows made of words of the
model folder's tokenizer (make-random --word-tokenizer), so that every word is one token.
usage: make_timing_inputs.py MODEL_DIR DATA_DIR PROMPTS PAIRS WORDS"""
import json, os, random, sys

model, data = sys.argv[1], sys.argv[2]
prompts, pairs, words = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
vocab = json.load(open(os.path.join(model, "tokenizer.json")))["model"]["vocab"]
plain = [w for w in vocab if w.startswith("w")]

rng = random.Random(0)
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
