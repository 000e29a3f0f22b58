// Service worker of the TAGANA field app (scope /lapangan/).
// - The app shell (page, JS, CSS, manifest, icons) is precached and served from the cache at once,
//   refreshed in the background (stale-while-revalidate), so the app opens with no network at all.
// - /api: network first. Only GETs of reference data (regions, items, standards, events, shelters)
//   fall back to a cached copy; persons and households are never stored here. Writes (POST, PATCH…)
//   are never touched: they go straight to the network and are never cached.

const VERSION = "2026-12-09.3";
const SHELL_CACHE = `posko-lapangan-shell-${VERSION}`;
const API_CACHE = "posko-lapangan-api-v1";
const SHELL = [
  "/lapangan/",
  "/lapangan/manifest.webmanifest",
  "/static/lapangan/app.css",
  "/static/lapangan/app.js",
  "/static/lapangan/api.js",
  "/static/lapangan/store.js",
  "/static/lapangan/sync.js",
  "/static/lapangan/nik.js",
  "/static/lapangan/match.js",
  "/static/lapangan/tracing.js",
  "/static/lapangan/i18n.js",
  "/static/lapangan/stok.js",
  "/static/lapangan/icon.svg",
  "/static/lapangan/icon-192.png",
  "/static/lapangan/icon-512.png",
];
const CACHEABLE_API = /^\/api\/v1\/(regions|items|standards|events(\/[^/]+(\/shelters)?)?)$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL_CACHE);
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith("posko-lapangan-shell-") && key !== SHELL_CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

function shellKey(url) {
  if (url.pathname === "/lapangan" || url.pathname === "/lapangan/" || url.pathname === "/lapangan/index.html") {
    return "/lapangan/";
  }
  if (SHELL.includes(url.pathname)) return url.pathname;
  return null;
}

async function staleWhileRevalidate(event, key) {
  const cache = await caches.open(SHELL_CACHE);
  const cached = await cache.match(key, { ignoreSearch: true });
  const refresh = fetch(new Request(key, { cache: "no-cache", credentials: "same-origin" }))
    .then((res) => {
      if (res.ok) return cache.put(key, res.clone()).then(() => res);
      return res;
    })
    .catch(() => null);
  if (cached) {
    event.waitUntil(refresh);
    return cached;
  }
  return (await refresh) || new Response("Offline", { status: 503, headers: { "Content-Type": "text/plain" } });
}

async function networkFirst(event, url) {
  const cacheable = CACHEABLE_API.test(url.pathname);
  try {
    const res = await fetch(event.request);
    if (cacheable && res.ok) {
      const copy = res.clone();
      event.waitUntil(caches.open(API_CACHE).then((c) => c.put(event.request, copy)));
    }
    return res;
  } catch (err) {
    if (cacheable) {
      const cached = await (await caches.open(API_CACHE)).match(event.request);
      if (cached) return cached;
    }
    return new Response(JSON.stringify({ detail: "luring (offline)", offline: true }),
                        { status: 503, headers: { "Content-Type": "application/json" } });
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return; // writes: network only, never cached
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/")) {
    if (url.pathname.endsWith("/live")) return;
    event.respondWith(networkFirst(event, url));
    return;
  }
  const key = request.mode === "navigate" ? shellKey(url) : (SHELL.includes(url.pathname) ? url.pathname : null);
  if (key) event.respondWith(staleWhileRevalidate(event, key));
});
