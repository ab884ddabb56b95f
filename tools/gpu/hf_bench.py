#!/usr/bin/env python3
"""Hugging Face transformers baseline for `steermoe bench --device cuda --baseline`: the same make-random folder,
the same token counts, bf16, experts_implementation="grouped_mm", timed with torch.cuda.synchronize.

Prefill: B x T random ids (default 8 x 512), one forward without cache, logits of the last token only (as ours).
Decode: a T-token prompt per sequence, then S greedy steps with the KV cache, at batch 1 and 32; tokens/s = B*S/time.
Writes a JSON with prefill_tokens_per_s, decode_b1_tokens_per_s, decode_b32_tokens_per_s and the environment.

Usage: python3 hf_bench.py --model DIR --out hf.json [--prompt-tokens 512] [--batch 8] [--decode-steps 32] [--runs 3]
"""
import argparse
import json
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--prompt-tokens", type=int, default=512)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--decode-steps", type=int, default=32)
    ap.add_argument("--decode-batches", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--experts", default="grouped_mm", help="experts_implementation (grouped_mm or eager)")
    a = ap.parse_args()

    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    if not torch.cuda.is_available():
        sys.exit("hf_bench.py: torch sees no CUDA device")
    try:
        model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.bfloat16, experts_implementation=a.experts).cuda().eval()
    except TypeError as e:
        sys.exit(f"hf_bench.py: transformers {transformers.__version__} does not take experts_implementation= ({e}); need a version with grouped_mm experts")
    vocab = model.config.vocab_size
    gen = torch.Generator(device="cuda").manual_seed(0)

    def ids(b, t):
        return torch.randint(0, vocab, (b, t), device="cuda", generator=gen)

    def timed(fn):
        fn()  # warm-up
        times = []
        for _ in range(a.runs):
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            fn()
            torch.cuda.synchronize()
            times.append(time.perf_counter() - t0)
        return statistics.median(times)

    result = {
        "label": f"HF transformers {transformers.__version__}, torch {torch.__version__}, experts_implementation={a.experts}, "
                 f"bf16, {torch.cuda.get_device_name(0)}",
        "model": a.model, "prompt_tokens": a.prompt_tokens, "batch": a.batch, "decode_steps": a.decode_steps,
    }
    with torch.no_grad():
        x = ids(a.batch, a.prompt_tokens)
        s = timed(lambda: model(x, use_cache=False, logits_to_keep=1))
        result["prefill_seconds"] = s
        result["prefill_tokens_per_s"] = a.batch * a.prompt_tokens / s
        print(f"prefill {a.batch} x {a.prompt_tokens}: {result['prefill_tokens_per_s']:.0f} tokens/s", file=sys.stderr)
        for b in a.decode_batches:
            prompt = ids(b, a.prompt_tokens)

            def decode():
                out = model(prompt, use_cache=True, logits_to_keep=1)
                past, nxt = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                for _ in range(a.decode_steps):
                    out = model(nxt, past_key_values=past, use_cache=True)
                    past, nxt = out.past_key_values, out.logits[:, -1].argmax(-1, keepdim=True)
                torch.cuda.synchronize()
                return time.perf_counter() - t0

            decode()
            s = statistics.median([decode() for _ in range(a.runs)])
            result[f"decode_b{b}_seconds"] = s
            result[f"decode_b{b}_tokens_per_s"] = b * a.decode_steps / s
            print(f"decode batch {b}: {result[f'decode_b{b}_tokens_per_s']:.1f} tokens/s", file=sys.stderr)
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
