// The app shell, cached so the wallet opens (and shows the payment code) without the network.
// Network first: online, the person always gets the current files; the cache is the fallback.
// The API is never cached: balances, tokens and receipts must not outlive their answer.
const CACHE = "wallet-shell-v4"; // a new name when the shell changes: activate drops the old one
const SHELL = [
  "/", "/manifest.webmanifest", "/static/wallet/wallet.css", "/static/wallet/icon.svg",
  "/static/wallet/js/main.js", "/static/wallet/js/api.js", "/static/wallet/js/account.js",
  "/static/wallet/js/money.js", "/static/wallet/js/qr.js", "/static/wallet/js/scanner.js", "/static/wallet/js/store.js",
  "/static/wallet/js/totp.js", "/static/wallet/js/ui.js", "/static/wallet/js/views/code.js", "/static/wallet/js/views/devices.js",
  "/static/wallet/js/views/freezes.js",
  "/static/wallet/js/views/history.js", "/static/wallet/js/views/home.js", "/static/wallet/js/views/pay.js",
  "/static/wallet/js/views/purse.js", "/static/wallet/js/purse.js",
  "/static/wallet/js/views/settings.js", "/static/wallet/js/views/signin.js",
  "/static/wallet/vendor/qrcode-generator.mjs", "/static/wallet/vendor/jsQR.js",
];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith(fetch(event.request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(url.pathname, copy));
    }
    return response;
  }).catch(() => caches.match(url.pathname)));
});
