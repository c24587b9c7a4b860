// The public JSON API with the signed-in person's tokens.
//
// The access token lives in memory only (a script-readable store would hand it to any injected
// script for 15 minutes). The refresh token is kept in sessionStorage: it survives a reload of
// this tab, dies with the tab, and is not sent with every request as a cookie would be (the API
// takes bearer tokens, not cookies, so a cookie would add CSRF exposure for nothing). Refreshing
// rotates it, and a stolen, already-rotated one ends the whole session (the API's theft check).
const REFRESH_KEY = "wallet.refresh";
const EARLY = 60; // seconds before expiry to refresh, so a request never carries a dead token

let access = null;
let timer = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {code: "network", message: "the server did not answer", details: {}};
    super(error.message);
    this.status = status;
    this.code = error.code;
    this.details = error.details || {};
  }
}

export function onSignedOut(listener) { listeners.add(listener); }
export function hasRefreshToken() { return sessionStorage.getItem(REFRESH_KEY) !== null; }

export async function request(method, path, {body, idempotencyKey, auth = true, raw = false, retried = false} = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (auth && access) headers["Authorization"] = `Bearer ${access}`;
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  } catch {
    throw new ApiError(0, null);
  }
  if (raw && response.ok) return response;
  const data = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    // The token ran out anyway (a sleeping phone or a background tab delays timers): refresh
    // once and send the request again; only then is the session over.
    if (response.status === 401 && auth && access && !retried && await refresh()) {
      return request(method, path, {body, idempotencyKey, auth, raw, retried: true});
    }
    if (response.status === 401 && auth && access) forget();
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, body, options = {}) => request("POST", path, {...options, body});

export function adopt(tokens) {
  access = tokens.access_token;
  sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
  clearTimeout(timer);
  timer = setTimeout(refresh, Math.max(5, tokens.expires_in - EARLY) * 1000);
}

// Requests that find the token dead at the same moment share one refresh: a second refresh with
// the same (by then rotated) refresh token would look like theft and end the whole session.
let refreshing = null;
export function refresh() {
  refreshing ||= rotate().finally(() => { refreshing = null; });
  return refreshing;
}

async function rotate() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) return false;
  try {
    adopt(await post("/auth/refresh", {refresh_token: token}, {auth: false}));
    return true;
  } catch (error) {
    if (error.status === 0) return false; // offline: keep the token and try when asked again
    forget();
    return false;
  }
}

export async function signOut() {
  try { await post("/auth/logout"); } catch { /* the session is gone already */ }
  forget();
}

function forget() {
  access = null;
  clearTimeout(timer);
  sessionStorage.removeItem(REFRESH_KEY);
  listeners.forEach((listener) => listener());
}

// A fresh key per payment; the same key is reused only when retrying that very request.
export const newKey = () => crypto.randomUUID();
