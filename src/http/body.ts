/**
 * The body of an HTTP/1.1 message, once its head has decided the framing (RFC 9112 §6): a
 * Content-Length, chunked with extensions and trailers, or everything until the connection closes.
 * The request and the response parser both hand their body bytes to this one decoder, so the two
 * sides frame a body by the same grammar and the same limits, and differ only in what they do when
 * it is broken (the server answers with a status, the client counts a parse error).
 *
 * The body is skipped, never kept: between reads the decoder holds a few counters, so a body costs
 * no memory whatever its size.
 */

import { CR, LF, SP, HTAB, COLON, SEMICOLON, TCHAR, HEX, FIELD_TEXT, DQUOTE, BACKSLASH, EQUALS, QDTEXT } from "./bytes.ts";

/** decode() read every byte it was given, and the body goes on. */
export const BODY_PENDING = -1;
/** decode() found bytes the grammar does not allow; `reason` says which. */
export const BODY_INVALID = -2;
/** decode() found a trailer section longer than its limit. */
export const BODY_TOO_LARGE = -3;

/** 13 significant hex digits stay below 2^52, so a chunk size is always counted exactly. */
const MAX_CHUNK_SIZE_DIGITS = 13;
/** A chunk-size line (size, extensions, which are skipped, and CRLF) is bounded so it cannot run forever. */
export const MAX_CHUNK_LINE_BYTES = 4096;

// States. Chunk extensions follow RFC 9112 §7.1.1:
//   chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
// so whitespace stands only before ";" or "=" and after them, a name is a token, and a value is a
// token or a closed quoted-string. Anything looser is what request smuggling builds on: a parser
// that skips to the line end sees a different body than one that reads the grammar.
const LENGTH = 0;
const UNTIL_CLOSE = 1;
const CHUNK_SIZE = 2;
const SIZE_BWS = 3;
const EXT_NAME_START = 4;
const EXT_NAME = 5;
const EXT_NAME_BWS = 6;
const EXT_VALUE_START = 7;
const EXT_TOKEN = 8;
const EXT_QUOTED = 9;
const EXT_QUOTED_PAIR = 10;
const EXT_VALUE_END = 11;
const EXT_VALUE_BWS = 12;
const CHUNK_SIZE_LF = 13;
const CHUNK_DATA = 14;
const CHUNK_DATA_CR = 15;
const CHUNK_DATA_LF = 16;
const TRAILER_START = 17;
const TRAILER_NAME = 18;
const TRAILER_VALUE = 19;
const TRAILER_LF = 20;
const TRAILER_END_LF = 21;

/** Is shown the content of a body as it is decoded (chunk framing left out). */
export interface BodyContent {
  content(bytes: Uint8Array, from: number, to: number): void;
}

export class BodyDecoder {
  /** Why decode() failed, for logs and parse-error counts; a constant string, never built. */
  reason = "";
  /** Shown the body's content when set: a client's response checks look into bodies only when one needs it. */
  watcher: BodyContent | null = null;
  private state = LENGTH;
  /** Bytes left in the body (Content-Length) or in the chunk being read. */
  private remaining = 0;
  private chunkDigits = 0;
  private chunkLineBytes = 0;
  private trailerBytes = 0;

  /** maxTrailerBytes: the longest trailer section, with the empty line that ends it. */
  constructor(private readonly maxTrailerBytes: number) {}

  expectLength(length: number): void {
    this.state = LENGTH;
    this.remaining = length;
  }

  expectChunked(): void {
    this.startChunk();
  }

  expectUntilClose(): void {
    this.state = UNTIL_CLOSE;
  }

  /** Whether the body ends only when the connection closes. */
  get untilClose(): boolean {
    return this.state === UNTIL_CLOSE;
  }

  /**
   * Consumes body bytes from bytes[from, end). Returns the index just after the body when it ended
   * there, BODY_PENDING when all of them were body, or BODY_INVALID / BODY_TOO_LARGE.
   */
  decode(bytes: Uint8Array, from: number, end: number): number {
    // A Content-Length body is the common case: kept small so that it is inlined where it is called.
    if (this.state !== LENGTH) return this.decodeFramed(bytes, from, end);
    const take = Math.min(this.remaining, end - from);
    this.remaining -= take;
    if (this.watcher !== null && take > 0) this.watcher.content(bytes, from, from + take);
    return this.remaining === 0 ? from + take : BODY_PENDING;
  }

  private decodeFramed(bytes: Uint8Array, i: number, end: number): number {
    while (i < end) {
      switch (this.state) {
        case UNTIL_CLOSE:
          this.watcher?.content(bytes, i, end);
          return BODY_PENDING;
        case CHUNK_SIZE: {
          const b = bytes[i]!;
          const digit = HEX[b]!;
          if (++this.chunkLineBytes > MAX_CHUNK_LINE_BYTES) return this.invalid("chunk-size line too long");
          if (digit >= 0) {
            // Leading zeros are legal and do not count towards the precision limit.
            if ((this.remaining > 0 || digit > 0) && ++this.chunkDigits > MAX_CHUNK_SIZE_DIGITS) {
              return this.invalid("chunk size too large");
            }
            this.remaining = this.remaining * 16 + digit;
          } else if (this.chunkLineBytes === 1) {
            return this.invalid("invalid chunk size");
          } else if (b === SEMICOLON) {
            this.state = EXT_NAME_START;
          } else if (b === SP || b === HTAB) {
            this.state = SIZE_BWS;
          } else if (b === CR) {
            this.state = CHUNK_SIZE_LF;
          } else {
            return this.invalid(b === LF ? "chunk-size line not ended by CRLF" : "invalid chunk size");
          }
          i++;
          continue;
        }
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, end - i);
          if (this.watcher !== null && take > 0) this.watcher.content(bytes, i, i + take);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = CHUNK_DATA_CR;
          continue;
        }
        case CHUNK_DATA_CR:
          // RFC 9112 §7.1: CRLF after the data; the §2.2 leniency for a bare LF is for the head only.
          if (bytes[i] !== CR) return this.invalid("chunk data not followed by CRLF");
          this.state = CHUNK_DATA_LF;
          i++;
          continue;
        case CHUNK_DATA_LF:
          if (bytes[i] !== LF) return this.invalid("chunk data not followed by CRLF");
          this.startChunk();
          i++;
          continue;
        case CHUNK_SIZE_LF:
          if (bytes[i] !== LF) return this.invalid("chunk-size line not ended by CRLF");
          if (++this.chunkLineBytes > MAX_CHUNK_LINE_BYTES) return this.invalid("chunk-size line too long");
          i++;
          if (this.remaining > 0) {
            this.state = CHUNK_DATA;
          } else {
            this.trailerBytes = 0;
            this.state = TRAILER_START;
          }
          continue;
        case TRAILER_START: {
          const b = bytes[i]!;
          if (TCHAR[b]) this.state = TRAILER_NAME;
          else if (b === CR) this.state = TRAILER_END_LF;
          else return this.invalid(b === LF ? "trailer section not ended by CRLF" : "invalid trailer field");
          if (this.countTrailer(1)) return BODY_TOO_LARGE;
          i++;
          continue;
        }
        case TRAILER_NAME: {
          const start = i;
          while (i < end && TCHAR[bytes[i]!]) i++;
          if (this.countTrailer(i - start)) return BODY_TOO_LARGE;
          if (i === end) continue;
          // Whitespace before the colon included: RFC 9112 §5.1 makes it invalid.
          if (bytes[i] !== COLON) return this.invalid("invalid trailer field");
          this.state = TRAILER_VALUE;
          if (this.countTrailer(1)) return BODY_TOO_LARGE;
          i++;
          continue;
        }
        case TRAILER_VALUE: {
          // Trailer fields carry nothing either side uses: checked, bounded and skipped.
          const start = i;
          while (i < end && FIELD_TEXT[bytes[i]!]) i++;
          if (this.countTrailer(i - start)) return BODY_TOO_LARGE;
          if (i === end) continue;
          if (bytes[i] !== CR) return this.invalid(bytes[i] === LF ? "trailer line not ended by CRLF" : "control character in a trailer field");
          this.state = TRAILER_LF;
          if (this.countTrailer(1)) return BODY_TOO_LARGE;
          i++;
          continue;
        }
        case TRAILER_LF:
          if (bytes[i] !== LF) return this.invalid("trailer line not ended by CRLF");
          this.state = TRAILER_START;
          if (this.countTrailer(1)) return BODY_TOO_LARGE;
          i++;
          continue;
        case TRAILER_END_LF:
          if (bytes[i] !== LF) return this.invalid("trailer section not ended by CRLF");
          if (this.countTrailer(1)) return BODY_TOO_LARGE;
          return i + 1;
        default: {
          // The chunk extensions, byte by byte.
          if (++this.chunkLineBytes > MAX_CHUNK_LINE_BYTES) return this.invalid("chunk-size line too long");
          const next = this.extensionByte(bytes[i]!);
          if (next < 0) return this.invalid("invalid chunk extension");
          this.state = next;
          i++;
          continue;
        }
      }
    }
    return BODY_PENDING;
  }

  /** The state after one byte of chunk extensions, or -1 when the grammar does not allow it there. */
  private extensionByte(b: number): number {
    const whitespace = b === SP || b === HTAB;
    switch (this.state) {
      case SIZE_BWS:
        return whitespace ? SIZE_BWS : b === SEMICOLON ? EXT_NAME_START : -1;
      case EXT_NAME_START:
        return whitespace ? EXT_NAME_START : TCHAR[b] ? EXT_NAME : -1;
      case EXT_NAME:
        if (TCHAR[b]) return EXT_NAME;
        if (b === EQUALS) return EXT_VALUE_START;
        return whitespace ? EXT_NAME_BWS : afterExtension(b);
      case EXT_NAME_BWS:
        return whitespace ? EXT_NAME_BWS : b === EQUALS ? EXT_VALUE_START : b === SEMICOLON ? EXT_NAME_START : -1;
      case EXT_VALUE_START:
        return whitespace ? EXT_VALUE_START : b === DQUOTE ? EXT_QUOTED : TCHAR[b] ? EXT_TOKEN : -1;
      case EXT_TOKEN:
        if (TCHAR[b]) return EXT_TOKEN;
        return whitespace ? EXT_VALUE_BWS : afterExtension(b);
      case EXT_QUOTED:
        return QDTEXT[b] ? EXT_QUOTED : b === BACKSLASH ? EXT_QUOTED_PAIR : b === DQUOTE ? EXT_VALUE_END : -1;
      case EXT_QUOTED_PAIR:
        return FIELD_TEXT[b] ? EXT_QUOTED : -1;
      case EXT_VALUE_END:
        return whitespace ? EXT_VALUE_BWS : afterExtension(b);
      case EXT_VALUE_BWS:
        return whitespace ? EXT_VALUE_BWS : b === SEMICOLON ? EXT_NAME_START : -1;
    }
    return -1;
  }

  private startChunk(): void {
    this.remaining = 0;
    this.chunkDigits = 0;
    this.chunkLineBytes = 0;
    this.state = CHUNK_SIZE;
  }

  /** Returns true when the trailer section outgrew its limit. */
  private countTrailer(n: number): boolean {
    this.trailerBytes += n;
    if (this.trailerBytes <= this.maxTrailerBytes) return false;
    this.reason = "trailer section too large";
    return true;
  }

  private invalid(reason: string): number {
    this.reason = reason;
    return BODY_INVALID;
  }
}

/** What may follow a whole extension (a name, or a name and its value) right away: another one, or the line end. */
function afterExtension(b: number): number {
  return b === SEMICOLON ? EXT_NAME_START : b === CR ? CHUNK_SIZE_LF : -1;
}
