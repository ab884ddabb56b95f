"""Recomputes the logits of the gpt_oss_mxfp4 fixture from its checkpoint alone, with the experts in two arithmetics,
and prints how far each is from the logits transformers stored (tests/fixtures/hf-parity/gpt_oss_mxfp4/reference.safetensors).

  fp32: every op in fp32 on the dequantised experts (what a correct fp32 engine computes): 3.9e-2 away.
  bf16: the sequence transformers 5.x ran for Mxfp4Config(dequantize=True), dtype=float32, on CPU. The dequantiser
        builds the expert matrices in bf16 and nothing casts them to the model dtype; the default "grouped_mm" experts
        path casts each GEMM input to the weight dtype, so both expert GEMMs take a bf16-rounded input, sum in fp32
        and return bf16. The gate/up bias add, the clamped SwiGLU and the down bias add then run as bf16 tensor ops
        (one rounding per op); the fixture's logits rule out fp32 here (3.5e-2 with fp32 biases and activation).
        Routing, the routing-weighted sum and everything outside the experts stay fp32.

The bf16 result depends on the order of the fp32 GEMM sums only through rare ties (6.5e-6 with torch's order,
8.4e-5 with exact sums), so an engine that does the same op sequence lands within 1e-4.
Written from the math (STEERMOE.md section 4, the C# GptOssArchitecture), not from transformers' code; it runs on
Debian's torch 1.13 and uses no bf16 kernels (torch 1.13's bf16 sigmoid is less accurate than 2.x's).
Usage: /usr/bin/python3 tools/reference/mxfp4/emulate_transformers.py [FIXTURE_DIR]
"""
import json
import math
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "tests", "fixtures", "hf-parity", "gpt_oss_mxfp4")


def read_safetensors(path):
    """name -> fp32 / int64 / uint8 torch tensor (bf16 widened exactly)."""
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        data = raw[8 + n + a:8 + n + b]
        shape = info["shape"]
        dt = info["dtype"]
        if dt == "BF16":
            bits = np.frombuffer(data, dtype=np.uint16).astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif dt == "F32":
            arr = np.frombuffer(data, dtype=np.float32)
        elif dt == "I64":
            arr = np.frombuffer(data, dtype=np.int64)
        elif dt == "U8":
            arr = np.frombuffer(data, dtype=np.uint8)
        else:
            raise ValueError(f"{path}: {name}: dtype {dt} not handled")
        out[name] = torch.from_numpy(arr.copy().reshape(shape))
    return out


FP4 = torch.tensor([0, .5, 1, 1.5, 2, 3, 4, 6, -0., -.5, -1, -1.5, -2, -3, -4, -6], dtype=torch.float32)


def dequantise(blocks, scales):
    """blocks [E, rows, cols/32, 16] u8 (two e2m1 per byte, low nibble first), scales [E, rows, cols/32] u8 (2^(s-127))
    -> [E, cols, rows] fp32 (transformers' in->out layout). Every value is exactly a bf16."""
    e, rows, groups, _ = blocks.shape
    lo = FP4[(blocks & 0x0F).long()]
    hi = FP4[(blocks >> 4).long()]
    vals = torch.stack([lo, hi], dim=-1).reshape(e, rows, groups, 32)
    vals = vals * torch.pow(2.0, scales.float() - 127).unsqueeze(-1)
    return vals.reshape(e, rows, groups * 32).transpose(1, 2).contiguous()


def bf16(x):
    """Round to the nearest bf16 (ties to even), kept as fp32."""
    return x.to(torch.bfloat16).to(torch.float32)


def rms_norm(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))


def yarn(cfg, dim):
    """Inverse frequencies [dim/2] and attention factor of YaRN rope, in fp32 as torch computes them."""
    rs = cfg["rope_scaling"]
    base = cfg["rope_theta"]
    factor = rs["factor"]
    original = rs["original_max_position_embeddings"]
    pos = base ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim)
    extrapolation, interpolation = 1.0 / pos, 1.0 / (factor * pos)

    def correction_dim(rotations):
        return (dim * math.log(original / (rotations * 2 * math.pi))) / (2 * math.log(base))

    low, high = correction_dim(rs["beta_fast"]), correction_dim(rs["beta_slow"])
    if rs.get("truncate", True):
        low, high = math.floor(low), math.ceil(high)
    low, high = max(low, 0), min(high, dim - 1)
    if low == high:
        high += 0.001
    ramp = ((torch.arange(dim // 2, dtype=torch.float32) - low) / (high - low)).clamp(0, 1)
    keep = 1 - ramp
    inv = interpolation * (1 - keep) + extrapolation * keep
    attention = 0.1 * math.log(factor) + 1.0 if factor > 1 else 1.0
    return inv, attention


def rotate(x, cos, sin):
    """x [.., T, D] rotate-half rope."""
    half = x.shape[-1] // 2
    a, b = x[..., :half], x[..., half:]
    return torch.cat([a * cos - b * sin, b * cos + a * sin], dim=-1)


def attention(x, w, p, cfg, layer, cos, sin):
    bsz, t, _ = x.shape
    heads, kv, d = cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["head_dim"]
    q = (x @ w[p + "q_proj.weight"].T + w[p + "q_proj.bias"]).view(bsz, t, heads, d).transpose(1, 2)
    k = (x @ w[p + "k_proj.weight"].T + w[p + "k_proj.bias"]).view(bsz, t, kv, d).transpose(1, 2)
    v = (x @ w[p + "v_proj.weight"].T + w[p + "v_proj.bias"]).view(bsz, t, kv, d).transpose(1, 2)
    q, k = rotate(q, cos, sin), rotate(k, cos, sin)
    k = k.repeat_interleave(heads // kv, dim=1)
    v = v.repeat_interleave(heads // kv, dim=1)
    scores = (q @ k.transpose(2, 3)) * d ** -0.5                      # [B, heads, T, T]
    i = torch.arange(t).view(-1, 1)
    j = torch.arange(t).view(1, -1)
    allowed = j <= i
    if cfg["layer_types"][layer] == "sliding_attention":
        allowed = allowed & (i - j < cfg["sliding_window"])            # itself and window-1 before it
    scores = scores.masked_fill(~allowed, float("-inf"))
    sinks = w[p + "sinks"].view(1, -1, 1, 1).expand(bsz, -1, t, 1)
    logits = torch.cat([scores, sinks], dim=-1)
    logits = logits - logits.max(dim=-1, keepdim=True).values
    probs = torch.softmax(logits, dim=-1)[..., :-1]
    out = (probs @ v).transpose(1, 2).reshape(bsz, t, heads * d)
    return out @ w[p + "o_proj.weight"].T + w[p + "o_proj.bias"]


def sigmoid_bf16(v):
    """bf16 sigmoid as PyTorch 2.x computes it on CPU: in fp32 (here float64), rounded once. (torch 1.13's own bf16
    sigmoid is less accurate, so this script never runs bf16 kernels: it rounds fp32 values with bf16().)"""
    return bf16((1.0 / (1.0 + torch.exp(-v.double()))).float())


def experts(x, w, p, deq, cfg, arithmetic, exact_sums=False):
    """x [N, H] -> [N, H]: router, top-k softmax, clamped SwiGLU experts, weighted sum."""
    k, limit, alpha = cfg["num_experts_per_tok"], 7.0, 1.702
    logits = x @ w[p + "router.weight"].T + w[p + "router.bias"]      # [N, E]
    top, index = torch.topk(logits, k, dim=-1)
    weights = torch.softmax(top, dim=-1)                               # [N, k]
    gate_up = deq[p + "experts.gate_up_proj"][index]                   # [N, k, H, 2I]
    down = deq[p + "experts.down_proj"][index]                         # [N, k, I, H]
    gub = w[p + "experts.gate_up_proj_bias"][index]                    # [N, k, 2I]
    db = w[p + "experts.down_proj_bias"][index]                        # [N, k, H]

    def gemm(spec, a, b):
        # fp32 sums of exact products (bf16 x bf16), in torch's order, or exactly (float64) with exact_sums
        return torch.einsum(spec, a.double(), b.double()).float() if exact_sums else torch.einsum(spec, a, b)

    if arithmetic == "fp32":
        gu = gemm("nh,nkhi->nki", x, gate_up) + gub
        gate, up = gu[..., 0::2].clamp(max=limit), gu[..., 1::2].clamp(-limit, limit)
        glu = (up + 1) * (gate * torch.sigmoid(gate * alpha))
        y = gemm("nki,nkih->nkh", glu, down) + db
    else:
        # every value below is a bf16; each op rounds its fp32 result once, as a bf16 tensor op does
        gu = bf16(bf16(gemm("nh,nkhi->nki", bf16(x), gate_up)) + gub)  # bf16 GEMM output, + bf16 bias
        gate, up = gu[..., 0::2].clamp(max=limit), gu[..., 1::2].clamp(-limit, limit)
        glu = bf16(bf16(up + 1) * bf16(gate * sigmoid_bf16(bf16(gate * alpha))))
        y = bf16(bf16(gemm("nki,nkih->nkh", glu, down)) + db)          # bf16 GEMM output, + bf16 bias
    return (y * weights.unsqueeze(-1)).sum(dim=1)                     # fp32: routing weights are fp32


def forward(w, deq, cfg, ids, arithmetic, exact_sums=False):
    bsz, t = ids.shape
    eps = cfg["rms_norm_eps"]
    inv, scale = yarn(cfg, cfg["head_dim"])
    angles = torch.arange(t, dtype=torch.float32).view(-1, 1) * inv.view(1, -1)
    cos, sin = torch.cos(angles) * scale, torch.sin(angles) * scale
    x = w["model.embed_tokens.weight"][ids]
    for layer in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{layer}."
        x = x + attention(rms_norm(x, w[p + "input_layernorm.weight"], eps), w, p + "self_attn.", cfg, layer, cos, sin)
        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        x = x + experts(h.reshape(-1, h.shape[-1]), w, p + "mlp.", deq, cfg, arithmetic, exact_sums).view_as(h)
    x = rms_norm(x, w["model.norm.weight"], eps)
    return x @ w["lm_head.weight"].T


def main():
    torch.set_num_threads(1)
    cfg = json.load(open(os.path.join(FIXTURE, "config.json")))
    w = read_safetensors(os.path.join(FIXTURE, "model.safetensors"))
    ref = read_safetensors(os.path.join(FIXTURE, "reference.safetensors"))
    deq = {}
    for layer in range(cfg["num_hidden_layers"]):
        for proj in ("gate_up_proj", "down_proj"):
            key = f"model.layers.{layer}.mlp.experts.{proj}"
            deq[key] = dequantise(w[key + "_blocks"], w[key + "_scales"])
            same = torch.equal(deq[key], ref["dequantized." + key])
            print(f"{key}: dequantised {'equals' if same else 'DIFFERS FROM'} transformers' dequantized tensor")
    with torch.no_grad():
        for arithmetic, exact_sums in (("fp32", False), ("bf16", False), ("bf16", True)):
            logits = forward(w, deq, cfg, ref["input_ids"], arithmetic, exact_sums)
            err = (logits - ref["logits"]).abs().max().item()
            sums = "exact GEMM sums" if exact_sums else "fp32 GEMM sums in torch's order"
            print(f"expert arithmetic {arithmetic} ({sums}): max |logit - transformers| = {err:.3e}")


if __name__ == "__main__":
    main()
