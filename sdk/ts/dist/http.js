import { NatterError } from './errors.js';
/** Calls the HTTP API; turns every failure into a NatterError. */
export class Http {
    o;
    constructor(o) {
        this.o = o;
    }
    get baseUrl() {
        return this.o.baseUrl;
    }
    async request(method, path, opts = {}) {
        let url = this.o.baseUrl + path;
        if (opts.query) {
            const q = Object.entries(opts.query)
                .filter(([, v]) => v !== undefined)
                .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
                .join('&');
            if (q)
                url += `?${q}`;
        }
        const headers = { accept: 'application/json' };
        if (opts.body !== undefined)
            headers['content-type'] = 'application/json';
        if (opts.rawBody !== undefined)
            headers['content-type'] = opts.contentType || 'application/octet-stream';
        const token = opts.auth !== false ? (opts.token ?? this.o.getToken()) : undefined;
        if (token)
            headers.authorization = `Bearer ${token}`;
        const body = opts.rawBody !== undefined ? opts.rawBody : opts.body === undefined ? undefined : JSON.stringify(opts.body);
        for (let attempt = 0;; attempt++) {
            let res;
            try {
                res = await this.o.fetch(url, opts.signal === undefined ? { method, headers, body } : { method, headers, body, signal: opts.signal });
            }
            catch (e) {
                if (e?.name === 'AbortError')
                    throw new NatterError('aborted', `${method} ${path}: aborted`, { cause: e });
                throw new NatterError('network', `${method} ${path}: ${e?.message ?? e}`, { cause: e });
            }
            const text = await res.text().catch(() => '');
            const requestId = res.headers.get('x-request-id') ?? undefined;
            if (res.ok) {
                if (!text)
                    return undefined;
                try {
                    return JSON.parse(text);
                }
                catch {
                    throw new NatterError('bad_response', `${method} ${path}: the answer is not JSON`, { status: res.status, requestId });
                }
            }
            const err = toError(method, path, res.status, text, requestId, res.headers.get('retry-after'));
            const retry = attempt < this.o.maxRetries &&
                (err.code === 'rate_limited' || (err.code === 'unavailable' && opts.idempotent === true));
            if (!retry) {
                const refused = err.code === 'token_invalid' || err.code === 'token_expired' || err.code === 'token_revoked';
                if (opts.auth !== false && opts.authEvents !== false && refused)
                    this.o.onAuthError?.(err, token);
                throw err;
            }
            const wait = err.retryAfterMs ?? Math.min(200 * 2 ** attempt, 2000);
            if (wait > this.o.maxRetryWaitMs)
                throw err;
            await this.o.sleep(wait);
        }
    }
}
function toError(method, path, status, text, requestId, retryAfter) {
    let body;
    try {
        body = JSON.parse(text);
    }
    catch {
        body = undefined;
    }
    let retryAfterMs = typeof body?.retry_after_ms === 'number' ? body.retry_after_ms : undefined;
    if (retryAfterMs === undefined && retryAfter && /^\d+$/.test(retryAfter))
        retryAfterMs = Number(retryAfter) * 1000;
    if (body && typeof body.code === 'string') {
        return new NatterError(body.code, body.message ?? body.code, { status, requestId, retryAfterMs });
    }
    const code = status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : status >= 500 ? 'unavailable' : 'bad_response';
    return new NatterError(code, `${method} ${path}: HTTP ${status}`, { status, requestId, retryAfterMs });
}
