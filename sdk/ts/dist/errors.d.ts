import type { components } from './generated/openapi.js';
/** A stable error code of the server (docs/protocol.md, "Errors"). */
export type ServerErrorCode = components['schemas']['ErrorCode'];
/**
 * Codes the SDK adds for failures that never reached the server's error handling:
 * - `network`: fetch or the socket failed (no answer).
 * - `protocol_mismatch`: the server speaks another protocol major version.
 * - `bad_response`: the server answered something that is not the documented shape.
 * - `closed`: the client was closed while the call waited.
 * - `aborted`: the caller's AbortSignal stopped the call (an upload).
 */
export type ClientErrorCode = 'network' | 'protocol_mismatch' | 'bad_response' | 'closed' | 'aborted';
export type NatterErrorCode = ServerErrorCode | ClientErrorCode;
/** Every error the SDK throws, rejects with or emits. */
export declare class NatterError extends Error {
    readonly code: NatterErrorCode;
    /** For `rate_limited`: how long the server asked to wait. */
    readonly retryAfterMs: number | undefined;
    /** HTTP status, for errors of HTTP calls. */
    readonly status: number | undefined;
    /** The `X-Request-Id` of the failed HTTP call (quote it in bug reports). */
    readonly requestId: string | undefined;
    /** For send errors: the send's client_msg_id. */
    readonly clientMsgId: string | undefined;
    /** For a refused change op (`sendChangeOp`): its op_id. */
    readonly opId: string | undefined;
    /** For a failed upload in parts: its id, to resume it (`uploadFile(…, {uploadId})`). */
    uploadId?: string;
    constructor(code: NatterErrorCode, message: string, extra?: {
        retryAfterMs?: number;
        status?: number;
        requestId?: string;
        clientMsgId?: string;
        opId?: string;
        cause?: unknown;
    });
    /** Whether retrying the same request later may succeed. */
    get retryable(): boolean;
}
/** The server speaks a protocol version this SDK was not made for. */
export declare class ProtocolVersionError extends NatterError {
    readonly serverProtocol: number;
    readonly clientProtocol: number;
    constructor(serverProtocol: number, clientProtocol: number);
}
