import type { Http } from './http.js';
import type { Attachment, AttachmentLink, Id } from './types.js';
/** The part of a Blob the SDK uses (a browser's `Blob`/`File`, Node 20's `Blob`). */
export interface BlobLike {
    readonly size: number;
    slice(start?: number, end?: number, contentType?: string): BlobLike;
}
/** What `uploadFile` takes: the file's bytes. */
export type FileData = BlobLike | Uint8Array | ArrayBuffer;
export interface UploadProgress {
    /** Bytes the server has acknowledged so far. */
    sent: number;
    /** The file's size. */
    total: number;
}
export interface UploadOptions {
    /** The file name shown to the other members (the server cleans it of paths). */
    name: string;
    /** A hint (the server decides from the bytes); `audio/webm` makes a browser recording audio. */
    contentType?: string;
    /**
     * Called as bytes reach the server: once per part (fetch reports no upload
     * progress), so a whole-file upload reports 0 then `total`.
     */
    onProgress?: (p: UploadProgress) => void;
    /** Stops the upload (rejects with `aborted`); an upload in parts stays resumable. */
    signal?: unknown;
    /** Resume this upload in parts (its id, from an earlier `uploadFile` that failed: `NatterError.uploadId`). */
    uploadId?: Id;
    /** Retries of one part on `network`/`unavailable`/`rate_limited` errors (default 5), with backoff. */
    partRetries?: number;
}
/** The part size the server uses unless it says otherwise (`part_bytes`). */
export declare const DEFAULT_PART_BYTES: number;
/** Uploads and links; one per client (it remembers the server's part size and the links it got). */
export declare class Files {
    private readonly http;
    private readonly sleep;
    private readonly now;
    /** The server's part size, once an upload in parts told it. */
    partBytes: number | undefined;
    private links;
    constructor(http: Http, sleep: (ms: number) => Promise<void>, now?: () => number);
    /**
     * Uploads a file for a send to `channel`. A file no larger than the part size goes
     * in one request (`POST …/attachments`); a larger one (or one the server refuses
     * whole with `file_too_large`) in parts, each retried with backoff, resumed from
     * what the server has (`GET /v1/uploads/{id}`) after a failure. A failure that
     * remains carries `uploadId`: pass it back as `opts.uploadId` to resume.
     */
    upload(channel: Id, data: FileData, opts: UploadOptions): Promise<Attachment>;
    private uploadParts;
    /**
     * An absolute URL to a file of the message at `seq` (or its thumbnail), from
     * `GET …/attachments/{att}`. Links are kept until 30 s before they expire. An image
     * not processed yet answers `unavailable` with `retry_after_ms`: waited for, up to
     * `attempts` times (default 10).
     */
    link(channel: Id, seq: number, att: Id, opts?: {
        thumbnail?: boolean;
        attempts?: number;
    }): Promise<AttachmentLink>;
}
