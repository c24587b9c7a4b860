// Small DOM helpers. Text goes in through textContent only, never as HTML.
import {ApiError} from "./api.js";

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function notice(text) {
  $("#error").hidden = true;
  $("#notice").textContent = text;
}

// The API's envelope says what went wrong; the person reads its message.
export function fail(error) {
  const box = $("#error");
  box.textContent = error instanceof ApiError
    ? (error.status === 0 ? "You are offline, or the server did not answer." : error.message)
    : String(error && error.message || error);
  box.hidden = false;
  $("#notice").textContent = "";
}

export function facts(list, pairs) {
  list.replaceChildren(...pairs.filter(([, value]) => value !== null && value !== undefined && value !== "")
    .flatMap(([term, value]) => [el("dt", {}, term), el("dd", {}, String(value))]));
}

// Runs a form's action with its button disabled, showing any refusal.
export function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = $("button[type=submit]", form) || $("button", form);
    if (button) button.disabled = true;
    try { await action(new FormData(form)); } catch (error) { fail(error); } finally { if (button) button.disabled = false; }
  });
}

export function showTab(name) {
  for (const button of $$("#tabs button")) {
    if (button.dataset.tab === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const section of $$("section.tab")) section.hidden = section.id !== name;
  document.dispatchEvent(new CustomEvent("tab", {detail: name}));
}
