// HTTP JSON API client. Every call goes to the page's own origin (/v1/...).

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message || code);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

const AUTH_CODES = new Set(['token_expired', 'token_invalid']);
export const isAuthError = (e) => e instanceof ApiError && AUTH_CODES.has(e.code);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `getToken()` returns the current token (or null); `onAuthError(code)` runs when
 * the server says the token is expired or invalid.
 */
export function createApi({ getToken, onAuthError }) {
  async function request(method, path, body, { auth = true, retries = 2 } = {}) {
    const headers = { Accept: 'application/json' };
    const token = auth ? getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res;
    try {
      res = await fetch(path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store',
      });
    } catch {
      throw new ApiError(0, 'network', 'Cannot reach the server. Check your connection.');
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      const code = data?.code || `http_${res.status}`;
      const err = new ApiError(res.status, code, data?.message || res.statusText, data);
      // Reads are safe to retry after the server's hint.
      if ((code === 'rate_limited' || code === 'unavailable') && method === 'GET' && retries > 0) {
        await sleep(Math.min(5000, data?.retry_after_ms ?? 500));
        return request(method, path, body, { auth, retries: retries - 1 });
      }
      if (auth && AUTH_CODES.has(code)) onAuthError?.(code);
      throw err;
    }
    return data;
  }

  const q = (params) => {
    const s = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) s.set(k, String(v));
    const str = s.toString();
    return str ? `?${str}` : '';
  };
  const id = (x) => encodeURIComponent(String(x));

  return {
    signup: (username, password, display_name) =>
      request('POST', '/v1/signup', { username, password, display_name }, { auth: false }),
    login: (username, password) => request('POST', '/v1/login', { username, password }, { auth: false }),
    me: () => request('GET', '/v1/me'),
    updateMe: (patch) => request('PATCH', '/v1/me', patch),
    user: (uid) => request('GET', `/v1/users/${id(uid)}`),
    searchUsers: (prefix, limit = 20) => request('GET', `/v1/users${q({ q: prefix, limit })}`),
    discover: () => request('GET', '/v1/discover', undefined, { retries: 0 }),
    openDm: (peer) => request('POST', '/v1/dm', { peer }),
    channels: (params = {}) => request('GET', `/v1/channels${q(params)}`),
    channel: (cid) => request('GET', `/v1/channels/${id(cid)}`),
    members: (cid) => request('GET', `/v1/channels/${id(cid)}/members`),
    history: (cid, params = {}) => request('GET', `/v1/channels/${id(cid)}/messages${q(params)}`),
    createGroup: (name, members) => request('POST', '/v1/groups', { name, members }),
    renameGroup: (cid, name) => request('PATCH', `/v1/groups/${id(cid)}`, { name }),
    addMembers: (cid, users) => request('POST', `/v1/groups/${id(cid)}/members`, { users }),
    removeMember: (cid, uid) => request('DELETE', `/v1/groups/${id(cid)}/members/${id(uid)}`),
    leaveGroup: (cid) => request('POST', `/v1/groups/${id(cid)}/leave`, {}),
    setRole: (cid, uid, role) => request('PUT', `/v1/groups/${id(cid)}/members/${id(uid)}/role`, { role }),
    mute: (cid, muted) => request('PUT', `/v1/channels/${id(cid)}/mute`, { muted }),
    webpushKey: () => request('GET', '/v1/push/webpush-key', undefined, { auth: false }),
    devices: () => request('GET', '/v1/devices'),
    registerDevice: (body) => request('POST', '/v1/devices', body),
    deleteDevice: (deviceId) => request('DELETE', `/v1/devices/${id(deviceId)}`),
  };
}
