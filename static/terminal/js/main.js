// The terminal simulator at /terminal: connect with a terminal's id and secret, then a till and a
// vending machine on the signed POS API, and an offline switch (case 1 of "Offline terminals").
//
// The secret is kept in sessionStorage, nowhere else: it survives a reload of this tab (a till
// gets reloaded, and an offline till must still derive its keys after one) and dies with the tab;
// localStorage would leave it on the disk of a shared till for good, and a URL would put it in the
// history and in server logs. In use it is a non-extractable WebCrypto key.
import {Terminal} from "./client.js";
import {$, $$, fail, notice} from "./dom.js";
import {deriveKeys} from "./offline.js";
import {setupTill} from "./till.js";
import {setupVending} from "./vending.js";

const CREDENTIALS = "terminal.credentials";

function showTab(name) {
  for (const button of $$("#tabs button")) {
    if (button.dataset.tab === name) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const section of $$("section.tab")) section.hidden = section.id !== name;
}

async function start(terminalId, secret) {
  const terminal = await Terminal.connect(terminalId, secret);
  terminal.keys = await deriveKeys(secret);
  sessionStorage.setItem(CREDENTIALS, JSON.stringify({terminalId, secret}));
  $("#connect").hidden = true;
  for (const node of [$("#tabs"), $("#offline-box"), $("#disconnect")]) node.hidden = false;
  $("#who").textContent = `${terminal.config.label} (${terminal.config.kind}, ${terminal.config.currency})`;
  setupTill(terminal);
  setupVending(terminal);
  showTab(terminal.config.kind === "vending" ? "vending" : "till");
}

document.addEventListener("DOMContentLoaded", async () => {
  for (const button of $$("#tabs button")) button.addEventListener("click", () => showTab(button.dataset.tab));
  $("#disconnect").addEventListener("click", () => { sessionStorage.removeItem(CREDENTIALS); location.reload(); });
  $("#connect-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    try { await start(form.get("terminal_id").trim(), form.get("secret").trim()); notice("Connected."); } catch (error) { fail(error); }
  });
  const saved = JSON.parse(sessionStorage.getItem(CREDENTIALS) || "null");
  if (saved) {
    try { await start(saved.terminalId, saved.secret); return; } catch (error) { fail(error); }
  }
  $("#connect").hidden = false;
});
