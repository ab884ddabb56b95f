"""Per-expert causal map: force one expert on (or off) at every position, measure d p(b1) and d greedy rate; print with RD.
Not the authors' method: a check of where single experts matter.

    /usr/bin/python3 expert_map.py MODEL DATA STUDY_OUT counting,safety
"""
import csv, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from mixtral import WordTokenizer, load_checkpoint
from study import read_jsonl, first_token_eval
model_dir, data, study_dir = sys.argv[1:4]
behs = sys.argv[4].split(',')
torch.set_num_threads(1)
model = load_checkpoint(model_dir); tok = WordTokenizer.load(os.path.join(model_dir, 'tokenizer.json'))
L, E = model.cfg.num_hidden_layers, model.cfg.num_local_experts
for b in behs:
    rd = {(int(r['layer']), int(r['expert'])): float(r['risk_diff']) for r in csv.DictReader(open(os.path.join(study_dir, f'{b}.counts.csv')))}
    rows = read_jsonl(os.path.join(data, f'{b}.eval.jsonl'))
    base = first_token_eval(model, tok, rows)
    print(f'== {b} base g1 {base["greedy_1"]:.2f} p1 {base["prob_1"]:.3f}')
    for l in range(L):
        line = []
        for e in range(E):
            out = []
            for on in (True, False):
                plan = {ll: ([], []) for ll in range(L)}
                plan[l][0 if on else 1].append(e)
                model.set_plan(plan); m = first_token_eval(model, tok, rows); model.set_plan(None)
                out.append(m['greedy_1'] - base['greedy_1'])
            line.append(f'E{e} rd{rd[(l,e)]:+.2f} on{out[0]:+.2f} off{out[1]:+.2f}')
        print(f'L{l}: ' + ' | '.join(line), flush=True)
