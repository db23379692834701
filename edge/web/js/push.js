// Web Push: subscribe with the server's VAPID key and register the subscription
// as this device's push target (POST /v1/devices, platform "webpush"). `client` is
// the SDK's NatterClient.

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;
}

function b64urlToBytes(s) {
  const pad = '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob((s + pad).replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function bytesToB64url(buf) {
  const bytes = new Uint8Array(buf);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

async function serverKey(client) {
  try {
    const { public_key } = await client.webpushKey();
    return public_key;
  } catch (e) {
    if (e.code === 'not_found') return null;
    throw e;
  }
}

async function registration() {
  // `ready` never settles without a service worker: give up after a while.
  return Promise.race([
    navigator.serviceWorker.ready,
    new Promise((_, reject) => setTimeout(() => reject(new Error('The service worker is not running.')), 10000)),
  ]);
}

/** { state: unsupported | unconfigured | denied | on | off, text } */
export async function pushState(client, deviceId) {
  if (!pushSupported()) return { state: 'unsupported', text: 'This browser does not support push notifications.' };
  if (Notification.permission === 'denied') {
    return { state: 'denied', text: 'Notifications are blocked for this site. Allow them in the browser settings.' };
  }
  const key = await serverKey(client);
  if (!key) return { state: 'unconfigured', text: 'This server does not send Web Push notifications.' };
  let registered = false;
  try {
    const { devices } = await client.listDevices();
    registered = devices.some((d) => d.device_id === deviceId && d.push?.platform === 'webpush');
  } catch {
    registered = false;
  }
  if (registered && Notification.permission === 'granted') {
    return { state: 'on', text: 'Notifications are on for this browser when you are offline.' };
  }
  return { state: 'off', text: 'Get notified of new messages when Natter is closed.' };
}

/** Asks permission, subscribes and registers this device. Throws with a message for people. */
export async function enablePush(client, deviceId) {
  if (!pushSupported()) throw new Error('This browser does not support push notifications.');
  const key = await serverKey(client);
  if (!key) throw new Error('This server does not send Web Push notifications.');
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error('Notifications were not allowed.');
  const reg = await registration();
  let sub = await reg.pushManager.getSubscription();
  const want = b64urlToBytes(key);
  if (sub) {
    const have = sub.options?.applicationServerKey;
    if (have && bytesToB64url(have) !== bytesToB64url(want)) {
      await sub.unsubscribe();
      sub = null;
    }
  }
  if (!sub) {
    try {
      sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: want });
    } catch (e) {
      throw new Error(`The browser's push service refused: ${e.message || e}`);
    }
  }
  const json = sub.toJSON();
  const p256dh = json.keys?.p256dh || bytesToB64url(sub.getKey('p256dh'));
  const auth = json.keys?.auth || bytesToB64url(sub.getKey('auth'));
  await client.registerPush({ device_id: deviceId, platform: 'webpush', token: sub.endpoint, p256dh, auth });
}

/** Removes this device's push target and the browser subscription. */
export async function disablePush(client, deviceId) {
  try {
    await client.unregisterPush(deviceId);
  } finally {
    if (pushSupported()) {
      const reg = await navigator.serviceWorker.getRegistration();
      const sub = await reg?.pushManager.getSubscription();
      await sub?.unsubscribe();
    }
  }
}
