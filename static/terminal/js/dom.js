// Small DOM helpers. Text goes in through textContent only, never as HTML.
export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// A status line: "ok" green, "bad" red, else plain (the colour is never the only signal: the words say it).
export function say(selector, text, tone = "") {
  const node = $(selector);
  node.textContent = text;
  node.className = `status ${tone}`.trim();
}

export function notice(text) {
  $("#error").hidden = true;
  $("#notice").textContent = text;
}

export function fail(error) {
  const box = $("#error");
  box.textContent = error.status === 0 && error.code === "network"
    ? "The server did not answer." : String(error && error.message || error);
  box.hidden = false;
}

export function clearError() { $("#error").hidden = true; }

// Runs a form's action with its button disabled, showing any refusal (the API's own message).
export function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearError();
    const button = $("button[type=submit]", form);
    if (button) button.disabled = true;
    try { await action(new FormData(form)); } catch (error) { if (error.name !== "AbortError") fail(error); } finally {
      if (button) button.disabled = false;
    }
  });
}

export function facts(list, pairs) {
  list.replaceChildren(...pairs.flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, String(value))]));
}

// A receipt-style reference for the till's sales, printable ASCII as EMV tag 62/05 needs.
export const newReference = () => `R-${Date.now().toString(36).toUpperCase()}`;
