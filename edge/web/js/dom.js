// Small DOM and formatting helpers. User text only ever goes through textContent
// or attribute setters, never through innerHTML.

/**
 * Builds an element: h('button', {class: 'x', dataset: {testid: 'y'}, onclick}, 'text', child).
 * Strings become text nodes; null/undefined/false children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k === 'text') el.textContent = v;
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces all children of `el`. */
export function setChildren(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

export const $ = (sel, root = document) => root.querySelector(sel);

/** Sets textContent only when it changed (avoids needless layout). */
export function setText(el, text) {
  const t = text ?? '';
  if (el.textContent !== t) el.textContent = t;
}

/** Toggles an attribute's presence/value only when it changed. */
export function setAttr(el, name, value) {
  if (value === null || value === undefined || value === false) {
    if (el.hasAttribute(name)) el.removeAttribute(name);
  } else {
    const v = value === true ? '' : String(value);
    if (el.getAttribute(name) !== v) el.setAttribute(name, v);
  }
}

// ---- people ----

/** Up to two initials of a name ("Ada Lovelace" -> "AL", "bob" -> "B"). */
export function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...words[0]][0] || '?';
  const second = words.length > 1 ? [...words[words.length - 1]][0] : '';
  return (first + (second || '')).toUpperCase();
}

/** A stable hue for an id, so a person keeps their colour everywhere. */
export function hueOf(id) {
  let x = 0;
  for (const ch of String(id)) x = (x * 31 + ch.charCodeAt(0)) >>> 0;
  return x % 360;
}

/** An avatar with initials; `kind` "group" gives a rounded square. */
export function avatar(name, id, { kind = 'user', size = 'md' } = {}) {
  const el = h('span', { class: `avatar avatar-${size} ${kind === 'group' ? 'avatar-group' : ''}`, 'aria-hidden': 'true' });
  updateAvatar(el, name, id);
  return el;
}

export function updateAvatar(el, name, id) {
  setText(el, initials(name));
  el.style.setProperty('--hue', String(hueOf(id)));
}

// ---- time ----

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const longDateFmt = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function startOfDay(t) {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export const formatTime = (t) => timeFmt.format(t);
export const formatFull = (t) => fullFmt.format(t);
export const dayKey = (t) => startOfDay(t);

/** Short label for the channel list: time today, weekday this week, else date. */
export function formatListTime(t) {
  if (!t) return '';
  const today = startOfDay(Date.now());
  if (t >= today) return timeFmt.format(t);
  if (t >= today - 6 * 86400000) return dayFmt.format(t);
  return dateFmt.format(t);
}

/** Day divider label: Today, Yesterday, or the full date. */
export function formatDay(t) {
  const today = startOfDay(Date.now());
  const d = startOfDay(t);
  if (d === today) return 'Today';
  if (d === today - 86400000) return 'Yesterday';
  return longDateFmt.format(t);
}

/** "last seen just now / 5 min ago / today at 14:05 / yesterday at … / 3 Mar" (`what` replaces "last seen"). */
export function formatLastSeen(t, what = 'last seen') {
  if (!t) return 'offline';
  const ago = Date.now() - t;
  if (ago < 60000) return `${what} just now`;
  if (ago < 3600000) return `${what} ${Math.floor(ago / 60000)} min ago`;
  const today = startOfDay(Date.now());
  if (t >= today) return `${what} today at ${timeFmt.format(t)}`;
  if (t >= today - 86400000) return `${what} yesterday at ${timeFmt.format(t)}`;
  return `${what} ${dateFmt.format(t)}`;
}

/** Number of Unicode scalar values, as the server counts them. */
export function charCount(text) {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A surrogate pair is one scalar value.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export const formatNumber = (n) => new Intl.NumberFormat().format(n);
