// Renders the test chat templates over the test conversations with @huggingface/jinja (the engine of
// transformers.js), with the same variables render-templates.py passes to Python's jinja2.
// Usage: node render-templates.mjs OUT.json   (reads conversations.json beside this script)
import { readFileSync, writeFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";

const here = dirname(fileURLToPath(import.meta.url));
const spec = JSON.parse(readFileSync(join(here, "conversations.json"), "utf8"));

function source(template) {
  if (template.source.startsWith("npm:")) {
    const [pkg, path] = template.source.slice(4).split("/models/");
    return JSON.parse(readFileSync(join(here, "node_modules", pkg, "models", path), "utf8")).chat_template;
  }
  return readFileSync(join(here, template.source), "utf8");
}

function render(text, template, messages, tools, generation, variables) {
  try {
    const t = new Template(text);
    const args = { messages, add_generation_prompt: generation, bos_token: template.bos_token, eos_token: template.eos_token,
      ...variables };
    if (tools) args.tools = tools;
    return { text: t.render(args) };
  } catch (e) {
    return { error: String(e.message ?? e) };
  }
}

const renders = [];
for (const [name, template] of Object.entries(spec.templates)) {
  if (template.jinja2_only) continue;
  const text = source(template);
  for (const conv of spec.conversations)
    spec.settings.forEach((setting, i) =>
      renders.push({ template: name, conversation: conv.name, setting: i, ...render(text, template, conv.messages, conv.tools, setting.add_generation_prompt, setting.variables) }));
}
for (const err of spec.errors) {
  const template = spec.templates[err.template];
  renders.push({ template: err.template, conversation: err.name, setting: -1, ...render(source(template), template, err.messages, null, false, err.variables ?? {}) });
}
const out = process.argv[2] ?? join(here, "expected", "templates-hfjinja.json");
writeFileSync(out + ".tmp", JSON.stringify({ engine: "@huggingface/jinja", renders }, null, 1));
renameSync(out + ".tmp", out);
console.log(`${out}: ${renders.length} renders`);
