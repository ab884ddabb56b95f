"""Pure-PyTorch Mixtral (MixtralForCausalLM) for the embedded default model.

One module holds the architecture used for training and the fp32 reference forward that the C# engine is
checked against, plus the SteerMoE router rewrite (STEERMOE.md section 3), the word-level tokenizer that
mirrors tokenizer.json, and a minimal safetensors reader/writer (the `safetensors` package is not available
to Debian's python3).

Mixtral math, as the Hugging Face implementation does it:
- RMSNorm: x * rsqrt(mean(x^2) + eps) * weight, in fp32.
- Rotary: inv_freq = theta^(-2i/d), cos/sin of cat(freqs, freqs), rotate_half(x) = cat(-x2, x1).
- Attention: GQA (key/value heads repeated), causal, scale 1/sqrt(head_dim), no bias.
- MoE: router logits z = gate(x); p = softmax(z) over all experts (fp32); top-k of p; weights renormalised to
  sum 1; expert e: w2(silu(w1 x) * w3 x).
"""
import json
import math
import re
import struct

import torch
import torch.nn as nn
import torch.nn.functional as F

SPECIAL_TOKENS = ["<pad>", "<bos>", "<|end|>", "<|user|>", "<|assistant|>", "<|system|>", "[UNK]"]
PAD, BOS, EOS = 0, 1, 2


# ----------------------------------------------------------------------------------------------------------
# Model
# ----------------------------------------------------------------------------------------------------------
class Config:
    def __init__(self, vocab_size, hidden_size=96, intermediate_size=192, num_hidden_layers=4,
                 num_attention_heads=4, num_key_value_heads=2, num_local_experts=8, num_experts_per_tok=2,
                 rms_norm_eps=1e-5, rope_theta=10000.0, max_position_embeddings=128):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_local_experts = num_local_experts
        self.num_experts_per_tok = num_experts_per_tok
        self.rms_norm_eps = rms_norm_eps
        self.rope_theta = rope_theta
        self.max_position_embeddings = max_position_embeddings

    @property
    def head_dim(self):
        return self.hidden_size // self.num_attention_heads

    def to_hf(self):
        """config.json as the hub stores a MixtralForCausalLM."""
        return {
            "architectures": ["MixtralForCausalLM"],
            "model_type": "mixtral",
            "attention_dropout": 0.0,
            "bos_token_id": BOS,
            "eos_token_id": EOS,
            "pad_token_id": PAD,
            "hidden_act": "silu",
            "hidden_size": self.hidden_size,
            "initializer_range": 0.02,
            "intermediate_size": self.intermediate_size,
            "max_position_embeddings": self.max_position_embeddings,
            "num_attention_heads": self.num_attention_heads,
            "num_experts_per_tok": self.num_experts_per_tok,
            "num_hidden_layers": self.num_hidden_layers,
            "num_key_value_heads": self.num_key_value_heads,
            "num_local_experts": self.num_local_experts,
            "output_router_logits": False,
            "rms_norm_eps": self.rms_norm_eps,
            "rope_theta": self.rope_theta,
            "router_aux_loss_coef": 0.02,
            "sliding_window": None,
            "tie_word_embeddings": False,
            "torch_dtype": "bfloat16",
            "transformers_version": "4.46.0",
            "use_cache": True,
            "vocab_size": self.vocab_size,
        }

    @staticmethod
    def from_hf(d):
        return Config(d["vocab_size"], d["hidden_size"], d["intermediate_size"], d["num_hidden_layers"],
                      d["num_attention_heads"], d["num_key_value_heads"], d["num_local_experts"],
                      d["num_experts_per_tok"], d["rms_norm_eps"], d["rope_theta"], d["max_position_embeddings"])


class RmsNorm(nn.Module):
    def __init__(self, n, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x):
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def rotary_tables(cfg, T, device=None):
    d = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_theta ** (torch.arange(0, d, 2, dtype=torch.int64).float() / d))
    pos = torch.arange(T, dtype=torch.float32)
    freqs = torch.outer(pos, inv_freq)                      # [T, d/2]
    emb = torch.cat((freqs, freqs), dim=-1)                 # [T, d]
    return emb.cos(), emb.sin()


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        H, d = cfg.hidden_size, cfg.head_dim
        self.q_proj = nn.Linear(H, cfg.num_attention_heads * d, bias=False)
        self.k_proj = nn.Linear(H, cfg.num_key_value_heads * d, bias=False)
        self.v_proj = nn.Linear(H, cfg.num_key_value_heads * d, bias=False)
        self.o_proj = nn.Linear(cfg.num_attention_heads * d, H, bias=False)

    def forward(self, x, cos, sin):
        B, T, _ = x.shape
        c = self.cfg
        d, nh, nkv = c.head_dim, c.num_attention_heads, c.num_key_value_heads
        q = self.q_proj(x).view(B, T, nh, d).transpose(1, 2)      # [B, nh, T, d]
        k = self.k_proj(x).view(B, T, nkv, d).transpose(1, 2)     # [B, nkv, T, d]
        v = self.v_proj(x).view(B, T, nkv, d).transpose(1, 2)
        cos_, sin_ = cos[None, None].to(q.dtype), sin[None, None].to(q.dtype)
        q = q * cos_ + rotate_half(q) * sin_
        k = k * cos_ + rotate_half(k) * sin_
        rep = nh // nkv
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(d)  # [B, nh, T, T]
        mask = torch.full((T, T), float("-inf")).triu(1)
        att = (att.float() + mask).softmax(-1).to(v.dtype)
        y = torch.matmul(att, v).transpose(1, 2).reshape(B, T, nh * d)
        return self.o_proj(y)


class Expert(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.w1 = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.w2 = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)
        self.w3 = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)

    def forward(self, x):
        return self.w2(F.silu(self.w1(x)) * self.w3(x))


def steer_scores(z, activate, deactivate):
    """SteerMoE rewrite of raw router logits z [T, E]: s = log_softmax(z); activated experts get max(s)+0.01,
    deactivated min(s)-0.01 (max/min per token, taken before any assignment)."""
    s = torch.log_softmax(z.float(), dim=-1)
    hi = s.max(dim=-1).values + 0.01
    lo = s.min(dim=-1).values - 0.01
    s = s.clone()
    for e in activate:
        s[:, e] = hi
    for e in deactivate:
        s[:, e] = lo
    return s


class SparseMoe(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        self.cfg = cfg
        self.layer = layer
        self.gate = nn.Linear(cfg.hidden_size, cfg.num_local_experts, bias=False)
        self.experts = nn.ModuleList([Expert(cfg) for _ in range(cfg.num_local_experts)])
        self.plan = None        # (activate, deactivate) for this layer, or None: unsteered
        self.observer = None    # callable(layer, raw_logits [T,E], topk_index [T,k])
        # Training only (train.py --route-hint): (planted [G] expert ids of this layer, group [BT] per token, -1 for
        # none). A token of group g is routed through planted[g] by the rewrite above (g's expert activated, the
        # other planted experts deactivated), and the router is taught to pick planted[g] itself (hint_loss).
        self.hint = None
        self.hint_loss = None

    def forward(self, x):
        B, T, H = x.shape
        xf = x.reshape(B * T, H)
        z = self.gate(xf)                                        # [BT, E]
        scores = z.float()
        if self.plan is not None:
            scores = steer_scores(scores, *self.plan)
        if self.training and self.hint is not None:
            scores = self.route_by_hint(scores)
        probs = scores.softmax(-1)                               # [BT, E] fp32
        w, idx = probs.topk(self.cfg.num_experts_per_tok, dim=-1)  # [BT, k]
        w = w / w.sum(-1, keepdim=True)
        if self.observer is not None:
            self.observer(self.layer, z.float().detach(), idx.detach())
        if self.training:
            # Dense training path: every expert on every token, weighted by a [BT, E] matrix that is zero off
            # the top-k. Same values as the sparse path; fixed shapes keep oneDNN from rebuilding kernels for
            # every new expert batch size (varying shapes made steps 20x slower).
            gate_w = torch.zeros_like(probs).scatter(1, idx, w)                    # [BT, E]
            ys = torch.stack([expert(xf) for expert in self.experts], dim=1)      # [BT, E, H]
            out = (ys.float() * gate_w.unsqueeze(-1)).sum(1)
            self.last_probs, self.last_index = probs, idx
            return out.to(x.dtype).view(B, T, H)
        out = torch.zeros(B * T, H, dtype=torch.float32)
        for e, expert in enumerate(self.experts):
            rows, slot = torch.where(idx == e)
            if rows.numel() == 0:
                continue
            y = expert(xf[rows]).float() * w[rows, slot].unsqueeze(-1)
            out.index_add_(0, rows, y)
        self.last_probs = probs                                  # for the load-balancing loss
        self.last_index = idx
        return out.to(x.dtype).view(B, T, H)

    def route_by_hint(self, z):
        """z [BT, E] raw router logits -> scores in which each hinted token went through steer_scores with its group's
        planted expert activated and the other planted experts deactivated; unhinted tokens keep z."""
        planted, group = self.hint
        on = group >= 0                                                          # [BT]
        forced = planted[group.clamp(min=0)]                                     # [BT]
        experts = planted.tolist()
        per_group = torch.stack([steer_scores(z, [e], [o for o in experts if o != e]) for e in experts])  # [G, BT, E]
        hinted = per_group[group.clamp(min=0), torch.arange(z.shape[0])]        # [BT, E]
        self.hint_loss = F.cross_entropy(z[on], forced[on]) if bool(on.any()) else z.sum() * 0
        return torch.where(on[:, None], hinted, z)


class DecoderLayer(nn.Module):
    def __init__(self, cfg, layer):
        super().__init__()
        self.self_attn = Attention(cfg)
        self.block_sparse_moe = SparseMoe(cfg, layer)
        self.input_layernorm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_attention_layernorm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x, cos, sin):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin)
        return x + self.block_sparse_moe(self.post_attention_layernorm(x))


class Inner(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList([DecoderLayer(cfg, l) for l in range(cfg.num_hidden_layers)])
        self.norm = RmsNorm(cfg.hidden_size, cfg.rms_norm_eps)


class MixtralForCausalLM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.model = Inner(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        for p in self.parameters():
            if p.dim() == 2:
                nn.init.normal_(p, std=0.02)

    def forward(self, ids):                                      # ids [B, T] -> logits [B, T, V]
        T = ids.shape[1]
        cos, sin = rotary_tables(self.cfg, T)
        x = self.model.embed_tokens(ids)
        for layer in self.model.layers:
            x = layer(x, cos, sin)
        return self.lm_head(self.model.norm(x)).float()

    def moe_blocks(self):
        return [layer.block_sparse_moe for layer in self.model.layers]

    def set_plan(self, plan):
        """plan: {layer: (activate list, deactivate list)} or None. With a plan, every MoE layer gets the
        log_softmax (the authors' behaviour), even with empty sets."""
        for l, moe in enumerate(self.moe_blocks()):
            moe.plan = None if plan is None else tuple(plan.get(l, ([], [])))

    def load_balancing_loss(self):
        """Switch-style auxiliary loss, E * sum_e f_e P_e, averaged over layers."""
        total = 0.0
        for moe in self.moe_blocks():
            E = self.cfg.num_local_experts
            f = F.one_hot(moe.last_index, E).float().sum(1).mean(0)   # share of tokens (x k) per expert
            P = moe.last_probs.mean(0)
            total = total + E * (f * P).sum() / self.cfg.num_experts_per_tok
        return total / self.cfg.num_hidden_layers


# ----------------------------------------------------------------------------------------------------------
# safetensors
# ----------------------------------------------------------------------------------------------------------
_DTYPES = {torch.bfloat16: "BF16", torch.float32: "F32", torch.int64: "I64"}
_FROM = {v: k for k, v in _DTYPES.items()}


def save_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].contiguous()
        data = t.view(torch.int16).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": _DTYPES[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    import os
    os.replace(path + ".tmp", path)


def load_safetensors(path):
    import numpy as np
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[a:b]
        dt = info["dtype"]
        if dt == "BF16":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.int16).copy()).view(torch.bfloat16)
        elif dt == "F32":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.float32).copy())
        elif dt == "I64":
            t = torch.from_numpy(np.frombuffer(raw, dtype=np.int64).copy())
        else:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dt}")
        out[name] = t.reshape(info["shape"])
    return out


def save_checkpoint(model, directory):
    import os
    os.makedirs(directory, exist_ok=True)
    tensors = {k: v.detach().to(torch.bfloat16) for k, v in model.state_dict().items()}
    save_safetensors(os.path.join(directory, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(model.cfg.to_hf(), f, indent=2)
        f.write("\n")


def load_checkpoint(directory):
    """The reference: bf16 weights widened to fp32, fp32 compute."""
    import os
    with open(os.path.join(directory, "config.json")) as f:
        cfg = Config.from_hf(json.load(f))
    model = MixtralForCausalLM(cfg)
    sd = {k: v.float() for k, v in load_safetensors(os.path.join(directory, "model.safetensors")).items()}
    model.load_state_dict(sd, strict=True)
    model.eval()
    return model


# ----------------------------------------------------------------------------------------------------------
# Tokenizer (mirrors tokenizer.json: added tokens split first, then Whitespace pre-tokenizer, WordLevel)
# ----------------------------------------------------------------------------------------------------------
class WordTokenizer:
    def __init__(self, vocab):
        self.vocab = vocab
        self.inv = {i: w for w, i in vocab.items()}
        self.special = re.compile("(" + "|".join(re.escape(s) for s in SPECIAL_TOKENS[:-1]) + ")")
        self.word = re.compile(r"\w+|[^\w\s]+")

    @staticmethod
    def load(path):
        with open(path) as f:
            j = json.load(f)
        vocab = dict(j["model"]["vocab"])
        for t in j["added_tokens"]:
            vocab[t["content"]] = t["id"]
        return WordTokenizer(vocab)

    def encode(self, text):
        ids = []
        for part in self.special.split(text):
            if part in self.vocab and part in SPECIAL_TOKENS:
                ids.append(self.vocab[part])
            else:
                ids.extend(self.vocab.get(w, self.vocab["[UNK]"]) for w in self.word.findall(part))
        return ids

    def decode(self, ids, skip_special=True):
        words = [self.inv[i] for i in ids]
        if skip_special:
            words = [w for w in words if w not in SPECIAL_TOKENS]
        return " ".join(words)


CHAT_TEMPLATE = ("{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|> {{ message['content'] }}"
                 " <|end|>\n{% endfor %}{% if add_generation_prompt %}<|assistant|> {% endif %}")


def apply_chat_template(messages, add_generation_prompt):
    """Same string the Jinja template renders (checked against jinja2 in make_corpus.py)."""
    s = "<bos>"
    for m in messages:
        s += f"<|{m['role']}|> {m['content']} <|end|>\n"
    if add_generation_prompt:
        s += "<|assistant|> "
    return s


@torch.no_grad()
def greedy(model, ids, max_new=24):
    ids = list(ids)
    out = []
    for _ in range(max_new):
        logits = model(torch.tensor([ids]))[0, -1]
        nxt = int(logits.argmax())
        out.append(nxt)
        ids.append(nxt)
        if nxt == EOS:
            break
    return out
