/**
 * The closed set of decode error codes (STYLE.md house rule 2: decoders return, never throw).
 * Context (terminal, peer, hex) is added at the edge by whoever logs the error.
 */
export type DecodeErrorCode =
  | 'FRAME_SHORT' // fewer bytes than the smallest header + checksum (SPEC §3.3)
  | 'FRAME_TOO_LONG' // escaped frame exceeded the splitter's maximum size; resynced at the next 0x7e
  | 'INVALID_ESCAPE' // 0x7d followed by something other than 0x01/0x02 (SPEC §3.1)
  | 'LENGTH_MISMATCH' // neither the 2013 nor the 2019 header layout matches the body length (SPEC §4.3)
  | 'BAD_CHECKSUM' // XOR mismatch (SPEC §3.2); the caller decides the policy
  | 'BODY_SHORT' // body ends before a fixed-width field
  | 'BODY_INVALID' // a field holds a value the standard does not allow (e.g. 0x0704 count 0)
  | 'BAD_BCD' // BCD nibble above 9 where digits are required (e.g. a time)
  | 'UNSUPPORTED'; // no decoder for this message id / encryption

export interface DecodeError {
  readonly ok: false;
  readonly code: DecodeErrorCode;
  /** Byte offset (in the body, or in the frame for framing errors) where decoding stopped. */
  readonly offset: number;
  /** A short human-readable detail, e.g. the field name. */
  readonly detail?: string;
}

export interface DecodeOk<T> {
  readonly ok: true;
  readonly value: T;
}

export type DecodeResult<T> = DecodeOk<T> | DecodeError;

export function ok<T>(value: T): DecodeOk<T> {
  return { ok: true, value };
}

export function fail(code: DecodeErrorCode, offset: number, detail?: string): DecodeError {
  return detail === undefined ? { ok: false, code, offset } : { ok: false, code, offset, detail };
}

/** Formats an error as "<CODE> at <offset>: <detail>" for logs and the analyser CLI. */
export function describeError(err: DecodeError): string {
  return `${err.code} at byte ${err.offset}${err.detail ? `: ${err.detail}` : ''}`;
}
