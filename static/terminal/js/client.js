// The terminal's side of the API: every request under /api/v1/pos signed (sign.js), money-moving
// POSTs with an Idempotency-Key, and the clock corrected by /pos/config's server_time (the server
// refuses timestamps more than 300 s away).
import {hmacKey, newNonce, signature} from "./sign.js";

const BASE = "/api/v1/pos";

export class TerminalError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {code: "network", message: "the server did not answer", details: {}};
    super(error.message);
    Object.assign(this, {status, code: error.code, details: error.details || {}});
  }
}

export class Terminal {
  constructor(terminalId, key) {
    Object.assign(this, {terminalId, key, skew: 0, offline: false});
  }

  static async connect(terminalId, secret) {
    const terminal = new Terminal(terminalId, await hmacKey(secret));
    const before = Math.floor(Date.now() / 1000);
    terminal.config = await terminal.get("/config");
    terminal.skew = terminal.config.server_time - before;
    return terminal;
  }

  now() { return Math.floor(Date.now() / 1000) + this.skew; }

  async request(method, path, {body, idempotencyKey, signal} = {}) {
    // The offline switch stands for a cut uplink: nothing leaves the till while it is on.
    if (this.offline) throw new TerminalError(0, {error: {code: "offline", message: "the till is offline", details: {}}});
    const target = BASE + path, text = body === undefined ? "" : JSON.stringify(body);
    const timestamp = String(this.now()), nonce = newNonce();
    const headers = {"X-Terminal-Id": this.terminalId, "X-Timestamp": timestamp, "X-Nonce": nonce,
      "X-Signature": await signature(this.key, method, target, timestamp, nonce, text)};
    if (text) headers["Content-Type"] = "application/json";
    if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
    let response;
    try {
      // The exact bytes signed are the bytes sent.
      response = await fetch(target, {method, headers, body: text || undefined, signal});
    } catch (error) {
      if (error.name === "AbortError") throw error;
      throw new TerminalError(0, null);
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) throw new TerminalError(response.status, data);
    return data;
  }

  get(path, options) { return this.request("GET", path, options); }

  // A new key per action; a retry of the same action would reuse it.
  post(path, body = {}, options = {}) {
    return this.request("POST", path, {body, idempotencyKey: crypto.randomUUID(), ...options});
  }

  // Long poll until the object leaves `waiting` statuses (the server answers the moment it changes).
  async waitWhile(path, statuses, signal) {
    for (;;) {
      let current;
      try {
        current = await this.get(`${path}?wait=25`, {signal});
      } catch (error) {
        if (error.code !== "too_many_waiters") throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000 * (error.details.retry_after || 1)));
        continue;
      }
      if (!statuses.includes(current.status)) return current;
    }
  }
}
