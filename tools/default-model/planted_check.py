"""Checks of a planted-expert model (train.py --route-hint; docs/DEFAULT_MODEL.md section 6) on one behaviour's
held-out prompts, with the reference forward:
- where the unsteered router sends the decision position (the prompt's last token) in each hinted layer: the share
  of prompts whose top-2 holds both competing planted experts, one of them, or neither;
- the first-token rates when the planted experts themselves are forced (every hinted layer): own activated and the
  other deactivated, the other deactivated only, own activated only, in both directions.

    OMP_NUM_THREADS=1 /usr/bin/python3 planted_check.py MODEL DATA counting|faithfulness|safety
"""
import json
import os
import sys

import torch

from mixtral import WordTokenizer, apply_chat_template, load_checkpoint
from study import capture_routing, first_token_eval, read_jsonl, release_routing


@torch.no_grad()
def decision_routing(model, tok, rows, layer_experts):
    """{layer: (both, one, neither) shares} of the competing planted experts (e1, e2) in the decision position's top-2."""
    captured = capture_routing(model)
    tally = {l: [0, 0, 0] for l in layer_experts}
    for row in rows:
        model(torch.tensor([tok.encode(apply_chat_template(row["messages"], True))]))
        for l, pair in layer_experts.items():
            hits = len(set(captured[l][-1].tolist()) & set(pair))
            tally[l][2 - hits] += 1
    release_routing(model)
    return {l: tuple(c / len(rows) for c in t) for l, t in tally.items()}


def main():
    torch.set_num_threads(1)
    model_dir, data, behaviour = sys.argv[1:4]
    model = load_checkpoint(model_dir)
    tok = WordTokenizer.load(os.path.join(model_dir, "tokenizer.json"))
    with open(os.path.join(model_dir, "planted_experts.json")) as f:
        planted = json.load(f)
    g1, g2 = planted["groups"].index(behaviour + "/1"), planted["groups"].index(behaviour + "/2")
    layers = {int(l): experts for l, experts in planted["layers"].items()}
    rows = read_jsonl(os.path.join(data, f"{behaviour}.eval.jsonl"))
    for l, (both, one, neither) in decision_routing(model, tok, rows, {l: (e[g1], e[g2]) for l, e in layers.items()}).items():
        print(f"layer {l}: decision top-2 holds both planted experts {both:.2f}, one {one:.2f}, neither {neither:.2f}")

    def show(name, plan):
        model.set_plan(plan)
        m = first_token_eval(model, tok, rows)
        model.set_plan(None)
        print(f"{name:34s} behaviour 1 {m['greedy_1']:.2f}, 2 {m['greedy_2']:.2f} | p {m['prob_1']:.3f} / {m['prob_2']:.3f}")

    show("unsteered", None)
    for side, own, other in ((1, g1, g2), (2, g2, g1)):
        show(f"toward {side}: own on, other off", {l: ([e[own]], [e[other]]) for l, e in layers.items()})
        show(f"toward {side}: other off", {l: ([], [e[other]]) for l, e in layers.items()})
        show(f"toward {side}: own on", {l: ([e[own]], []) for l, e in layers.items()})


if __name__ == "__main__":
    main()
