import { NatterError } from './errors.js';

/** The part of a fetch Response the SDK reads. */
export interface ResponseLike {
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** `fetch` or anything with its shape (inject one in tests or old runtimes). */
export type FetchLike = (
  url: string,
  init?: {
    method?: string;
    headers?: Record<string, string>;
    /** A string (JSON) or, for file uploads, bytes: a `Uint8Array` or a `Blob` (a slice of one). */
    body?: any;
    /** An AbortSignal, for uploads given one. */
    signal?: any;
  },
) => Promise<ResponseLike>;

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** Send the bearer token (default true). */
  auth?: boolean;
  /**
   * Whether `unavailable` may be retried: true only for requests that change nothing
   * or change nothing a second time. `rate_limited` is always retried (up to the
   * limits), since the server changes nothing when it refuses a request.
   */
  idempotent?: boolean;
  /** Bytes to send as they are (a file upload) instead of a JSON `body`. */
  rawBody?: unknown;
  /** The `Content-Type` of `rawBody` (default `application/octet-stream`). */
  contentType?: string;
  /** An AbortSignal passed to fetch (uploads). */
  signal?: unknown;
  /** This token instead of the client's (a logout sends the one it ends). */
  token?: string;
  /** Report a refused token to `onAuthError` (default true). */
  authEvents?: boolean;
}

export interface HttpOptions {
  baseUrl: string;
  fetch: FetchLike;
  getToken: () => string | undefined;
  /** How many times to retry a `rate_limited`/`unavailable` answer (default 3). */
  maxRetries: number;
  /** Never wait longer than this for one retry (default 10 s): fail instead. */
  maxRetryWaitMs: number;
  sleep: (ms: number) => Promise<void>;
  /**
   * Called when the server refuses the token of an authenticated request
   * (`token_invalid`, `token_expired`, `token_revoked`), with the token it refused.
   */
  onAuthError?: (e: NatterError, token: string | undefined) => void;
}

/** Calls the HTTP API; turns every failure into a NatterError. */
export class Http {
  constructor(private readonly o: HttpOptions) {}

  get baseUrl(): string {
    return this.o.baseUrl;
  }

  async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    let url = this.o.baseUrl + path;
    if (opts.query) {
      const q = Object.entries(opts.query)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&');
      if (q) url += `?${q}`;
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    if (opts.rawBody !== undefined) headers['content-type'] = opts.contentType || 'application/octet-stream';
    const token = opts.auth !== false ? (opts.token ?? this.o.getToken()) : undefined;
    if (token) headers.authorization = `Bearer ${token}`;
    const body = opts.rawBody !== undefined ? opts.rawBody : opts.body === undefined ? undefined : JSON.stringify(opts.body);
    for (let attempt = 0; ; attempt++) {
      let res: ResponseLike;
      try {
        res = await this.o.fetch(url, opts.signal === undefined ? { method, headers, body } : { method, headers, body, signal: opts.signal });
      } catch (e) {
        if ((e as { name?: string })?.name === 'AbortError') throw new NatterError('aborted', `${method} ${path}: aborted`, { cause: e });
        throw new NatterError('network', `${method} ${path}: ${(e as Error)?.message ?? e}`, { cause: e });
      }
      const text = await res.text().catch(() => '');
      const requestId = res.headers.get('x-request-id') ?? undefined;
      if (res.ok) {
        if (!text) return undefined as T;
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new NatterError('bad_response', `${method} ${path}: the answer is not JSON`, { status: res.status, requestId });
        }
      }
      const err = toError(method, path, res.status, text, requestId, res.headers.get('retry-after'));
      const retry =
        attempt < this.o.maxRetries &&
        (err.code === 'rate_limited' || (err.code === 'unavailable' && opts.idempotent === true));
      if (!retry) {
        const refused = err.code === 'token_invalid' || err.code === 'token_expired' || err.code === 'token_revoked';
        if (opts.auth !== false && opts.authEvents !== false && refused) this.o.onAuthError?.(err, token);
        throw err;
      }
      const wait = err.retryAfterMs ?? Math.min(200 * 2 ** attempt, 2000);
      if (wait > this.o.maxRetryWaitMs) throw err;
      await this.o.sleep(wait);
    }
  }
}

function toError(method: string, path: string, status: number, text: string, requestId?: string, retryAfter?: string | null): NatterError {
  let body: { code?: string; message?: string; retry_after_ms?: number } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  let retryAfterMs = typeof body?.retry_after_ms === 'number' ? body.retry_after_ms : undefined;
  if (retryAfterMs === undefined && retryAfter && /^\d+$/.test(retryAfter)) retryAfterMs = Number(retryAfter) * 1000;
  if (body && typeof body.code === 'string') {
    return new NatterError(body.code as NatterError['code'], body.message ?? body.code, { status, requestId, retryAfterMs });
  }
  const code = status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : status >= 500 ? 'unavailable' : 'bad_response';
  return new NatterError(code, `${method} ${path}: HTTP ${status}`, { status, requestId, retryAfterMs });
}
