#!/usr/bin/python3
"""Renders the test chat templates over the test conversations with Python's jinja2 configured as transformers'
apply_chat_template configures it (reproduced here, transformers itself is not needed): an
ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks and the loopcontrols extension; a tojson filter
that is json.dumps(ensure_ascii=False, indent, separators, sort_keys); raise_exception raising TemplateError;
render(messages=..., tools=..., add_generation_prompt=..., <special tokens>, **variables).
Usage: /usr/bin/python3 render-templates.py OUT.json   (reads conversations.json beside this script)
"""
import json
import os
import sys

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

here = os.path.dirname(os.path.abspath(__file__))


def raise_exception(message):
    raise jinja2.exceptions.TemplateError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def environment():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env


def template_source(spec):
    src = spec["source"]
    if src.startswith("npm:"):
        package, _, path = src[4:].partition("/models/")
        with open(os.path.join(here, "node_modules", package, "models", path), encoding="utf-8") as f:
            return json.load(f)["chat_template"]
    with open(os.path.join(here, src), encoding="utf-8") as f:
        return f.read()


def render(env, source, spec, messages, tools, generation, variables):
    kwargs = {"bos_token": spec["bos_token"], "eos_token": spec["eos_token"]}
    kwargs.update(variables)
    try:
        return {"text": env.from_string(source).render(messages=messages, tools=tools, add_generation_prompt=generation, **kwargs)}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e)}


def main():
    with open(os.path.join(here, "conversations.json"), encoding="utf-8") as f:
        spec = json.load(f)
    env = environment()
    renders = []
    for name, template in spec["templates"].items():
        source = template_source(template)
        for conv in spec["conversations"]:
            for i, setting in enumerate(spec["settings"]):
                r = render(env, source, template, conv["messages"], conv.get("tools"), setting["add_generation_prompt"], setting["variables"])
                renders.append({"template": name, "conversation": conv["name"], "setting": i, **r})
    for err in spec["errors"]:
        template = spec["templates"][err["template"]]
        r = render(env, template_source(template), template, err["messages"], None, False, err.get("variables", {}))
        renders.append({"template": err["template"], "conversation": err["name"], "setting": -1, **r})
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "expected", "templates-jinja2.json")
    with open(out + ".tmp", "w", encoding="utf-8") as f:
        json.dump({"engine": f"jinja2 {jinja2.__version__}", "renders": renders}, f, ensure_ascii=False, indent=1)
    os.replace(out + ".tmp", out)
    print(f"{out}: {len(renders)} renders")


main()
