// Resolve "#/components/schemas/X" references so each operation shows its own shapes.
function resolve(doc, node, depth) {
  if (!node || typeof node !== "object" || depth > 6) return node;
  if (node.$ref) return resolve(doc, node.$ref.split("/").slice(1).reduce((o, k) => o[k], doc), depth + 1);
  if (Array.isArray(node)) return node.map(n => resolve(doc, n, depth + 1));
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = resolve(doc, v, depth + 1);
  return out;
}
function block(title, value) {
  const pre = document.createElement("pre");
  pre.textContent = title + "\n" + JSON.stringify(value, null, 2);
  return pre;
}
fetch("/openapi.json").then(r => r.json()).then(doc => {
  const root = document.getElementById("ops");
  root.textContent = "";
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const d = document.createElement("details");
      const s = document.createElement("summary");
      s.innerHTML = `<span class="m ${method}">${method.toUpperCase()}</span>`;
      s.append(path + "  ", Object.assign(document.createElement("span"), {className: "muted", textContent: op.summary || ""}));
      d.append(s);
      if (op.description) d.append(Object.assign(document.createElement("p"), {textContent: op.description}));
      if (op.parameters) d.append(block("Parameters", op.parameters.map(p => ({name: p.name, in: p.in, required: !!p.required}))));
      if (op.requestBody) d.append(block("Request body", resolve(doc, op.requestBody.content["application/json"].schema, 0)));
      for (const [status, resp] of Object.entries(op.responses || {})) {
        const schema = resp.content && resp.content["application/json"] && resp.content["application/json"].schema;
        d.append(block("Response " + status, schema ? resolve(doc, schema, 0) : resp.description || ""));
      }
      root.append(d);
    }
  }
}).catch(err => { document.getElementById("ops").textContent = "Could not load /openapi.json: " + err; });
