// What the till keeps across reloads, per terminal, in localStorage (the simulator's "disk"):
// the next sequence number, the outage's start and the queue of offline sales. localStorage
// writes are synchronous, so the sequence number is stored before the code is shown (as firmware
// fsyncs it): no two codes of this terminal in this browser ever share one. The queue is
// localStorage rather than sessionStorage so that sales survive closing the tab until upload;
// it holds no secret (confirmations are useless without the matching paid code).
const key = (terminalId, name) => `terminal.${terminalId}.${name}`;
const read = (terminalId, name, fallback) => JSON.parse(localStorage.getItem(key(terminalId, name)) ?? JSON.stringify(fallback));
const write = (terminalId, name, value) => localStorage.setItem(key(terminalId, name), JSON.stringify(value));

export function takeSeq(terminalId) {
  const seq = read(terminalId, "seq", 1);
  write(terminalId, "seq", seq + 1);
  return seq;
}

export const queued = (terminalId) => read(terminalId, "queue", []);
export const rejected = (terminalId) => read(terminalId, "rejected", []);

export function enqueue(terminalId, record) {
  write(terminalId, "queue", [...queued(terminalId), record]);
}

// A queued record's identity: a case-1 sale by its sequence number, a purse payment (case 3) by
// its purse and counter. Purse records also keep their amount and outage for the limits, which
// the upload leaves out (the server takes exactly {kind, certificate, token}).
export const recordKey = (record) => record.kind === "purse" ? `purse:${record.token.purse_id}#${record.token.counter}` : `seq:${record.seq}`;
export const toUpload = (record) => record.kind === "purse"
  ? {kind: "purse", certificate: record.certificate, token: record.token} : record;

// After an upload: what the server has (posted or duplicate) leaves the queue; what it refused
// moves to "rejected" for the operator, so it is not sent for ever.
export function settle(terminalId, sent, results) {
  const answered = new Set(results.map((result) => recordKey(sent[result.index])));
  const refused = results.filter((result) => result.status === "refused")
    .map((result) => ({...sent[result.index], reason: result.reason}));
  write(terminalId, "queue", queued(terminalId).filter((record) => !answered.has(recordKey(record))));
  write(terminalId, "rejected", [...rejected(terminalId), ...refused]);
}

export function offlineSince(terminalId) { return read(terminalId, "offline_since", null); }
export function setOfflineSince(terminalId, value) { write(terminalId, "offline_since", value); }
