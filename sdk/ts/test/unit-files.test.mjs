// Files without a server: whole and in-parts uploads (with the server's part size,
// progress, retries and resume), send with attachments, links (absolute, kept until
// near expiry, waiting for `unavailable`), attachment_processed applied by
// applyChange and the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NatterClient, MemoryStore, NatterError, applyChange, isAttachmentProcessed, isShownMessage } from '../dist/index.js';
import { waitFor, response, socketClass } from './helpers.mjs';

const CH = '5';
const msg = (seq, extra = {}) => ({
  channel: CH, seq, message_id: String(100 + seq), sender: '9', client_msg_id: `c${seq}`, text: `t${seq}`, sent_at: 1000 + seq, ...extra,
});
const img = { id: '77', kind: 'image', content_type: 'image/png', name: 'a.png', size: 10, processed: false };
const done = { ...img, processed: true, width: 4, height: 3, thumbnail: true, placeholder: 'LEHV6nWB2yk8pyo0adR*.7kCMdnj' };
const processed = (seq, attachment = done) => ({ channel: CH, seq, message_id: String(100 + seq), sender: '9', client_msg_id: '', text: '', sent_at: 1000 + seq, system: { kind: 'attachment_processed', attachment } });

const bodySize = (b) => (b === undefined ? 0 : typeof b === 'string' ? b.length : b.byteLength ?? b.size);

/** A fake server for uploads: `part_bytes` 4; `failPut(n)` answers whether to fail that PUT (by throwing). */
function uploadServer({ partBytes = 4, wholeLimit = 4, failPut = () => false, loseComplete = false } = {}) {
  const calls = [];
  const received = new Map();
  let size = 0;
  let completed = false;
  const fetch = async (url, init) => {
    const path = url.replace('http://x', '');
    calls.push([init.method, path, bodySize(init.body), init.headers['content-type']]);
    if (init.method === 'POST' && path.startsWith('/v1/channels/5/attachments')) {
      if (bodySize(init.body) > wholeLimit) return response(413, { code: 'file_too_large', message: 'too large' });
      return response(201, { id: '1', kind: 'file', content_type: 'application/octet-stream', name: 'f', size: bodySize(init.body), processed: true });
    }
    if (init.method === 'POST' && path === '/v1/channels/5/uploads') {
      size = JSON.parse(init.body).size;
      return response(201, { id: '42', size, part_bytes: partBytes, parts: Math.ceil(size / partBytes), received: [], expires_at: 9e12 });
    }
    const status = () => response(200, { id: '42', size, part_bytes: partBytes, parts: Math.ceil(size / partBytes), received: [...received.keys()].sort(), expires_at: 9e12 });
    if (init.method === 'GET' && path === '/v1/uploads/42') {
      return completed ? response(404, { code: 'attachment_not_found', message: 'completed' }) : status();
    }
    const part = /^\/v1\/uploads\/42\/parts\/(\d+)$/.exec(path);
    if (init.method === 'PUT' && part) {
      const n = Number(part[1]);
      const f = failPut(n);
      if (f === 'after') {
        received.set(n, bodySize(init.body)); // arrived, but the answer was lost
        throw new TypeError('fetch failed');
      }
      if (f) throw new TypeError('fetch failed');
      received.set(n, bodySize(init.body));
      return response(204);
    }
    if (init.method === 'POST' && path === '/v1/uploads/42/complete') {
      const first = !completed;
      completed = true;
      if (first && loseComplete) throw new TypeError('fetch failed'); // completed, the answer lost
      return response(201, { id: '42', kind: 'file', content_type: 'application/octet-stream', name: 'big', size, processed: true });
    }
    return response(404, { code: 'not_found', message: path });
  };
  return { fetch, calls, received };
}

test('a file up to the part size goes whole in one request, with its name and content type', async () => {
  const s = uploadServer();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: s.fetch, token: 't' });
  const progress = [];
  const a = await c.uploadFile(CH, new Uint8Array([1, 2, 3]), { name: 'a b.txt', contentType: 'text/plain', onProgress: (p) => progress.push(p) });
  assert.equal(a.id, '1');
  assert.deepEqual(s.calls, [['POST', '/v1/channels/5/attachments?name=a%20b.txt', 3, 'text/plain']]);
  assert.deepEqual(progress, [{ sent: 0, total: 3 }, { sent: 3, total: 3 }]);
});

test('a larger file goes in parts (Blob slices) after file_too_large, progress per part; the part size learnt is used next time', async () => {
  const s = uploadServer();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: s.fetch, token: 't' });
  const progress = [];
  const blob = new Blob([new Uint8Array(10)]);
  const a = await c.uploadFile(CH, blob, { name: 'big', onProgress: (p) => progress.push(p.sent) });
  assert.equal(a.id, '42');
  assert.deepEqual(s.calls.map((x) => `${x[0]} ${x[1]}`), [
    'POST /v1/channels/5/attachments?name=big', // the part size is not known yet: whole is tried first
    'POST /v1/channels/5/uploads',
    'PUT /v1/uploads/42/parts/0',
    'PUT /v1/uploads/42/parts/1',
    'PUT /v1/uploads/42/parts/2',
    'POST /v1/uploads/42/complete',
  ]);
  assert.deepEqual(s.calls.slice(2, 5).map((x) => x[2]), [4, 4, 2]);
  assert.deepEqual(progress, [0, 0, 4, 8, 10, 10]);
  // 5 bytes > the learnt part size 4: straight to parts (no whole attempt).
  s.calls.length = 0;
  await c.uploadFile(CH, new ArrayBuffer(5), { name: 'b' });
  assert.equal(s.calls[0][1], '/v1/channels/5/uploads');
});

test('a whole upload refused with file_too_large falls back to parts', async () => {
  const s = uploadServer({ partBytes: 2, wholeLimit: 2 });
  const c = new NatterClient({ baseUrl: 'http://x', fetch: s.fetch, token: 't' });
  const a = await c.uploadFile(CH, new Uint8Array(3), { name: 'x' });
  assert.equal(a.id, '42');
  assert.deepEqual(s.calls.map((x) => x[1]), ['/v1/channels/5/attachments?name=x', '/v1/channels/5/uploads', '/v1/uploads/42/parts/0', '/v1/uploads/42/parts/1', '/v1/uploads/42/complete']);
});

test('a part that fails is retried after asking the server what it has; a part that arrived is not sent again', async () => {
  const tries = [0, 0, 0];
  const s = uploadServer({ failPut: (n) => (tries[n]++ > 0 ? false : n === 1 ? 'before' : n === 2 ? 'after' : false) });
  const c = new NatterClient({ baseUrl: 'http://x', fetch: s.fetch, token: 't' });
  const a = await c.uploadFile(CH, new Uint8Array(12), { name: 'big' });
  assert.equal(a.id, '42');
  assert.deepEqual(s.calls.map((x) => `${x[0]} ${x[1]}`), [
    'POST /v1/channels/5/attachments?name=big',
    'POST /v1/channels/5/uploads',
    'PUT /v1/uploads/42/parts/0',
    'PUT /v1/uploads/42/parts/1', // fails
    'GET /v1/uploads/42',
    'PUT /v1/uploads/42/parts/1',
    'PUT /v1/uploads/42/parts/2', // arrives, the answer is lost
    'GET /v1/uploads/42', // it has 2: not sent again
    'POST /v1/uploads/42/complete',
  ]);
});

test('an upload that fails for good carries its uploadId; uploadFile with it sends only the missing parts', async () => {
  let down = true;
  const s = uploadServer({ failPut: (n) => n >= 1 && down });
  const c = new NatterClient({ baseUrl: 'http://x', fetch: s.fetch, token: 't' });
  const err = await c.uploadFile(CH, new Uint8Array(12), { name: 'big', partRetries: 0 }).catch((e) => e);
  assert.ok(err instanceof NatterError);
  assert.equal(err.code, 'network');
  assert.equal(err.uploadId, '42');
  down = false;
  s.calls.length = 0;
  const progress = [];
  const a = await c.uploadFile(CH, new Uint8Array(12), { name: 'big', uploadId: err.uploadId, onProgress: (p) => progress.push(p.sent) });
  assert.equal(a.id, '42');
  assert.deepEqual(s.calls.map((x) => `${x[0]} ${x[1]}`), ['GET /v1/uploads/42', 'PUT /v1/uploads/42/parts/1', 'PUT /v1/uploads/42/parts/2', 'POST /v1/uploads/42/complete']);
  assert.deepEqual(progress, [4, 8, 12, 12]);
});

test('resuming an upload whose completion answer was lost completes it again and gets the file', async () => {
  const s = uploadServer({ loseComplete: true });
  const c = new NatterClient({ baseUrl: 'http://x', fetch: s.fetch, token: 't' });
  const err = await c.uploadFile(CH, new Uint8Array(12), { name: 'big', partRetries: 0 }).catch((e) => e);
  assert.equal(err.code, 'network');
  assert.equal(err.uploadId, '42');
  s.calls.length = 0;
  const a = await c.uploadFile(CH, new Uint8Array(12), { name: 'big', uploadId: err.uploadId });
  assert.equal(a.id, '42');
  assert.deepEqual(s.calls.map((x) => `${x[0]} ${x[1]}`), ['GET /v1/uploads/42', 'POST /v1/uploads/42/complete']);
});

test('an aborted signal stops an upload with `aborted`', async () => {
  const s = uploadServer();
  const c = new NatterClient({ baseUrl: 'http://x', fetch: s.fetch, token: 't' });
  const ac = new AbortController();
  ac.abort();
  const err = await c.uploadFile(CH, new Uint8Array(12), { name: 'big', signal: ac.signal }).catch((e) => e);
  assert.equal(err.code, 'aborted');
  assert.equal(s.calls.length, 0);
});

test('attachmentUrl: absolute, kept until shortly before it expires, waits while the image is not processed', async () => {
  const calls = [];
  let unavailable = 2;
  let expires = Date.now() + 300_000;
  const fetch = async (url) => {
    calls.push(url.replace('http://x', ''));
    if (unavailable > 0) {
      unavailable--;
      return response(503, { code: 'unavailable', message: 'not processed yet', retry_after_ms: 5 });
    }
    return response(200, { url: `/v1/media/77?exp=${expires}&sig=ab`, expires_at: expires });
  };
  const c = new NatterClient({ baseUrl: 'http://x/', fetch, token: 't' });
  const u = await c.attachmentUrl(CH, 3, '77', { thumbnail: true });
  assert.equal(u, `http://x/v1/media/77?exp=${expires}&sig=ab`);
  assert.deepEqual(calls, Array(3).fill('/v1/channels/5/messages/3/attachments/77?thumbnail=true'));
  assert.equal(await c.attachmentUrl(CH, 3, '77', { thumbnail: true }), u, 'kept');
  assert.equal(calls.length, 3);
  await c.attachmentUrl(CH, 3, '77');
  assert.equal(calls[3], '/v1/channels/5/messages/3/attachments/77', 'the full file is another link');
  // A link close to its expiry is asked again.
  expires = Date.now() + 10_000;
  calls.length = 0;
  await c.attachmentUrl(CH, 4, '78');
  await c.attachmentUrl(CH, 4, '78');
  assert.equal(calls.length, 2);
  // Bounded: still unavailable after `attempts` tries.
  unavailable = 10;
  const err = await c.attachmentUrl(CH, 5, '79', { attempts: 2 }).catch((e) => e);
  assert.equal(err.code, 'unavailable');
});

test('applyChange: attachment_processed replaces the attachment in every message of the channel carrying it', () => {
  const m = msg(3, { text: '', attachments: [{ ...img, id: '76' }, img] });
  const e = processed(4);
  assert.ok(isAttachmentProcessed(e));
  assert.ok(!isShownMessage(e));
  const out = applyChange(m, e);
  assert.deepEqual(out.attachments, [{ ...img, id: '76' }, done]);
  assert.equal(m.attachments[1].processed, false, 'a new object');
  const plain = msg(2);
  assert.equal(applyChange(plain, e), plain, 'nothing to replace: the same message');
  const other = { ...m, channel: '6' };
  assert.equal(applyChange(other, e), other, 'another channel');
});

test('send with attachments writes them (empty text allowed); the cache applies attachment_processed', async () => {
  const hello = { type: 'hello', user_id: '1', device_id: 'd', max_text_chars: 9, max_frame_bytes: 9, protocol: 1 };
  const WS = socketClass([hello, { type: 'synced', channels: 0, messages: 0 }]);
  const fetch = async (url) => {
    if (url.endsWith('/v1/discover')) return response(200, { edge_id: 'e', http_url: 'http://x', ws_url: 'ws://x/v1/ws' });
    if (url.includes('/v1/channels/5/messages')) return response(200, { channel: CH, head_seq: 2, has_more: false, messages: [1, 2].map((s) => ({ ...msg(s), system: null })) });
    return response(404, { code: 'not_found', message: url });
  };
  const c = new NatterClient({ baseUrl: 'http://x', fetch, WebSocket: WS, token: 't', storage: new MemoryStore(), cacheWriteDelayMs: 5 });
  await c.connect();
  await c.history(CH);
  for (const s of [1, 2]) WS.last.frame({ type: 'message', ...msg(s) });
  const sent = c.send(CH, '', { attachments: ['77'], clientMsgId: 'a1' });
  await waitFor(() => WS.last.sent.some((o) => o.op === 'send'), 2000, 'the send');
  assert.deepEqual(WS.last.sent.find((o) => o.op === 'send'), { op: 'send', channel: CH, client_msg_id: 'a1', text: '', attachments: ['77'] });
  assert.deepEqual(c.pendingSends()[0].attachments, ['77']);
  WS.last.frame({ type: 'message', ...msg(3, { sender: '1', client_msg_id: 'a1', text: '', attachments: [img] }) });
  assert.deepEqual((await sent).attachments, [img]);
  WS.last.frame({ type: 'message', ...processed(4) });
  await waitFor(async () => (await c.cached())?.messages[CH]?.length === 4, 2000, 'the cache');
  assert.deepEqual((await c.cached()).messages[CH][2].attachments, [done]);
  await c.disconnect();
});
