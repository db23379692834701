// Files in the conversation (issue 21): a message's attachments (image thumbnails
// over their BlurHash placeholder, an audio player, a download chip), the image
// viewer, and small helpers (human sizes, durations, BlurHash decoding).
import { h } from './dom.js';

/** "532 B", "14 KB", "2.4 MB". */
export function humanSize(n) {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1000) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  do {
    v /= 1000;
    i++;
  } while (v >= 1000 && i < units.length - 1);
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** "0:07", "12:45", "1:02:03". */
export function formatDuration(ms) {
  const s = Math.max(0, Math.round((ms || 0) / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return hh ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

// ---- BlurHash (https://blurha.sh): a few DCT components drawn into a tiny canvas ----

const B83 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~';
const b83 = (s) => [...s].reduce((v, c) => v * 83 + B83.indexOf(c), 0);
const toLinear = (v) => {
  const x = v / 255;
  return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
};
const toSrgb = (v) => {
  const x = Math.max(0, Math.min(1, v));
  return Math.round((x <= 0.0031308 ? x * 12.92 : 1.055 * x ** (1 / 2.4) - 0.055) * 255);
};
const signPow = (v, e) => Math.sign(v) * Math.abs(v) ** e;

const blurCache = new Map();

/** A BlurHash as a `data:` PNG URL of 32×32 pixels (stretched by CSS), or null if invalid. */
export function blurhashUrl(hash) {
  if (!hash || hash.length < 6) return null;
  if (blurCache.has(hash)) return blurCache.get(hash);
  let url = null;
  try {
    const size = b83(hash[0]);
    const nx = (size % 9) + 1;
    const ny = Math.floor(size / 9) + 1;
    if (hash.length !== 4 + 2 * nx * ny) throw new Error('length');
    const maxAc = (b83(hash[1]) + 1) / 166;
    const colors = [];
    const dc = b83(hash.slice(2, 6));
    colors.push([toLinear(dc >> 16), toLinear((dc >> 8) & 255), toLinear(dc & 255)]);
    for (let i = 1; i < nx * ny; i++) {
      const v = b83(hash.slice(4 + i * 2, 6 + i * 2));
      const q = [Math.floor(v / 361), Math.floor(v / 19) % 19, v % 19];
      colors.push(q.map((c) => signPow((c - 9) / 9, 2) * maxAc));
    }
    const W = 32;
    const H = 32;
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext('2d');
    const img = ctx.createImageData(W, H);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        let r = 0;
        let g = 0;
        let b = 0;
        for (let j = 0; j < ny; j++) {
          for (let i = 0; i < nx; i++) {
            const basis = Math.cos((Math.PI * x * i) / W) * Math.cos((Math.PI * y * j) / H);
            const c = colors[i + j * nx];
            r += c[0] * basis;
            g += c[1] * basis;
            b += c[2] * basis;
          }
        }
        const o = 4 * (x + y * W);
        img.data[o] = toSrgb(r);
        img.data[o + 1] = toSrgb(g);
        img.data[o + 2] = toSrgb(b);
        img.data[o + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    url = canvas.toDataURL();
  } catch {
    url = null;
  }
  blurCache.set(hash, url);
  return url;
}

// ---- a message's files ----

const THUMB_MAX = 260; // CSS pixels, the longer side of an image shown in a message

/** The box an image takes before its thumbnail loads (its own aspect ratio, or a square). */
function boxSize(a) {
  if (!a.width || !a.height) return [200, 150];
  const k = Math.min(1, THUMB_MAX / Math.max(a.width, a.height));
  return [Math.max(48, Math.round(a.width * k)), Math.max(48, Math.round(a.height * k))];
}

/**
 * The files of a message: `link(att, {thumbnail})` resolves to a URL (the SDK's
 * `attachmentUrl`), or is null for a message not stored yet (pending: names only).
 * `onView(att)` opens an image in the viewer.
 */
export function attachmentsEl(m, { link, onView }) {
  const wrap = h('div', { class: 'attachments', dataset: { testid: 'attachments' } });
  for (const a of m.attachments || []) wrap.append(attachmentEl(a, link, onView));
  return wrap;
}

function attachmentEl(a, link, onView) {
  const ds = { testid: 'attachment', kind: a.kind, id: a.id, processed: String(!!a.processed) };
  if (a.kind === 'image') {
    const [w, hgt] = boxSize(a);
    const box = h('button', { type: 'button', class: 'att-image', dataset: { ...ds, action: 'view-image' }, 'aria-label': `Photo ${a.name}`, title: a.name });
    box.style.setProperty('width', `${w}px`);
    box.style.setProperty('height', `${hgt}px`);
    const blur = blurhashUrl(a.placeholder);
    if (blur) box.style.setProperty('background-image', `url("${blur}")`);
    if (!a.processed || !a.thumbnail || !link) {
      box.disabled = true;
      box.append(h('span', { class: 'att-processing', dataset: { testid: 'attachment-processing' } }, link ? 'Processing…' : 'Sending…'));
      return box;
    }
    const img = h('img', { alt: a.name, dataset: { testid: 'attachment-thumb' }, decoding: 'async' });
    img.addEventListener('load', () => box.classList.add('loaded'), { once: true });
    box.append(img);
    box.addEventListener('click', () => onView(a));
    link(a, { thumbnail: true }).then((u) => { img.src = u; }, () => box.classList.add('failed'));
    return box;
  }
  if (a.kind === 'audio') {
    const row = h('div', { class: 'att-audio', dataset: ds });
    const audio = h('audio', { controls: true, preload: 'none', dataset: { testid: 'attachment-audio' } });
    const dur = h('span', { class: 'att-duration', dataset: { testid: 'attachment-duration' } }, a.duration_ms ? formatDuration(a.duration_ms) : '');
    row.append(audio, dur);
    if (link) link(a, {}).then((u) => { audio.src = u; }, () => row.classList.add('failed'));
    return row;
  }
  const chip = h('a', { class: 'att-file', dataset: ds, download: a.name, title: `Download ${a.name}`, rel: 'noopener' },
    h('span', { class: 'att-file-icon', 'aria-hidden': 'true' }, fileExt(a.name)),
    h('span', { class: 'att-file-text' },
      h('span', { class: 'att-file-name', dataset: { testid: 'attachment-name' } }, a.name),
      h('span', { class: 'att-file-size', dataset: { testid: 'attachment-size' } }, humanSize(a.size))));
  if (link) {
    link(a, {}).then((u) => { chip.href = u; }, () => chip.classList.add('failed'));
    // A link lives 5 minutes: ask again (kept by the SDK while valid) before following it.
    chip.addEventListener('click', (ev) => {
      ev.preventDefault();
      link(a, {}).then((u) => {
        chip.href = u;
        const go = h('a', { href: u, download: a.name, hidden: true });
        document.body.append(go);
        go.click();
        go.remove();
      }, () => chip.classList.add('failed'));
    });
  }
  return chip;
}

function fileExt(name) {
  const m = /\.([a-z0-9]{1,4})$/i.exec(name || '');
  return m ? m[1].toUpperCase() : 'FILE';
}
