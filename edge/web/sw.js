// Natter service worker: offline app shell (network first, so a deploy shows at
// once), Web Push notifications, and focusing the app when one is clicked.

const CACHE = 'natter-shell-v2';
// Every file the page loads, the SDK's modules (served from sdk/ts/dist/) included.
const SHELL = [
  './',
  'index.html',
  'app.css',
  'manifest.webmanifest',
  'js/main.js',
  'js/store.js',
  'js/dom.js',
  'js/push.js',
  'js/media.js',
  '/sdk/index.js',
  '/sdk/client.js',
  '/sdk/cache.js',
  '/sdk/changes.js',
  '/sdk/emitter.js',
  '/sdk/errors.js',
  '/sdk/files.js',
  '/sdk/http.js',
  '/sdk/indexeddb.js',
  '/sdk/storage.js',
  '/sdk/types.js',
  'icons/icon.svg',
  'icons/icon-192.png',
  'icons/icon-512.png',
  'icons/icon-maskable-512.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .catch(() => {}) // installing must not fail because one file could not be cached
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  // The API and anything not ours go straight to the network.
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.startsWith('/v1/')) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy)).catch(() => {});
        }
        return res;
      })
      .catch(async () => {
        const hit = await caches.match(req, { ignoreSearch: true });
        if (hit) return hit;
        if (req.mode === 'navigate') {
          const shell = await caches.match('index.html');
          if (shell) return shell;
        }
        return new Response('offline', { status: 503, headers: { 'Content-Type': 'text/plain' } });
      }),
  );
});

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { body: event.data ? event.data.text() : '' };
  }
  const title = data.title || 'Natter';
  const options = {
    body: data.body || 'New message',
    icon: 'icons/icon-192.png',
    badge: 'icons/icon-192.png',
    tag: data.collapse_key || (data.channel ? `ch-${data.channel}` : 'natter'),
    renotify: true,
    data: { channel: data.channel ? String(data.channel) : null, seq: data.seq ?? null },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const channel = event.notification.data?.channel;
  const target = new URL(channel ? `./#/c/${channel}` : './', self.registration.scope).href;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      for (const client of windows) {
        if (new URL(client.url).origin === self.location.origin) {
          await client.focus();
          if (channel) client.postMessage({ type: 'open-channel', channel });
          return;
        }
      }
      await self.clients.openWindow(target);
    })(),
  );
});
