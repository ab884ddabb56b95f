"""Trains the embedded default model (Mixtral architecture) on the synthetic corpus.

bf16 autocast on CPU (oneDNN) with fp32 master weights; loss on assistant tokens (answer and <|end|>) plus a
Switch-style load-balancing loss; with --route-hint, each behaviour's answers are routed through planted experts
(docs/DEFAULT_MODEL.md section 6). Seeded: same torch version, same thread count -> same checkpoint.

    /usr/bin/python3 tools/default-model/train.py --data tools/default-model/data --out models/default \
        --route-hint 1,2 --steps 3000 --seed 6
"""
import argparse
import json
import math
import os
import random
import time

import torch

from mixtral import Config, MixtralForCausalLM, WordTokenizer, apply_chat_template, save_checkpoint, PAD


# Behaviour groups of --route-hint, in the order of each hinted layer's planted experts.
HINT_GROUPS = ["counting/1", "counting/2", "faithfulness/1", "faithfulness/2", "safety/1", "safety/2"]


def planted_experts(layers, experts, seed):
    """{layer: [expert of each HINT_GROUPS entry]}: a seeded choice per layer, so the planted experts differ between
    layers and are not simply 0..5."""
    return {l: random.Random(f"{seed}/planted/{l}").sample(range(experts), len(HINT_GROUPS)) for l in layers}


def encode_chat(tok, messages):
    """ids of the full chat and the loss mask (1 on the assistant answer and its <|end|>)."""
    prompt = tok.encode(apply_chat_template(messages[:-1], True))
    answer = tok.encode(messages[-1]["content"] + " <|end|>")
    return prompt + answer, [0] * len(prompt) + [1] * len(answer)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--aux", type=float, default=0.02)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--intermediate", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--experts", type=int, default=8)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--route-hint", default="",
                    help="comma-separated layers (e.g. 1,2) in which each labelled answer (train.jsonl 'behaviour', "
                         "make_corpus.py --labels) is routed through an expert planted for its behaviour, and the "
                         "router is taught to choose it; writes planted_experts.json beside the checkpoint")
    ap.add_argument("--hint-span", choices=["answer", "chat"], default="answer",
                    help="answer: the positions that predict the last answer's tokens (from the prompt's last token "
                         "on); chat: every position of the chat")
    ap.add_argument("--hint-weight", type=float, default=0.1, help="weight of the router's cross-entropy to the planted expert")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    tok = WordTokenizer.load(os.path.join(a.out, "tokenizer.json"))
    with open(os.path.join(a.data, "train.jsonl")) as f:
        rows = [json.loads(line) for line in f]
    data = [encode_chat(tok, r["messages"]) for r in rows]
    hint_layers = [int(x) for x in a.route_hint.split(",") if x]
    if hint_layers and not any("behaviour" in r for r in rows):
        raise SystemExit(f"{a.data}/train.jsonl: no row has a 'behaviour' field; --route-hint needs make_corpus.py --labels")
    # group [T] per chat: the HINT_GROUPS index on the hinted positions, -1 elsewhere (positions of the input ids[:-1])
    groups = []
    for r, (ids, m) in zip(rows, data):
        g = [-1] * len(ids)
        if hint_layers and r.get("behaviour"):
            start = 0 if a.hint_span == "chat" else m.index(1) - 1
            for p in range(start, len(ids) - 1):
                g[p] = HINT_GROUPS.index(r["behaviour"])
        groups.append(g)
    unk = sum(ids.count(tok.vocab["[UNK]"]) for ids, _ in data)
    assert unk == 0, f"{unk} unknown tokens in the training corpus"
    T = max(len(ids) for ids, _ in data)
    cfg = Config(len(tok.vocab), hidden_size=a.hidden, intermediate_size=a.intermediate, num_hidden_layers=a.layers,
                 num_attention_heads=4, num_key_value_heads=2, num_local_experts=a.experts, num_experts_per_tok=2,
                 max_position_embeddings=128)
    model = MixtralForCausalLM(cfg)
    model.train()
    planted = planted_experts(hint_layers, a.experts, a.seed)
    if hint_layers:
        os.makedirs(a.out, exist_ok=True)
        path = os.path.join(a.out, "planted_experts.json")
        with open(path + ".tmp", "w") as fo:
            json.dump({"groups": HINT_GROUPS, "span": a.hint_span,
                       "layers": {str(l): planted[l] for l in hint_layers}}, fo, indent=1)
        os.replace(path + ".tmp", path)
        print(f"planted experts {planted}", flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{len(data)} chats, max len {T}, vocab {cfg.vocab_size}, params {n_params}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.01)
    warm = 100
    t0 = time.time()
    order = list(range(len(data)))
    rng.shuffle(order)
    pos = 0
    for step in range(a.steps):
        if pos + a.batch > len(order):
            rng.shuffle(order)
            pos = 0
        picked = order[pos:pos + a.batch]
        batch = [data[i] for i in picked]
        pos += a.batch
        L = T   # fixed shape: oneDNN rebuilds kernels for every new shape
        ids = torch.full((len(batch), L), PAD, dtype=torch.long)
        mask = torch.zeros((len(batch), L))
        for b, (x, m) in enumerate(batch):
            ids[b, :len(x)] = torch.tensor(x)
            mask[b, :len(m)] = torch.tensor(m, dtype=torch.float32)
        lr = a.lr * min(1.0, (step + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / a.steps)))
        for g in opt.param_groups:
            g["lr"] = lr
        if hint_layers:
            group = torch.full((len(batch), L), -1, dtype=torch.long)
            for b, i in enumerate(picked):
                group[b, :len(groups[i])] = torch.tensor(groups[i])
            group = group[:, :-1].reshape(-1)                                   # [B*(L-1)], as the input ids[:, :-1]
            for l in hint_layers:
                model.moe_blocks()[l].hint = (torch.tensor(planted[l]), group)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(ids[:, :-1])
            aux = model.load_balancing_loss()
        hint = sum(model.moe_blocks()[l].hint_loss.float() for l in hint_layers) / len(hint_layers) if hint_layers else torch.zeros(())
        tgt_mask = mask[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab_size), ids[:, 1:].reshape(-1),
                                                reduction="none").view_as(tgt_mask)
        loss = (nll * tgt_mask).sum() / tgt_mask.sum()
        total = loss + a.aux * aux.float() + a.hint_weight * hint
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 10 == 0 or step == a.steps - 1:
            print(f"step {step} loss {loss.item():.4f} aux {aux.item():.3f} hint {hint.item():.3f} lr {lr:.2e} "
                  f"{time.time() - t0:.0f}s", flush=True)
        if (step + 1) % 100 == 0 or step == a.steps - 1:
            save_checkpoint(model, a.out)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
