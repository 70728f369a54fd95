/**
 * An incremental HTTP/1.1 request parser that works on bytes, across any packet boundary.
 *
 * It is a byte-level state machine that never buffers the request: what it keeps between chunks
 * is a handful of counters and, for the five header fields the server acts on, up to 256 bytes of
 * value. Memory per connection is therefore fixed whatever a client sends; a head past the limits
 * is refused as soon as the limit is crossed, not when it ends.
 *
 * The server only needs to know, for each request, that it is complete (head and body consumed)
 * and how the connection must behave after it, so the parser reports a request as a small set of
 * flags and keeps no strings.
 */

import { CR, LF, SP, HTAB, COLON, SEMICOLON, COMMA, TCHAR, HEX, bytesOf, isDigit, lower } from "../http/bytes.ts";

/** The request used `HEAD`: the response carries no body. */
export const REQUEST_HEAD = 1;
/** The connection must be closed after the response (`Connection: close`, or HTTP/1.0 by default). */
export const REQUEST_CLOSE = 2;
/** HTTP/1.0 keep-alive: the response must say `Connection: keep-alive`, or the client will wait for close. */
export const REQUEST_KEEP_ALIVE_10 = 4;

export interface RequestSink {
  /** A whole request, head and body, was read. */
  onRequest(flags: number): void;
  /** The client sent `Expect: 100-continue` and waits before it sends the body. */
  onContinue(): void;
}

export interface RequestLimits {
  /** Longest request line, in bytes with its line ending (414 past it). */
  maxRequestLineBytes: number;
  /** Longest header section, and longest chunked trailer section, in bytes with the empty line ending it (431 past it). */
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: RequestLimits = { maxRequestLineBytes: 8 * 1024, maxHeaderBytes: 16 * 1024 };


// States.
const LINE_START = 0;
const METHOD = 1;
const TARGET = 2;
const VERSION = 3;
const LINE_LF = 4;
const FIELD_START = 5;
const FIELD_NAME = 6;
const FIELD_OWS = 7;
const FIELD_VALUE = 8;
const FIELD_LF = 9;
const HEAD_END_LF = 10;
const BODY = 11;
const CHUNK_SIZE = 12;
const CHUNK_EXT = 13;
const CHUNK_SIZE_LF = 14;
const CHUNK_DATA = 15;
const CHUNK_DATA_CR = 16;
const CHUNK_DATA_LF = 17;
const TRAILER_START = 18;
const TRAILER_LINE = 19;
const TRAILER_END_LF = 20;
const TRAILER_LF = 21;
const DEAD = 22;

/** The header fields the server acts on; every other field is only checked and skipped. */
const FIELDS = ["content-length", "transfer-encoding", "connection", "host", "expect"].map(bytesOf);
const CONTENT_LENGTH = 0;
const TRANSFER_ENCODING = 1;
const CONNECTION = 2;
const HOST = 3;
const EXPECT = 4;
const ALL_FIELDS = (1 << FIELDS.length) - 1;
const NO_FIELD = -1;

const CLOSE_TOKEN = bytesOf("close");
const KEEP_ALIVE_TOKEN = bytesOf("keep-alive");
const CONTINUE_TOKEN = bytesOf("100-continue");

const MAX_VALUE_BYTES = 256;
const EMPTY = new Uint8Array(0);
const MAX_CHUNK_EXT_BYTES = 4096;
/** 13 hex digits stay below 2^53: larger chunk sizes cannot be counted exactly, and nobody sends them. */
const MAX_CHUNK_SIZE_DIGITS = 13;

const HTTP_SLASH = [0x48, 0x54, 0x54, 0x50, 0x2f]; // "HTTP/"
const HEAD_METHOD = [0x48, 0x45, 0x41, 0x44]; // "HEAD"

const isFieldValueByte = (b: number) => b === HTAB || (b >= SP && b !== 0x7f);

export class RequestParser {
  private state = LINE_START;
  /** Status code of the error that stopped the parser, 0 while all is well. */
  error = 0;

  // Request line.
  private lineBytes = 0;
  private methodLength = 0;
  private isHead = true;
  /** Bytes of `HTTP/d.d` seen so far, checked as they arrive. */
  private versionLength = 0;
  private majorVersion = 1;
  private minorVersion = 1;

  // Header section.
  private headBytes = 0;
  private nameLength = 0;
  private nameCandidates = 0;
  private field = NO_FIELD;
  /** The value of a field the server acts on; allocated on first need (most requests only have Host). */
  private value: Uint8Array | null = null;
  private valueLength = 0;
  private contentLength = -1;
  private chunked = false;
  private transferEncodingSeen = false;
  private hostCount = 0;
  private connectionClose = false;
  private connectionKeepAlive = false;
  private expectContinue = false;

  // Body.
  private remaining = 0;
  private chunkDigits = 0;
  private chunkExtBytes = 0;

  constructor(
    private readonly sink: RequestSink,
    private readonly limits: RequestLimits = DEFAULT_LIMITS,
  ) {}

  /** Whether the parser is between requests (nothing of a next request has arrived yet). */
  get idle(): boolean {
    return this.state === LINE_START && this.lineBytes === 0;
  }

  /** Whether the request line or header fields of a request are arriving (as opposed to its body). */
  get readingHead(): boolean {
    return this.state < BODY;
  }

  /**
   * Consumes `bytes`, reporting each complete request to the sink. Returns 0, or the status code to
   * answer with before closing (400, 414, 431, 505), once: after an error the parser ignores all
   * input and returns 0.
   */
  execute(bytes: Uint8Array): number {
    const end = bytes.length;
    let i = 0;
    while (i < end && this.state !== DEAD) {
      switch (this.state) {
        case LINE_START: {
          // RFC 9112 §2.2: empty lines before a request line are ignored.
          const b = bytes[i]!;
          if (b === CR || b === LF) {
            if (++this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(400);
            i++;
            continue;
          }
          this.startRequest();
          this.state = METHOD;
          continue;
        }
        case METHOD: {
          const b = bytes[i]!;
          if (b === SP) {
            if (this.methodLength === 0) return this.fail(400);
            this.isHead &&= this.methodLength === 4;
            this.state = TARGET;
          } else if (TCHAR[b]) {
            this.isHead &&= this.methodLength < 4 && HEAD_METHOD[this.methodLength] === b;
            this.methodLength++;
          } else {
            return this.fail(400);
          }
          if (++this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(414);
          i++;
          continue;
        }
        case TARGET: {
          // The target is not interpreted: every path gets the same answer. Scan it in a tight loop.
          const start = i;
          let b = 0;
          while (i < end && (b = bytes[i]!) > SP && b !== 0x7f) i++;
          this.lineBytes += i - start;
          if (this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(414);
          if (i === end) continue;
          // The target may have arrived in earlier chunks: it is empty only if nothing follows the method's space.
          if (b !== SP || this.lineBytes === this.methodLength + 1) return this.fail(400);
          this.lineBytes++;
          this.state = VERSION;
          i++;
          continue;
        }
        case VERSION: {
          const b = bytes[i]!;
          if (b === CR || b === LF) {
            const status = this.checkVersion();
            if (status) return this.fail(status);
            this.state = b === CR ? LINE_LF : FIELD_START;
          } else if (!this.versionByte(b)) {
            return this.fail(400);
          }
          if (++this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(414);
          i++;
          continue;
        }
        case LINE_LF:
          if (bytes[i] !== LF) return this.fail(400);
          if (++this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(414);
          this.state = FIELD_START;
          i++;
          continue;
        case FIELD_START: {
          const b = bytes[i]!;
          if (b === LF) {
            i++;
            if (this.countHead(1) || this.endHead()) return this.error;
            continue;
          }
          if (b === CR) {
            this.state = HEAD_END_LF;
          } else if (TCHAR[b]) {
            this.nameLength = 0;
            this.nameCandidates = ALL_FIELDS;
            this.state = FIELD_NAME;
            continue;
          } else {
            // Includes obsolete line folding (a line starting with SP or HTAB), which RFC 9112 lets a server reject.
            return this.fail(400);
          }
          if (this.countHead(1)) return this.error;
          i++;
          continue;
        }
        case FIELD_NAME: {
          const b = bytes[i]!;
          if (b === COLON) {
            if (this.nameLength === 0) return this.fail(400);
            this.field = this.matchedField();
            this.valueLength = 0;
            this.state = FIELD_OWS;
          } else if (TCHAR[b]) {
            this.matchNameByte(b);
            this.nameLength++;
          } else {
            // Whitespace between a field name and the colon is a smuggling vector: RFC 9112 §5.1 says reject.
            return this.fail(400);
          }
          if (this.countHead(1)) return this.error;
          i++;
          continue;
        }
        case FIELD_OWS: {
          const b = bytes[i]!;
          if (b === SP || b === HTAB) {
            if (this.countHead(1)) return this.error;
            i++;
            continue;
          }
          this.state = FIELD_VALUE;
          continue;
        }
        case FIELD_VALUE: {
          const start = i;
          let b = 0;
          while (i < end && isFieldValueByte((b = bytes[i]!))) i++;
          // Host is only counted: its value, which may be long, is not kept.
          if (this.field !== NO_FIELD && this.field !== HOST && this.keepValue(bytes, start, i)) return this.error;
          if (this.countHead(i - start)) return this.error;
          if (i === end) continue;
          if (b !== CR && b !== LF) return this.fail(400);
          if (this.endField()) return this.error;
          this.state = b === CR ? FIELD_LF : FIELD_START;
          if (this.countHead(1)) return this.error;
          i++;
          continue;
        }
        case FIELD_LF:
          if (bytes[i] !== LF) return this.fail(400);
          this.state = FIELD_START;
          if (this.countHead(1)) return this.error;
          i++;
          continue;
        case HEAD_END_LF:
          if (bytes[i] !== LF) return this.fail(400);
          i++;
          if (this.countHead(1) || this.endHead()) return this.error;
          continue;
        case BODY: {
          const take = Math.min(this.remaining, end - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.endRequest();
          continue;
        }
        case CHUNK_SIZE: {
          const b = bytes[i]!;
          const digit = HEX[b]!;
          if (digit >= 0) {
            if (++this.chunkDigits > MAX_CHUNK_SIZE_DIGITS) return this.fail(400);
            this.remaining = this.remaining * 16 + digit;
          } else if (this.chunkDigits === 0) {
            return this.fail(400);
          } else if (b === SEMICOLON || b === SP || b === HTAB) {
            this.state = CHUNK_EXT;
          } else if (b === CR) {
            this.state = CHUNK_SIZE_LF;
          } else if (b === LF) {
            this.endChunkSize();
          } else {
            return this.fail(400);
          }
          i++;
          continue;
        }
        case CHUNK_EXT: {
          // Chunk extensions carry nothing the server uses; they are skipped, within a bound.
          const b = bytes[i]!;
          if (b === CR) this.state = CHUNK_SIZE_LF;
          else if (b === LF) this.endChunkSize();
          else if (!isFieldValueByte(b) || ++this.chunkExtBytes > MAX_CHUNK_EXT_BYTES) return this.fail(400);
          i++;
          continue;
        }
        case CHUNK_SIZE_LF:
          if (bytes[i] !== LF) return this.fail(400);
          this.endChunkSize();
          i++;
          continue;
        case CHUNK_DATA: {
          const take = Math.min(this.remaining, end - i);
          i += take;
          this.remaining -= take;
          if (this.remaining === 0) this.state = CHUNK_DATA_CR;
          continue;
        }
        case CHUNK_DATA_CR: {
          const b = bytes[i]!;
          if (b === CR) this.state = CHUNK_DATA_LF;
          else if (b === LF) this.startChunk();
          else return this.fail(400);
          i++;
          continue;
        }
        case CHUNK_DATA_LF:
          if (bytes[i] !== LF) return this.fail(400);
          this.startChunk();
          i++;
          continue;
        case TRAILER_START: {
          const b = bytes[i]!;
          if (b === CR) this.state = TRAILER_END_LF;
          else if (b === LF) this.endRequest();
          else if (TCHAR[b]) this.state = TRAILER_LINE;
          else return this.fail(400);
          if (this.countHead(1)) return this.error;
          i++;
          continue;
        }
        case TRAILER_LINE: {
          // Trailer fields are allowed and ignored; only their size is bounded.
          const b = bytes[i]!;
          if (b === LF) this.state = TRAILER_START;
          else if (b === CR) this.state = TRAILER_LF;
          else if (!isFieldValueByte(b)) return this.fail(400);
          if (this.countHead(1)) return this.error;
          i++;
          continue;
        }
        case TRAILER_LF:
          if (bytes[i] !== LF) return this.fail(400);
          this.state = TRAILER_START;
          if (this.countHead(1)) return this.error;
          i++;
          continue;
        case TRAILER_END_LF:
          if (bytes[i] !== LF) return this.fail(400);
          i++;
          this.endRequest();
          continue;
      }
    }
    return 0;
  }

  private fail(status: number): number {
    this.state = DEAD;
    this.error = status;
    return status;
  }

  private refuse(status: number): true {
    this.fail(status);
    return true;
  }

  /** Ignores everything from now on: the server has decided to close the connection. */
  stop(): void {
    this.state = DEAD;
  }

  private startRequest(): void {
    this.lineBytes = 0;
    this.methodLength = 0;
    this.isHead = true;
    this.versionLength = 0;
    this.headBytes = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.transferEncodingSeen = false;
    this.hostCount = 0;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.expectContinue = false;
  }

  /** One byte of `HTTP/d.d`, checked where it stands, so nothing is buffered. False when it cannot be a version. */
  private versionByte(b: number): boolean {
    const at = this.versionLength++;
    if (at < 5) return HTTP_SLASH[at] === b;
    if (at === 6) return b === 0x2e;
    if ((at !== 5 && at !== 7) || !isDigit(b)) return false;
    if (at === 5) this.majorVersion = b - 0x30;
    else this.minorVersion = b - 0x30;
    return true;
  }

  /** Returns 0 for HTTP/1.0 and 1.1, 505 for another well-formed version, 400 for anything else. */
  private checkVersion(): number {
    if (this.versionLength !== 8) return 400;
    return this.majorVersion === 1 && this.minorVersion <= 1 ? 0 : 505;
  }

  /** Returns true (having failed) when the header section outgrows its limit. */
  private countHead(n: number): boolean {
    this.headBytes += n;
    if (this.headBytes > this.limits.maxHeaderBytes) {
      this.fail(431);
      return true;
    }
    return false;
  }

  private matchNameByte(b: number): void {
    let candidates = this.nameCandidates;
    if (candidates === 0) return;
    const c = lower(b);
    for (let k = 0; k < FIELDS.length; k++) {
      const name = FIELDS[k]!;
      if (candidates & (1 << k) && name[this.nameLength] !== c) candidates &= ~(1 << k);
    }
    this.nameCandidates = candidates;
  }

  private matchedField(): number {
    for (let k = 0; k < FIELDS.length; k++) {
      if (this.nameCandidates & (1 << k) && FIELDS[k]!.length === this.nameLength) return k;
    }
    return NO_FIELD;
  }

  private keepValue(bytes: Uint8Array, start: number, end: number): boolean {
    if (this.valueLength + (end - start) > MAX_VALUE_BYTES) {
      this.fail(400);
      return true;
    }
    // A plain loop: for a few bytes it beats creating a subarray view to copy from.
    const value = (this.value ??= new Uint8Array(MAX_VALUE_BYTES));
    for (let k = start; k < end; k++) value[this.valueLength++] = bytes[k]!;
    return false;
  }

  /** Interprets a complete field line the server acts on. Returns true when the request is refused. */
  private endField(): boolean {
    if (this.field === NO_FIELD) return false;
    if (this.field === HOST) {
      this.hostCount++;
      return false;
    }
    const value = this.value ?? EMPTY;
    let length = this.valueLength;
    while (length > 0 && (value[length - 1] === SP || value[length - 1] === HTAB)) length--;
    switch (this.field) {
      case CONTENT_LENGTH: {
        // Only plain digits; a repeated Content-Length must agree (RFC 9112 §6.3), or framing is ambiguous.
        if (length === 0 || length > 15) return this.refuse(400);
        let n = 0;
        for (let k = 0; k < length; k++) {
          const b = value[k]!;
          if (!isDigit(b)) return this.refuse(400);
          n = n * 10 + (b - 0x30);
        }
        if (this.contentLength >= 0 && this.contentLength !== n) return this.refuse(400);
        this.contentLength = n;
        return false;
      }
      case TRANSFER_ENCODING: {
        // Framing is only certain when chunked is the last coding, once (RFC 9112 §6.3); refuse the rest.
        if (this.transferEncodingSeen) return this.refuse(400);
        this.transferEncodingSeen = true;
        const codings = tokens(value.subarray(0, length));
        const chunkedAt = codings.indexOf("chunked");
        if (chunkedAt < 0 || chunkedAt !== codings.length - 1) return this.refuse(400);
        this.chunked = true;
        return false;
      }
      case CONNECTION:
        this.connectionClose ||= hasToken(value, length, CLOSE_TOKEN);
        this.connectionKeepAlive ||= hasToken(value, length, KEEP_ALIVE_TOKEN);
        return false;
      case EXPECT:
        this.expectContinue = hasToken(value, length, CONTINUE_TOKEN);
        return false;
    }
    return false;
  }

  /** The empty line after the fields: decides the framing. Returns true when the request is refused. */
  private endHead(): boolean {
    const http10 = this.minorVersion === 0;
    // RFC 9112 §3.2: an HTTP/1.1 request needs exactly one Host; §6.1: Transfer-Encoding needs HTTP/1.1
    // and must not come with Content-Length (the classic request-smuggling pair).
    if ((!http10 && this.hostCount !== 1) || this.hostCount > 1) return this.refuse(400);
    if (this.transferEncodingSeen && (http10 || this.contentLength >= 0)) return this.refuse(400);
    const hasBody = this.chunked || this.contentLength > 0;
    if (hasBody && this.expectContinue && !http10) this.sink.onContinue();
    if (this.chunked) {
      this.startChunk();
    } else if (this.contentLength > 0) {
      this.remaining = this.contentLength;
      this.state = BODY;
    } else {
      this.endRequest();
    }
    return false;
  }

  private startChunk(): void {
    this.remaining = 0;
    this.chunkDigits = 0;
    this.chunkExtBytes = 0;
    this.state = CHUNK_SIZE;
  }

  private endChunkSize(): void {
    if (this.remaining > 0) {
      this.state = CHUNK_DATA;
    } else {
      this.headBytes = 0;
      this.state = TRAILER_START;
    }
  }

  private endRequest(): void {
    const http10 = this.minorVersion === 0;
    let flags = this.isHead ? REQUEST_HEAD : 0;
    if (this.connectionClose || (http10 && !this.connectionKeepAlive)) flags |= REQUEST_CLOSE;
    else if (http10) flags |= REQUEST_KEEP_ALIVE_10;
    this.state = LINE_START;
    this.lineBytes = 0;
    this.sink.onRequest(flags);
  }
}

/**
 * Whether a comma-separated field value has an element equal to `token` (lower case), ignoring case
 * and optional whitespace. On bytes, because clients such as `ab -k` send `Connection` with every request.
 */
function hasToken(value: Uint8Array, length: number, token: Uint8Array): boolean {
  let i = 0;
  while (i < length) {
    while (i < length && (value[i] === SP || value[i] === HTAB || value[i] === COMMA)) i++;
    let k = 0;
    while (i < length && k < token.length && lower(value[i]!) === token[k]) i++, k++;
    let j = i;
    while (j < length && (value[j] === SP || value[j] === HTAB)) j++;
    if (k === token.length && (j === length || value[j] === COMMA)) return true;
    while (i < length && value[i] !== COMMA) i++;
  }
  return false;
}

/** The lower-cased, trimmed, comma-separated elements of a field value. Only for the rare Transfer-Encoding. */
function tokens(value: Uint8Array): string[] {
  return new TextDecoder("latin1")
    .decode(value)
    .toLowerCase()
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token.length > 0);
}
