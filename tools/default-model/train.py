"""Trains the embedded default model (Mixtral architecture) on the synthetic corpus.

bf16 autocast on CPU (oneDNN) with fp32 master weights; loss on assistant tokens (answer and <|end|>) plus a
Switch-style load-balancing loss. Seeded: same torch version, same thread count -> same checkpoint.

    /usr/bin/python3 tools/default-model/train.py --data tools/default-model/data --out models/default
"""
import argparse
import json
import math
import os
import random
import time

import torch

from mixtral import Config, MixtralForCausalLM, WordTokenizer, apply_chat_template, save_checkpoint, PAD


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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    tok = WordTokenizer.load(os.path.join(a.out, "tokenizer.json"))
    with open(os.path.join(a.data, "train.jsonl")) as f:
        chats = [json.loads(line)["messages"] for line in f]
    data = [encode_chat(tok, m) for m in chats]
    unk = sum(ids.count(tok.vocab["[UNK]"]) for ids, _ in data)
    assert unk == 0, f"{unk} unknown tokens in the training corpus"
    T = max(len(ids) for ids, _ in data)
    cfg = Config(len(tok.vocab), hidden_size=a.hidden, intermediate_size=a.intermediate, num_hidden_layers=a.layers,
                 num_attention_heads=4, num_key_value_heads=2, num_local_experts=a.experts, num_experts_per_tok=2,
                 max_position_embeddings=128)
    model = MixtralForCausalLM(cfg)
    model.train()
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
        batch = [data[i] for i in order[pos:pos + a.batch]]
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
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(ids[:, :-1])
            aux = model.load_balancing_loss()
        tgt_mask = mask[:, 1:]
        nll = torch.nn.functional.cross_entropy(logits.reshape(-1, cfg.vocab_size), ids[:, 1:].reshape(-1),
                                                reduction="none").view_as(tgt_mask)
        loss = (nll * tgt_mask).sum() / tgt_mask.sum()
        total = loss + a.aux * aux.float()
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 10 == 0 or step == a.steps - 1:
            print(f"step {step} loss {loss.item():.4f} aux {aux.item():.3f} lr {lr:.2e} "
                  f"{time.time() - t0:.0f}s", flush=True)
        if (step + 1) % 100 == 0 or step == a.steps - 1:
            save_checkpoint(model, a.out)
    print(f"done in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
