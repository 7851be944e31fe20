// The API reference page: /openapi.json rendered as plain HTML (Swagger UI would need a CDN).
import { api, clear, el, say } from "./common.js";

function schemaText(schema = {}) {
  if (schema.anyOf) return schema.anyOf.map(schemaText).join(" | ");
  if (schema.enum) return schema.enum.filter((v) => v !== "").join(" | ");
  const bounds = [];
  if (schema.minimum !== undefined) bounds.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) bounds.push(`≤ ${schema.maximum}`);
  if (schema.maxLength !== undefined) bounds.push(`≤ ${schema.maxLength} chars`);
  const base = schema.type || "";
  return bounds.length ? `${base} (${bounds.join(", ")})` : base;
}

function parameters(op) {
  const params = op.parameters || [];
  if (!params.length) return null;
  return el("table", {},
    el("thead", {}, el("tr", {}, ["name", "in", "type", "default", "description"].map((h) => el("th", { scope: "col" }, h)))),
    el("tbody", {}, params.map((p) => el("tr", {},
      el("td", {}, el("code", {}, p.name)),
      el("td", {}, p.in),
      el("td", {}, schemaText(p.schema)),
      el("td", {}, p.schema && p.schema.default !== undefined && p.schema.default !== "" ? String(p.schema.default) : ""),
      el("td", {}, p.description || "")))));
}

function endpoint(path, method, op) {
  const codes = Object.entries(op.responses || {}).map(([code, r]) => `${code} ${r.description || ""}`);
  return el("section", { class: "endpoint" },
    el("h2", {}, el("span", { class: "method" }, method.toUpperCase()), path),
    el("p", {}, el("strong", {}, op.summary || "")),
    op.description ? el("p", {}, op.description.replace(/``/g, "")) : null,
    parameters(op),
    el("p", { class: "muted" }, `Responses: ${codes.join(" · ")}`));
}

async function main() {
  const node = document.getElementById("endpoints");
  const status = document.getElementById("status");
  try {
    const spec = await api("/openapi.json");
    clear(node);
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) node.append(endpoint(path, method, op));
    }
  } catch (err) {
    say(status, err.message, true);
  }
}

main();
