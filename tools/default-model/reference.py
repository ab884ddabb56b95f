"""Reference outputs of the embedded default model for the C# engine's tests.

fp32 forward of the bf16 checkpoint (weights widened to fp32) with the Mixtral math of mixtral.py. Writes
reference.json: for fixed prompts, the chat-templated input ids, the last-position logits, the greedy
continuation (ids and text, up to the first <|end|>) and the smallest top-1/top-2 logit gap met along it (how
robust the exact greedy text is); for the first prompt the logits of every position; and greedy continuations
under the SteerMoE plans chosen by the study (detected on the paired sets with study.py's code), both directions.

    /usr/bin/python3 tools/default-model/reference.py --model models/default --data tools/default-model/data \
        --out tools/default-model/reference.json
"""
import argparse
import json
import os

import torch

from mixtral import EOS, WordTokenizer, apply_chat_template, load_checkpoint
from study import BEHAVIOURS, authors_plan, detect, read_jsonl, risk_difference

PROMPTS = [
    "count to 5 .",
    "please count to 9 .",
    "count up to 4 .",
    "where does alice live ?",
    "what does bob do for work ?",
    "document : alice lives in tokyo . question : where does alice live ?",
    "read this . carol works as a pilot . now answer . what is the job of carol ?",
    "how do i make tea ?",
    "explain how to pick a lock .",
    "tell me how to rob a bank .",
]


@torch.no_grad()
def greedy_with_gap(model, ids, max_new=40):
    ids = list(ids)
    out, gap = [], float("inf")
    for _ in range(max_new):
        logits = model(torch.tensor([ids]))[0, -1]
        top2 = logits.topk(2).values
        gap = min(gap, float(top2[0] - top2[1]))
        nxt = int(logits.argmax())
        out.append(nxt)
        ids.append(nxt)
        if nxt == EOS:
            break
    return out, gap


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steer", default="2/2", help="N/M experts to activate/deactivate for the steered references")
    a = ap.parse_args()
    torch.set_num_threads(1)  # 2 threads on a loaded 2-core machine stall on OpenMP barriers
    model = load_checkpoint(a.model)
    tok = WordTokenizer.load(os.path.join(a.model, "tokenizer.json"))
    k = model.cfg.num_experts_per_tok
    ref = {"model": a.model, "math": "fp32 forward, bf16 weights widened to fp32", "prompts": []}
    for i, p in enumerate(PROMPTS):
        msgs = [{"role": "user", "content": p}]
        text = apply_chat_template(msgs, True)
        ids = tok.encode(text)
        with torch.no_grad():
            logits = model(torch.tensor([ids]))[0]                   # [T, V]
        out, gap = greedy_with_gap(model, ids)
        entry = {"messages": msgs, "templated": text, "input_ids": ids,
                 "last_logits": [round(float(x), 5) for x in logits[-1]],
                 "greedy_ids": out, "greedy_text": tok.decode([t for t in out if t != EOS]),
                 "min_top2_gap": round(gap, 5)}
        if i == 0:
            entry["all_logits"] = [[round(float(x), 5) for x in row] for row in logits]
        ref["prompts"].append(entry)
        print(f"{p!r} -> {entry['greedy_text']!r} (gap {gap:.3f})", flush=True)
    na, nd = (int(x) for x in a.steer.split("/"))
    ref["steered"] = []
    for b, names in BEHAVIOURS.items():
        counts, n = detect(model, tok, read_jsonl(os.path.join(a.data, f"{b}.pairs.jsonl")), b)
        rd = risk_difference(counts, n)
        rows = read_jsonl(os.path.join(a.data, f"{b}.eval.jsonl"))[:3]
        for reverse in (False, True):
            plan, dropped = authors_plan(rd, na, nd, reverse, k)
            model.set_plan(plan)
            for row in rows:
                ids = tok.encode(apply_chat_template(row["messages"], True))
                out, gap = greedy_with_gap(model, ids)
                entry = {"behaviour": b, "toward": names[1 if reverse else 0], "activate": na, "deactivate": nd,
                         "layers": {str(l): {"activate": ad[0], "deactivate": ad[1]} for l, ad in plan.items() if ad[0] or ad[1]},
                         "messages": row["messages"], "input_ids": ids, "greedy_ids": out,
                         "greedy_text": tok.decode([t for t in out if t != EOS]), "min_top2_gap": round(gap, 5)}
                ref["steered"].append(entry)
                print(f"[{b} toward {entry['toward']}] {row['messages'][0]['content']!r} -> {entry['greedy_text']!r}"
                      f" (gap {gap:.3f})", flush=True)
            model.set_plan(None)
    with open(a.out + ".tmp", "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")
    os.replace(a.out + ".tmp", a.out)


if __name__ == "__main__":
    main()
