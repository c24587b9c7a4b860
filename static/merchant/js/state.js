// The chosen merchant and the signed-in person's role there (from GET /merchants).
//
// RIGHTS mirrors app/merchant/roles.py so the page does not offer what the role may not do; the
// API checks every request anyway (a 403 role_not_allowed), this only keeps the page honest.
export const RIGHTS = {
  read: ["owner", "manager", "cashier"],
  issue_qr: ["owner", "manager", "cashier"],
  terminals: ["owner", "manager"],
  webhooks: ["owner", "manager"],
  staff: ["owner", "manager"],
  api_keys: ["owner"],
  roles: ["owner"],
  limits: ["owner"],
};

export const state = {me: null, merchants: [], merchant: null};

export const may = (right) => Boolean(state.merchant) && (RIGHTS[right] || []).includes(state.merchant.role);
export const base = () => `/merchants/${state.merchant.id}`;

export function choose(id) {
  state.merchant = state.merchants.find((m) => m.id === id) || null;
}
