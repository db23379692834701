// The WebSocket connection: discovery, reconnect with exponential backoff and
// jitter, heartbeats, and a visible state (connecting / online / offline).

import { isAuthError } from './api.js';

const HEARTBEAT_MS = 10000; // the server wants a sign of life about every 10 s
const PONG_TIMEOUT_MS = 8000; // a ping unanswered for this long: the socket is dead
const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5000;

/** 100 ms doubling to 5 s, times a random 0.5–1 (protocol.md, "draining"). */
export function backoffDelay(attempt) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.5 + Math.random() * 0.5));
}

/** ws_url from discovery, made usable from this page. */
function usableWsUrl(wsUrl) {
  try {
    const u = new URL(wsUrl, location.href);
    // An edge listening on a wildcard address advertises it; use this page's host.
    if (['0.0.0.0', '[::]', '::'].includes(u.hostname)) u.hostname = location.hostname;
    // An https page cannot open ws: sockets.
    if (location.protocol === 'https:' && u.protocol === 'ws:') u.protocol = 'wss:';
    return u.toString();
  } catch {
    return sameOriginWsUrl();
  }
}

function sameOriginWsUrl() {
  return `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/v1/ws`;
}

export class Connection {
  /**
   * api: the HTTP client (for discovery); getToken(); deviceId;
   * onEvent(frame); onState(state, detail); onOpen(hello).
   */
  constructor({ api, getToken, deviceId, onEvent, onState, onHello }) {
    this.api = api;
    this.getToken = getToken;
    this.deviceId = deviceId;
    this.onEvent = onEvent;
    this.onState = onState;
    this.onHello = onHello;
    this.state = 'offline';
    this.ws = null;
    this.running = false;
    this.connecting = false;
    this.attempt = 0;
    this.retryTimer = null;
    this.heartbeat = null;
    this.lastFrameAt = 0;
    this.retryAt = 0;
    this.hello = null;
    this.synced = false;

    this._online = () => this.retryNow();
    this._offline = () => {
      // The browser knows the network is gone: do not wait for the socket to time out.
      if (this.ws) this._drop('network offline');
      this._setState('offline', { reason: 'No network' });
    };
    this._visible = () => {
      if (document.visibilityState === 'visible' && this.running && !this.ws) this.retryNow();
    };
  }

  start() {
    if (this.running) return;
    this.running = true;
    window.addEventListener('online', this._online);
    window.addEventListener('offline', this._offline);
    document.addEventListener('visibilitychange', this._visible);
    this._connect();
  }

  /** Closes cleanly (the server writes our acks before answering the close). */
  stop() {
    this.running = false;
    window.removeEventListener('online', this._online);
    window.removeEventListener('offline', this._offline);
    document.removeEventListener('visibilitychange', this._visible);
    clearTimeout(this.retryTimer);
    this._stopHeartbeat();
    const ws = this.ws;
    this.ws = null;
    if (ws) {
      try {
        ws.close(1000, 'bye');
      } catch {
        /* already closed */
      }
    }
    this._setState('offline', { reason: 'Signed out' });
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN && !!this.hello;
  }

  /** Sends a frame if the socket is up; returns whether it was sent. */
  send(frame) {
    if (!this.isOpen) return false;
    try {
      this.ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  /** Skips the backoff wait (the "Retry now" button, the browser's online event). */
  retryNow() {
    if (!this.running || this.ws || this.connecting) return;
    clearTimeout(this.retryTimer);
    this.attempt = 0;
    this._connect();
  }

  _setState(state, detail = {}) {
    this.state = state;
    this.onState?.(state, detail);
  }

  async _connect() {
    if (!this.running || this.connecting || this.ws) return;
    this.connecting = true;
    try {
      await this._open();
    } finally {
      this.connecting = false;
    }
  }

  async _open() {
    clearTimeout(this.retryTimer);
    this.attempt++;
    this.hello = null;
    this.synced = false;
    this._setState('connecting');
    if (navigator.onLine === false) {
      this._scheduleRetry('No network');
      return;
    }
    let url;
    try {
      const d = await this.api.discover();
      url = usableWsUrl(d.ws_url);
    } catch (e) {
      if (isAuthError(e)) {
        this.running = false; // the app goes back to the login screen
        return;
      }
      if (e.status === 0 || e.code === 'unavailable' || e.code === 'rate_limited' || e.status >= 500) {
        this._scheduleRetry(e.status === 0 ? 'Server unreachable' : 'Server busy');
        return;
      }
      url = sameOriginWsUrl(); // an older edge without discovery
    }
    if (!this.running || this.ws) return;
    const token = this.getToken();
    if (!token) return;
    const full = `${url}${url.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}&device=${encodeURIComponent(this.deviceId)}`;
    let ws;
    try {
      ws = new WebSocket(full);
    } catch {
      this._scheduleRetry('Cannot open socket');
      return;
    }
    this.ws = ws;
    this.lastFrameAt = Date.now();
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (frame.type === 'hello') {
        this.hello = frame;
        this.attempt = 0;
        this._setState('online');
        this._startHeartbeat();
        this.onHello?.(frame);
        return;
      }
      if (frame.type === 'synced') this.synced = true;
      if (frame.type === 'pong') return;
      if (frame.type === 'reconnect') {
        // The edge is draining: go elsewhere now (after a little jitter).
        this._drop('edge draining', 50 + Math.random() * 200);
        return;
      }
      this.onEvent?.(frame);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this._drop(ev.reason || `closed (${ev.code})`);
    };
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  /** Forgets the current socket and schedules the next attempt. */
  _drop(reason, delay) {
    const ws = this.ws;
    this.ws = null;
    this.hello = null;
    this._stopHeartbeat();
    if (ws) {
      ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'reconnecting');
      } catch {
        /* ignore */
      }
    }
    if (this.running) this._scheduleRetry(reason, delay);
  }

  _scheduleRetry(reason, delay) {
    if (!this.running) return;
    const ms = delay ?? backoffDelay(this.attempt);
    this.retryAt = Date.now() + ms;
    this._setState('offline', { reason, retryAt: this.retryAt });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this._connect(), ms);
  }

  _startHeartbeat() {
    this._stopHeartbeat();
    this.pingSentAt = 0;
    this.heartbeat = setInterval(() => {
      if (!this.ws) return;
      const now = Date.now();
      // A ping that got no frame at all back in time: the socket is half-open.
      if (this.pingSentAt && this.lastFrameAt < this.pingSentAt && now - this.pingSentAt > PONG_TIMEOUT_MS) {
        this._drop('no answer from server');
        return;
      }
      if (!this.pingSentAt || this.lastFrameAt >= this.pingSentAt) {
        if (this.send({ op: 'ping' })) this.pingSentAt = now;
      }
    }, HEARTBEAT_MS);
  }

  _stopHeartbeat() {
    clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
