// Webhook endpoints (create, disable/enable, rotate the secret, send a test event) and the
// delivery log with a retry per delivery that has not succeeded.
import * as api from "../../wallet/js/api.js";
import {$, el, notice, onSubmit} from "../../wallet/js/ui.js";
import {base} from "./state.js";
import {action, cells, showOnce, when} from "./dom.js";

// The subscribable events (app/merchant/events.py SUBSCRIBABLE); the API refuses any other.
const EVENTS = ["payment.succeeded", "payment.failed", "refund.succeeded", "order.paid", "order.expired",
  "order.canceled", "authorization.captured", "authorization.voided", "authorization.expired", "batch.closed"];

function endpointRow(w) {
  const change = w.status === "active" ? "disable" : "enable";
  return cells(w.url, w.events.join(", "), w.status, el("span", {},
    action(change === "disable" ? "Disable" : "Enable", w.url, async () => {
      await api.post(`${base()}/webhooks/${w.id}/${change}`);
      await reloadEndpoints();
    }),
    action("Rotate secret", w.url, async () => {
      const rotated = await api.post(`${base()}/webhooks/${w.id}/rotate-secret`);
      showOnce($("#webhook-secret"), `New secret for ${w.url} (the old one signs too until `
        + `${when(rotated.previous_secret_expires_at)})`, rotated.secret);
    }),
    action("Send a test event", w.url, async () => {
      await api.post(`${base()}/webhooks/${w.id}/test`);
      notice("Test event queued: it appears in the delivery log.");
      await reloadDeliveries();
    })));
}

function deliveryRow(d) {
  const last = d.last_status_code ? `HTTP ${d.last_status_code}` : (d.last_error || "");
  const retry = d.status === "succeeded" ? el("span") : action("Retry", `${d.event_type} ${d.id}`, async () => {
    await api.post(`${base()}/webhook-deliveries/${d.id}/retry`);
    notice("The delivery is due again now.");
    await reloadDeliveries();
  });
  return cells(when(d.created_at), d.event_type, d.status, d.attempts, last, retry);
}

export async function reloadEndpoints() {
  const list = await api.get(`${base()}/webhooks`);
  $("#webhook-table tbody").replaceChildren(...list.data.map(endpointRow));
}

export async function reloadDeliveries() {
  const page = await api.get(`${base()}/webhook-deliveries?limit=50`);
  $("#delivery-table tbody").replaceChildren(...page.data.map(deliveryRow));
}

export const reload = () => Promise.all([reloadEndpoints(), reloadDeliveries()]);

export function setup(fail) {
  $("#webhook-events").append(...EVENTS.map((type) => el("label", {},
    el("input", {type: "checkbox", name: "events", value: type}), type)));
  onSubmit($("#webhook-form"), async (form) => {
    const events = form.getAll("events");
    if (!events.length) throw new Error("Pick at least one event.");
    const made = await api.post(`${base()}/webhooks`, {url: form.get("url"), events});
    showOnce($("#webhook-secret"), `Signing secret for ${made.url}`, made.secret);
    $("#webhook-form").reset();
    await reloadEndpoints();
  });
  $("#deliveries-reload").addEventListener("click", () => reloadDeliveries().catch(fail));
}
