"""Reference fixtures from Hugging Face transformers for tiny random MoE models.

Copied from shared/fixtures/make_fixtures.py (which made tests/fixtures/hf-parity), with one addition: the
dense "llama" entry (LlamaForCausalLM, tied embeddings, llama3 rope), for the Llama-Guard judges. Not yet
run: it needs torch + transformers (a device session); see README.md beside it.

For each architecture: a tiny random model saved in hub checkpoint format (bf16
safetensors + config.json) and reference.safetensors holding, computed in fp32
from the bf16-rounded weights:
  input_ids [B,T] int64; logits [B,T,V]; router_logits.L{i} [B*T,E];
  topk_index.L{i} [B*T,k] int64; and the same under a SteerMoE steering mask
  (steered.*), plus greedy continuations (gen.plain / gen.steered).
steering.json records the mask: {"layer": {"activate": [...], "deactivate": [...]}}.
"""
import json, os, sys, math, shutil
import torch, transformers
from safetensors.torch import save_file, load_file
import torch.nn.functional as F

OUT = os.environ.get("OUT", "/tmp/out")
ROOT = os.path.join("/tmp", os.environ.get("FX_NAME", "fixtures"))
SEED = int(os.environ.get("FX_SEED", "1234")); NE = int(os.environ.get("FX_E", "8")); NL = int(os.environ.get("FX_L", "3")); NT = int(os.environ.get("FX_T", "24")); NB = int(os.environ.get("FX_B", "2"))
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

common = dict(vocab_size=384, hidden_size=64, num_hidden_layers=NL, num_attention_heads=4,
              num_key_value_heads=2, max_position_embeddings=256, tie_word_embeddings=False)
ARCHS = {
  "olmoe": ("OlmoeConfig", dict(intermediate_size=32, num_experts=NE, num_experts_per_tok=4, norm_topk_prob=False)),
  "mixtral": ("MixtralConfig", dict(intermediate_size=48, num_local_experts=NE, num_experts_per_tok=2, sliding_window=None)),
  "qwen2_moe": ("Qwen2MoeConfig", dict(intermediate_size=64, moe_intermediate_size=32, shared_expert_intermediate_size=48, num_experts=NE, num_experts_per_tok=2, norm_topk_prob=False, decoder_sparse_step=1, mlp_only_layers=[], use_sliding_window=False)),
  "qwen3_moe": ("Qwen3MoeConfig", dict(intermediate_size=64, moe_intermediate_size=32, num_experts=NE, num_experts_per_tok=2, norm_topk_prob=True, head_dim=16, decoder_sparse_step=1, mlp_only_layers=[], use_sliding_window=False)),
  "phimoe": ("PhimoeConfig", dict(intermediate_size=48, num_local_experts=NE, num_experts_per_tok=2, sliding_window=None)),
  # Dense Llama (Llama-3.2-1B / Llama-Guard-3-1B style): no routers, so no router_logits / topk_index / steered.*;
  # tied lm_head (the hub checkpoint stores none); llama3 rope with the real values. head_dim 16 over theta 5e5 puts
  # frequencies 0-3 in the kept regime, 4 in the smoothed one and 5-7 in the divided one.
  "llama": ("LlamaConfig", dict(intermediate_size=96, head_dim=16, tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
            max_position_embeddings=131072, rope_theta=500000.0, rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
            "high_freq_factor": 4.0, "original_max_position_embeddings": 8192})),
  "gpt_oss": ("GptOssConfig", dict(intermediate_size=32, num_local_experts=NE, num_experts_per_tok=2, head_dim=16, sliding_window=8, layer_types=(["sliding_attention","full_attention"]*8)[:NL], rope_scaling={"rope_type":"yarn","factor":4.0,"beta_fast":32.0,"beta_slow":1.0,"truncate":False,"original_max_position_embeddings":64})),
}
DENSE = {"llama"}  # no MoE layers: plain logits and greedy generation only
STEER = json.loads(os.environ.get("FX_STEER", '{"0": {"activate": [3], "deactivate": [5, 6]}, "1": {"activate": [], "deactivate": [0]}, "2": {"activate": [1], "deactivate": []}}'))

def steer_transform(z, layer):
    s = torch.log_softmax(z.float(), dim=-1)
    m = STEER.get(str(layer))
    if m:
        mx = s.max(dim=-1, keepdim=True).values; mn = s.min(dim=-1, keepdim=True).values
        for e in m["activate"]: s[:, e] = mx[:, 0] + 0.01
        for e in m["deactivate"]: s[:, e] = mn[:, 0] - 0.01
    return s.to(z.dtype)

def routers(model):
    rs = []
    for name, mod in model.named_modules():
        if type(mod).__name__.endswith(("TopKRouter",)):
            rs.append((name, mod))
    return rs

class Capture:
    def __init__(self, model, steer):
        self.rs = routers(model); self.steer = steer; self.logits = {}; self.idx = {}
        self.wid = {id(m.weight): i for i, (_, m) in enumerate(self.rs)}
        self.orig = F.linear
    def __enter__(self):
        cap = self
        def lin(x, w, b=None):
            y = cap.orig(x, w, b)
            i = cap.wid.get(id(w))
            if i is not None:
                cap.logits.setdefault(i, []).append(y.detach().float().reshape(-1, y.shape[-1]).cpu())
                if cap.steer: y = steer_transform(y, i)
            return y
        torch.nn.functional.linear = lin; F.linear = lin
        self.hooks = [m.register_forward_hook(lambda mod, inp, out, i=i: self.idx.setdefault(i, []).append(out[-1].detach().cpu().reshape(-1, out[-1].shape[-1])))
                      for i, (_, m) in enumerate(self.rs)]
        return self
    def __exit__(self, *a):
        torch.nn.functional.linear = self.orig; F.linear = self.orig
        for h in self.hooks: h.remove()

HUB_NAMES = {  # per-expert names used by hub checkpoints
  "mixtral": ("block_sparse_moe", "w1", "w3", "w2"),
  "phimoe": ("block_sparse_moe", "w1", "w3", "w2"),
}

def to_hub_format(arch, sd, cfg):
    """Rewrite fused expert tensors into the per-expert layout of hub checkpoints."""
    out = {}
    for k, v in sd.items():
        if arch != "gpt_oss" and k.endswith("experts.gate_up_proj"):
            pre = k[: -len("experts.gate_up_proj")]
            E, twoI, H = v.shape; I = twoI // 2
            blk, g, u, d = HUB_NAMES.get(arch, ("mlp", "gate_proj", "up_proj", "down_proj"))
            pre2 = pre.replace("mlp.", blk + ".") if blk != "mlp" else pre
            for e in range(E):
                out[f"{pre2}experts.{e}.{g}.weight"] = v[e, :I].contiguous()
                out[f"{pre2}experts.{e}.{u}.weight"] = v[e, I:].contiguous()
            continue
        if arch != "gpt_oss" and k.endswith("experts.down_proj"):
            pre = k[: -len("experts.down_proj")]
            blk, g, u, d = HUB_NAMES.get(arch, ("mlp", "gate_proj", "up_proj", "down_proj"))
            pre2 = pre.replace("mlp.", blk + ".") if blk != "mlp" else pre
            for e in range(v.shape[0]):
                out[f"{pre2}experts.{e}.{d}.weight"] = v[e].contiguous()
            continue
        if arch in HUB_NAMES and ".mlp.gate.weight" in k:
            out[k.replace(".mlp.gate.", ".block_sparse_moe.gate.")] = v; continue
        if arch == "phimoe" and ".mlp.router.weight" in k:
            out[k.replace(".mlp.router.", ".block_sparse_moe.gate.")] = v; continue
        out[k] = v
    return out

def run_arch(arch, dev):
    cname, extra = ARCHS[arch]
    cfg = getattr(transformers, cname)(**{**common, **extra})
    if arch == "llama":  # fail loudly if this transformers version dropped the llama3 rope or the tie
        rp = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None)
        assert rp and rp.get("rope_type") == "llama3" and rp.get("factor") == 32.0, rp
        assert cfg.tie_word_embeddings
    torch.manual_seed(SEED)
    model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.float32)
    with torch.no_grad():
        for n, p in model.named_parameters():
            std = 0.5 if ("router" in n or ".gate.weight" in n or n.endswith("gate.weight")) else 0.08
            if p.dim() == 1 and ("norm" in n or "layernorm" in n): p.copy_(1.0 + 0.1 * torch.randn_like(p))
            elif "sinks" in n: p.copy_(0.5 * torch.randn_like(p))
            else: p.normal_(0.0, std)
        for p in model.parameters(): p.copy_(p.to(torch.bfloat16).to(torch.float32))
    model.to(dev).eval()
    d = os.path.join(ROOT, arch); os.makedirs(d, exist_ok=True)
    g = torch.Generator().manual_seed(SEED + 7)
    ids = torch.randint(3, cfg.vocab_size, (NB, NT), generator=g).to(dev)
    ref = {"input_ids": ids.cpu()}
    for tag, steer in ((("", False),) if arch in DENSE else (("", False), ("steered.", True))):
        with torch.no_grad(), Capture(model, steer) as cap:
            out = model(input_ids=ids, use_cache=False)
        ref[tag + "logits"] = out.logits.float().cpu()
        for i in sorted(cap.logits):
            ref[f"{tag}router_logits.L{i}"] = cap.logits[i][0]
            ref[f"{tag}topk_index.L{i}"] = cap.idx[i][0].long()
        with torch.no_grad(), Capture(model, steer):
            gen = model.generate(input_ids=ids[:1, :10], max_new_tokens=12, do_sample=False, pad_token_id=0)
        ref[("gen.steered" if steer else "gen.plain")] = gen.cpu()
    # top-k margin: smallest gap between k-th and (k+1)-th router logit (unsteered)
    k = getattr(cfg, "num_experts_per_tok", 0)
    margins = []
    for i in (range(cfg.num_hidden_layers) if arch not in DENSE else ()):
        z = ref[f"router_logits.L{i}"].sort(dim=-1, descending=True).values
        margins.append(float((z[:, k-1] - z[:, k]).min()))
    save_file({k_: v.contiguous() for k_, v in ref.items()}, os.path.join(d, "reference.safetensors"))
    sd = {k_: v.detach().to(torch.bfloat16).cpu().contiguous() for k_, v in model.state_dict().items()}
    raw_keys = sorted(sd)
    if cfg.tie_word_embeddings: sd.pop("lm_head.weight", None)  # hub checkpoints of tied models store embed_tokens only
    hub = to_hub_format(arch, sd, cfg)
    save_file(hub, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    cfg.save_pretrained(d)
    if arch not in DENSE: json.dump(STEER, open(os.path.join(d, "steering.json"), "w"), indent=1)
    # round trip: HF must load the hub-format file and reproduce the logits
    m2 = transformers.AutoModelForCausalLM.from_pretrained(d, dtype=torch.float32).to(dev).eval()
    with torch.no_grad(): l2 = m2(input_ids=ids, use_cache=False).logits.float().cpu()
    err = float((l2 - ref["logits"]).abs().max())
    info = dict(arch=arch, params=sum(p.numel() for p in model.parameters()), min_topk_margin=margins,
                roundtrip_max_abs_err=err, keys_module=raw_keys[:12], keys_saved=sorted(hub)[:40],
                gen_plain=ref["gen.plain"].tolist(), gen_steered=ref.get("gen.steered", torch.zeros(0)).tolist(),
                steer_changed_topk=0 if arch in DENSE else int(sum((ref[f"topk_index.L{i}"].sort(-1).values != ref[f"steered.topk_index.L{i}"].sort(-1).values).any(-1).sum() for i in range(cfg.num_hidden_layers))))
    print(json.dumps(info)[:3000]); sys.stdout.flush()
    return info

if __name__ == "__main__":
    dev = "cuda" if torch.cuda.is_available() else "cpu"
    print("transformers", transformers.__version__, "torch", torch.__version__, dev)
    infos = []
    for a in (sys.argv[1:] or ARCHS):
        try: infos.append(run_arch(a, dev))
        except Exception as e:
            import traceback; traceback.print_exc(); infos.append({"arch": a, "error": repr(e)})
    json.dump(infos, open(os.path.join(ROOT, "summary.json"), "w"), indent=1)
    shutil.make_archive(os.path.join(OUT, "fixtures"), "gztar", ROOT)
    print("archive", os.path.getsize(os.path.join(OUT, "fixtures.tar.gz")))
