/** Every error the SDK throws, rejects with or emits. */
export class NatterError extends Error {
    code;
    /** For `rate_limited`: how long the server asked to wait. */
    retryAfterMs;
    /** HTTP status, for errors of HTTP calls. */
    status;
    /** The `X-Request-Id` of the failed HTTP call (quote it in bug reports). */
    requestId;
    /** For send errors: the send's client_msg_id. */
    clientMsgId;
    /** For a refused change op (`sendChangeOp`): its op_id. */
    opId;
    /** For a failed upload in parts: its id, to resume it (`uploadFile(…, {uploadId})`). */
    uploadId;
    constructor(code, message, extra = {}) {
        super(message);
        this.name = 'NatterError';
        this.code = code;
        this.retryAfterMs = extra.retryAfterMs;
        this.status = extra.status;
        this.requestId = extra.requestId;
        this.clientMsgId = extra.clientMsgId;
        this.opId = extra.opId;
        if (extra.cause !== undefined)
            this.cause = extra.cause;
    }
    /** Whether retrying the same request later may succeed. */
    get retryable() {
        return this.code === 'rate_limited' || this.code === 'unavailable' || this.code === 'network' || this.code === 'draining';
    }
}
/** The server speaks a protocol version this SDK was not made for. */
export class ProtocolVersionError extends NatterError {
    serverProtocol;
    clientProtocol;
    constructor(serverProtocol, clientProtocol) {
        super('protocol_mismatch', `the server speaks protocol ${serverProtocol}, this SDK speaks ${clientProtocol}: update the app`);
        this.name = 'ProtocolVersionError';
        this.serverProtocol = serverProtocol;
        this.clientProtocol = clientProtocol;
    }
}
