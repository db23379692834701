import { NatterError } from './errors.js';
/** The part of a fetch Response the SDK reads. */
export interface ResponseLike {
    status: number;
    ok: boolean;
    headers: {
        get(name: string): string | null;
    };
    text(): Promise<string>;
}
/** `fetch` or anything with its shape (inject one in tests or old runtimes). */
export type FetchLike = (url: string, init?: {
    method?: string;
    headers?: Record<string, string>;
    /** A string (JSON) or, for file uploads, bytes: a `Uint8Array` or a `Blob` (a slice of one). */
    body?: any;
    /** An AbortSignal, for uploads given one. */
    signal?: any;
}) => Promise<ResponseLike>;
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
export declare class Http {
    private readonly o;
    constructor(o: HttpOptions);
    get baseUrl(): string;
    request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>;
}
