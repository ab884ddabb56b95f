"""The whole SteerMoE study on the embedded default model, in Python, with the reference forward.

For each behaviour: detection on the paired set (teacher forcing, target-span tokens, top-k activations per
layer and expert), risk difference per (layer, expert), the authors' selection (global order by |RD|, ties by
layer then expert, first N positive to activate with a per-layer cap of k, first M negative to deactivate;
"toward behaviour 2" flips the sign), a random control of the same counts (uniform over experts not in the
real plan, same cap, seeded), then on the held-out evaluation prompts: the greedy first-token behaviour rate
and the mean probability mass of the first answer token of each behaviour, unsteered and steered.

    /usr/bin/python3 tools/default-model/study.py --model models/default --data tools/default-model/data \
        --out tools/default-model/study
"""
import argparse
import csv
import json
import os
import random

import torch

from mixtral import EOS, WordTokenizer, apply_chat_template, greedy, load_checkpoint

BEHAVIOURS = {
    # name: (behaviour 1, behaviour 2)
    "counting": ("digits", "words"),
    "faithfulness": ("context", "memory"),
    "safety": ("refuse", "comply"),
}


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def last_occurrence(ids, target, where):
    for s in range(len(ids) - len(target), -1, -1):
        if ids[s:s + len(target)] == target:
            return s
    raise ValueError(f"{where}: target span not found in the prompt ids")


def capture_routing(model):
    """Installs an observer on every MoE block; returns the dict it fills: layer -> top-k index [T, k] of the
    last forward."""
    captured = {}

    def observer(layer, z, idx):
        captured[layer] = idx

    for moe in model.moe_blocks():
        moe.observer = observer
    return captured


def release_routing(model):
    for moe in model.moe_blocks():
        moe.observer = None


@torch.no_grad()
def detect(model, tok, pairs, name):
    """counts[j] [L, E] activations on side j, n[j] counted tokens."""
    cfg = model.cfg
    L, E = cfg.num_hidden_layers, cfg.num_local_experts
    counts = [torch.zeros(L, E, dtype=torch.long), torch.zeros(L, E, dtype=torch.long)]
    n = [0, 0]
    captured = capture_routing(model)
    for r, row in enumerate(pairs):
        for j in range(2):
            ids = tok.encode(apply_chat_template(row[f"messages_{j}"], False))
            target = tok.encode(row[f"messages_{j}_target"])
            s = last_occurrence(ids, target, f"{name} row {r} side {j}")
            model(torch.tensor([ids]))
            for l in range(L):
                idx = captured[l][s:s + len(target)]                 # [span, k]
                counts[j][l] += torch.bincount(idx.reshape(-1), minlength=E)
            n[j] += len(target)
    release_routing(model)
    return counts, n


@torch.no_grad()
def detect_decision(model, tok, pairs, name):
    """Decision-position detection (not the authors'): for each pair's prompt, the routing of the last prompt
    token (`<|assistant|>`, where the first answer token is chosen), grouped by the model's own greedy choice:
    side 1 = prompts where it picks behaviour 1's first token, side 2 = behaviour 2's. Prompts picking neither
    are skipped."""
    cfg = model.cfg
    L, E = cfg.num_hidden_layers, cfg.num_local_experts
    counts = [torch.zeros(L, E, dtype=torch.long), torch.zeros(L, E, dtype=torch.long)]
    n = [0, 0]
    captured = capture_routing(model)
    for row in pairs:
        ids = tok.encode(apply_chat_template(row["messages_0"][:-1], True))
        top = int(model(torch.tensor([ids]))[0, -1].argmax())
        firsts = [tok.encode(row["messages_0_target"])[0], tok.encode(row["messages_1_target"])[0]]
        if top not in firsts:
            continue
        j = firsts.index(top)
        for l in range(L):
            counts[j][l] += torch.bincount(captured[l][-1], minlength=E)
        n[j] += 1
    release_routing(model)
    if min(n) == 0:
        raise ValueError(f"{name}: the model never chooses one of the behaviours on the detection prompts: {n}")
    return counts, n


def risk_difference(counts, n):
    return counts[0].double() / n[0] - counts[1].double() / n[1]      # [L, E]


def authors_plan(rd, n_act, n_deact, reverse, cap):
    """STEERMOE.md section 3. Returns {layer: (activate, deactivate)} and the number of activations dropped."""
    L, E = rd.shape
    score = -rd if reverse else rd
    rows = sorted(((abs(float(score[l, e])), l, e) for l in range(L) for e in range(E)),
                  key=lambda t: (-t[0], t[1], t[2]))
    pos = [(l, e) for _, l, e in rows if score[l, e] > 0]
    neg = [(l, e) for _, l, e in rows if score[l, e] < 0]
    if len(pos) < n_act or len(neg) < n_deact:
        raise ValueError(f"asked {n_act}/{n_deact} experts, only {len(pos)} positive / {len(neg)} negative")
    plan = {l: ([], []) for l in range(L)}
    dropped = 0
    for l, e in pos[:n_act]:
        if len(plan[l][0]) < cap:
            plan[l][0].append(e)
        else:
            dropped += 1
    for l, e in neg[:n_deact]:
        plan[l][1].append(e)
    return plan, dropped


def random_plan(real, L, E, cap, seed):
    rng = random.Random(seed)
    used = {(l, e) for l, (a, d) in real.items() for e in a + d}
    free = [(l, e) for l in range(L) for e in range(E) if (l, e) not in used]
    rng.shuffle(free)
    n_act = sum(len(a) for a, _ in real.values())
    n_deact = sum(len(d) for _, d in real.values())
    plan = {l: ([], []) for l in range(L)}
    for l, e in free:
        if n_act and len(plan[l][0]) < cap:
            plan[l][0].append(e)
            n_act -= 1
        elif n_deact:
            plan[l][1].append(e)
            n_deact -= 1
    return plan


def shared_prefix_len(a, b):
    k = 0
    while k < min(len(a), len(b)) - 1 and a[k] == b[k]:
        k += 1
    return k


@torch.no_grad()
def first_token_eval(model, tok, rows):
    """Greedy first-token behaviour rates (the first token where the two answers differ) and mean first-token probability of each behaviour's answer."""
    g1 = g2 = 0
    p1 = p2 = 0.0
    for row in rows:
        a1, a2 = tok.encode(row["behaviour_1"]), tok.encode(row["behaviour_2"])
        k = shared_prefix_len(a1, a2)
        # the two answers' shared first tokens (none in most styles) are teacher-forced; the token after them
        # is the one that decides
        ids = tok.encode(apply_chat_template(row["messages"], True)) + a1[:k]
        probs = model(torch.tensor([ids]))[0, -1].softmax(-1)
        t1, t2 = a1[k], a2[k]
        top = int(probs.argmax())
        g1 += top == t1
        g2 += top == t2
        p1 += float(probs[t1])
        p2 += float(probs[t2])
    n = len(rows)
    return {"greedy_1": g1 / n, "greedy_2": g2 / n, "prob_1": p1 / n, "prob_2": p2 / n, "n": n}


@torch.no_grad()
def full_greedy_eval(model, tok, rows):
    """Share of prompts whose whole greedy answer equals behaviour 1's / behaviour 2's answer exactly."""
    e1 = e2 = 0
    for row in rows:
        ids = tok.encode(apply_chat_template(row["messages"], True))
        longest = max(len(tok.encode(row["behaviour_1"])), len(tok.encode(row["behaviour_2"])))
        out = greedy(model, ids, max_new=max(40, longest + 2))
        text = tok.decode([i for i in out if i != EOS])
        e1 += text == tok.decode(tok.encode(row["behaviour_1"]))
        e2 += text == tok.decode(tok.encode(row["behaviour_2"]))
    return {"exact_1": e1 / len(rows), "exact_2": e2 / len(rows)}


def fmt_plan(plan):
    return ";".join(f"L{l}:+{a}-{d}" for l, (a, d) in plan.items() if a or d)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--grid", default="1/0,2/0,4/0,0/1,0/2,0/4,2/2,4/4")
    ap.add_argument("--full", action="store_true", help="also whole-answer greedy exact-match rates")
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--behaviours", default=",".join(BEHAVIOURS), help="comma-separated subset to study")
    ap.add_argument("--detect", choices=["target", "decision"], default="target",
                    help="target: the authors' teacher-forced answer span; decision: the last prompt token, "
                         "grouped by the model's own greedy choice")
    a = ap.parse_args()
    torch.set_num_threads(1)  # 2 threads on a loaded 2-core machine stall on OpenMP barriers
    model = load_checkpoint(a.model)
    tok = WordTokenizer.load(os.path.join(a.model, "tokenizer.json"))
    cfg = model.cfg
    L, E, k = cfg.num_hidden_layers, cfg.num_local_experts, cfg.num_experts_per_tok
    os.makedirs(a.out, exist_ok=True)
    grid = [tuple(int(x) for x in g.split("/")) for g in a.grid.split(",")]
    results = []
    for b, (name1, name2) in BEHAVIOURS.items():
        if b not in a.behaviours.split(","):
            continue
        pairs = read_jsonl(os.path.join(a.data, f"{b}.pairs.jsonl"))
        rows = read_jsonl(os.path.join(a.data, f"{b}.eval.jsonl"))
        counts, n = (detect if a.detect == "target" else detect_decision)(model, tok, pairs, b)
        rd = risk_difference(counts, n)
        with open(os.path.join(a.out, f"{b}.counts.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["layer", "expert", "a1", "d1", "a2", "d2", "risk_diff"])
            for l in range(L):
                for e in range(E):
                    a1, a2 = int(counts[0][l, e]), int(counts[1][l, e])
                    w.writerow([l, e, a1, n[0] - a1, a2, n[1] - a2, f"{float(rd[l, e]):.6f}"])
        top = sorted(((abs(float(rd[l, e])), l, e, float(rd[l, e])) for l in range(L) for e in range(E)), reverse=True)[:6]
        print(f"== {b} ({name1} vs {name2}): {len(pairs)} pairs, tokens {n}; top |RD|: "
              + ", ".join(f"L{l}E{e}={r:+.3f}" for _, l, e, r in top), flush=True)

        def record(cond, plan, dropped=0):
            model.set_plan(plan)
            m = first_token_eval(model, tok, rows)
            if a.full:
                m.update(full_greedy_eval(model, tok, rows))
            model.set_plan(None)
            m.update({"behaviour": b, "condition": cond, "plan": "" if plan is None else fmt_plan(plan),
                      "dropped": dropped})
            results.append(m)
            extra = f" exact {m['exact_1']:.2f}/{m['exact_2']:.2f}" if a.full else ""
            print(f"  {cond:28s} greedy {name1} {m['greedy_1']:.2f} {name2} {m['greedy_2']:.2f} | "
                  f"p({name1}) {m['prob_1']:.3f} p({name2}) {m['prob_2']:.3f}{extra}  {m['plan']}", flush=True)

        record("unsteered", None)
        for na, nd in grid:
            for reverse in (False, True):
                toward = name2 if reverse else name1
                try:
                    plan, dropped = authors_plan(rd, na, nd, reverse, k)
                except ValueError as ex:
                    print(f"  skip {na}/{nd} toward {toward}: {ex}")
                    continue
                record(f"toward {toward} {na}/{nd}", plan, dropped)
                seed = a.seed * 1000 + na * 10 + nd + (500 if reverse else 0)
                record(f"random {na}/{nd} ({toward})", random_plan(plan, L, E, k, seed))
    keys = ["behaviour", "condition", "n", "greedy_1", "greedy_2", "prob_1", "prob_2"]
    if a.full:
        keys += ["exact_1", "exact_2"]
    keys += ["dropped", "plan"]
    with open(os.path.join(a.out, "results.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in results:
            w.writerow({kk: (f"{r[kk]:.4f}" if isinstance(r[kk], float) else r[kk]) for kk in keys})


if __name__ == "__main__":
    main()
