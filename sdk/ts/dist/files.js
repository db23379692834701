// Files (docs/protocol.md, "Files"): uploads whole or in parts with resume, and the
// short-lived links to a message's files. DOM-free: the bytes are a Uint8Array, an
// ArrayBuffer or anything Blob-shaped (browsers' Blob/File, Node 20's Blob).
import { NatterError } from './errors.js';
/** The part size the server uses unless it says otherwise (`part_bytes`). */
export const DEFAULT_PART_BYTES = 1024 * 1024;
function sizeOf(d) {
    return d instanceof ArrayBuffer ? d.byteLength : d instanceof Uint8Array ? d.byteLength : d.size;
}
function slice(d, start, end) {
    if (d instanceof ArrayBuffer)
        return new Uint8Array(d, start, end - start);
    if (d instanceof Uint8Array)
        return d.subarray(start, end);
    return d.slice(start, end);
}
function whole(d) {
    return d instanceof ArrayBuffer ? new Uint8Array(d) : d;
}
const retryable = (e) => e instanceof NatterError && (e.code === 'network' || e.code === 'unavailable' || e.code === 'rate_limited' || e.code === 'internal');
function checkAbort(signal) {
    if (signal?.aborted)
        throw new NatterError('aborted', 'upload aborted');
}
/** Uploads and links; one per client (it remembers the server's part size and the links it got). */
export class Files {
    http;
    sleep;
    now;
    /** The server's part size, once an upload in parts told it. */
    partBytes;
    links = new Map();
    constructor(http, sleep, now = Date.now) {
        this.http = http;
        this.sleep = sleep;
        this.now = now;
    }
    /**
     * Uploads a file for a send to `channel`. A file no larger than the part size goes
     * in one request (`POST …/attachments`); a larger one (or one the server refuses
     * whole with `file_too_large`) in parts, each retried with backoff, resumed from
     * what the server has (`GET /v1/uploads/{id}`) after a failure. A failure that
     * remains carries `uploadId`: pass it back as `opts.uploadId` to resume.
     */
    async upload(channel, data, opts) {
        const total = sizeOf(data);
        const progress = (sent) => opts.onProgress?.({ sent, total });
        checkAbort(opts.signal);
        if (opts.uploadId === undefined && total > 0 && total <= (this.partBytes ?? DEFAULT_PART_BYTES)) {
            progress(0);
            try {
                const a = await this.http.request('POST', `/v1/channels/${encodeURIComponent(channel)}/attachments`, {
                    query: { name: opts.name },
                    rawBody: whole(data),
                    contentType: opts.contentType,
                    signal: opts.signal,
                });
                progress(total);
                return a;
            }
            catch (e) {
                // A server with a smaller part size: in parts, below.
                if (!(e instanceof NatterError && e.code === 'file_too_large'))
                    throw e;
            }
        }
        return this.uploadParts(channel, data, total, opts, progress);
    }
    async uploadParts(channel, data, total, opts, progress) {
        let status;
        if (opts.uploadId !== undefined) {
            try {
                status = await this.http.request('GET', `/v1/uploads/${encodeURIComponent(opts.uploadId)}`, { idempotent: true });
            }
            catch (e) {
                if (!(e instanceof NatterError && e.code === 'attachment_not_found'))
                    throw e;
                // Completed before and the answer lost: completing again gives the same file.
                const a = await this.http.request('POST', `/v1/uploads/${encodeURIComponent(opts.uploadId)}/complete`, {});
                progress(total);
                return a;
            }
        }
        else {
            status = await this.http.request('POST', `/v1/channels/${encodeURIComponent(channel)}/uploads`, {
                body: { name: opts.name, size: total, ...(opts.contentType ? { content_type: opts.contentType } : {}) },
            });
        }
        this.partBytes = status.part_bytes;
        const id = status.id;
        const tag = (e) => {
            if (e instanceof NatterError)
                e.uploadId = id;
            return e;
        };
        const partSize = (n) => Math.min(status.part_bytes, total - n * status.part_bytes);
        const have = new Set(status.received);
        const sentBytes = () => [...have].reduce((s, n) => s + partSize(n), 0);
        progress(sentBytes());
        const maxRetries = opts.partRetries ?? 5;
        try {
            for (let n = 0; n < status.parts; n++) {
                if (have.has(n))
                    continue;
                for (let attempt = 0;; attempt++) {
                    checkAbort(opts.signal);
                    try {
                        const start = n * status.part_bytes;
                        await this.http.request('PUT', `/v1/uploads/${encodeURIComponent(id)}/parts/${n}`, {
                            rawBody: slice(data, start, start + partSize(n)),
                            signal: opts.signal,
                        });
                        have.add(n);
                        progress(sentBytes());
                        break;
                    }
                    catch (e) {
                        if (!retryable(e) || attempt >= maxRetries)
                            throw e;
                        await this.sleep(e.retryAfterMs ?? Math.min(250 * 2 ** attempt, 4000));
                        // The connection dropped: ask what arrived (the part may have), send the rest.
                        const now = await this.http
                            .request('GET', `/v1/uploads/${encodeURIComponent(id)}`, { idempotent: true })
                            .catch(() => undefined);
                        if (now)
                            for (const r of now.received)
                                have.add(r);
                        if (have.has(n)) {
                            progress(sentBytes());
                            break;
                        }
                    }
                }
            }
            for (let attempt = 0;; attempt++) {
                checkAbort(opts.signal);
                try {
                    const a = await this.http.request('POST', `/v1/uploads/${encodeURIComponent(id)}/complete`, {});
                    progress(total);
                    return a;
                }
                catch (e) {
                    if (!retryable(e) || attempt >= maxRetries)
                        throw e;
                    await this.sleep(e.retryAfterMs ?? Math.min(250 * 2 ** attempt, 4000));
                }
            }
        }
        catch (e) {
            throw tag(e);
        }
    }
    /**
     * An absolute URL to a file of the message at `seq` (or its thumbnail), from
     * `GET …/attachments/{att}`. Links are kept until 30 s before they expire. An image
     * not processed yet answers `unavailable` with `retry_after_ms`: waited for, up to
     * `attempts` times (default 10).
     */
    async link(channel, seq, att, opts = {}) {
        const key = `${channel}/${seq}/${att}/${opts.thumbnail ? 't' : 'f'}`;
        const kept = this.links.get(key);
        if (kept && kept.expires_at - 30_000 > this.now())
            return kept;
        const attempts = opts.attempts ?? 10;
        for (let attempt = 0;; attempt++) {
            try {
                const l = await this.http.request('GET', `/v1/channels/${encodeURIComponent(channel)}/messages/${seq}/attachments/${encodeURIComponent(att)}`, { query: { thumbnail: opts.thumbnail ? 'true' : undefined } });
                const abs = { url: new URL(l.url, this.http.baseUrl).toString(), expires_at: l.expires_at };
                if (this.links.size > 500)
                    this.links.clear();
                this.links.set(key, abs);
                return abs;
            }
            catch (e) {
                if (!(e instanceof NatterError && e.code === 'unavailable') || attempt + 1 >= attempts)
                    throw e;
                await this.sleep(Math.min(e.retryAfterMs ?? 1000, 10_000));
            }
        }
    }
}
