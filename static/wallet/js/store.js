// The registered device (its secret as a non-extractable CryptoKey) and the wallet list, in
// IndexedDB, so the payment code can be shown with no network and no sign-in.
const DB = "wallet", STORE = "kv";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const request = action(db.transaction(STORE, mode).objectStore(STORE));
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export const load = (name) => run("readonly", (store) => store.get(name));
export const save = (name, value) => run("readwrite", (store) => store.put(value, name));
export const remove = (name) => run("readwrite", (store) => store.delete(name));
export const clear = () => run("readwrite", (store) => store.clear());
