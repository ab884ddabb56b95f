"""Whole-answer check of chosen cells: share of eval prompts whose greedy answer is exactly behaviour 1's / 2's
answer, unsteered, under the authors plan and under its random control (same seeds as study.py), plus 3 examples.

    /usr/bin/python3 whole_answers.py MODEL DATA STUDY_OUT BEHAVIOUR 0/12,-2/8   (-N/M: toward behaviour 2)
"""
import csv, os, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch
from mixtral import EOS, WordTokenizer, apply_chat_template, greedy, load_checkpoint
from study import authors_plan, random_plan, read_jsonl, full_greedy_eval
model_dir, data, study_dir, beh = sys.argv[1:5]
cells = sys.argv[5].split(',')
torch.set_num_threads(1)
model = load_checkpoint(model_dir); tok = WordTokenizer.load(os.path.join(model_dir, 'tokenizer.json'))
L, E, k = model.cfg.num_hidden_layers, model.cfg.num_local_experts, model.cfg.num_experts_per_tok
rd = torch.zeros(L, E, dtype=torch.float64)
for r in csv.DictReader(open(os.path.join(study_dir, f'{beh}.counts.csv'))):
    rd[int(r['layer']), int(r['expert'])] = float(r['risk_diff'])
rows = read_jsonl(os.path.join(data, f'{beh}.eval.jsonl'))
def run(name, plan):
    model.set_plan(plan)
    m = full_greedy_eval(model, tok, rows)
    ex = []
    for row in rows[:3]:
        out = greedy(model, tok.encode(apply_chat_template(row['messages'], True)), max_new=50)
        ex.append(row['messages'][0]['content'] + ' -> ' + tok.decode([i for i in out if i != EOS]))
    model.set_plan(None)
    print(f'{beh} {name}: exact_1 {m["exact_1"]:.2f} exact_2 {m["exact_2"]:.2f} neither {1-m["exact_1"]-m["exact_2"]:.2f}')
    for e in ex: print('     ', e)
run('unsteered', None)
for cell in cells:
    rev = cell.startswith('-'); na, nd = (int(x) for x in cell.lstrip('-').split('/'))
    plan, _ = authors_plan(rd, na, nd, rev, k)
    run(f'toward {"2" if rev else "1"} {na}/{nd}', plan)
    seed = 5 * 1000 + na * 10 + nd + (500 if rev else 0)
    run(f'random {na}/{nd} ({"2" if rev else "1"})', random_plan(plan, L, E, k, seed))
