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
 * flags and keeps no strings. It still reads the whole head by the grammar of RFC 9112 (the
 * request-target and Host by RFC 3986's), and refuses what the grammar does not allow: a server
 * that guesses at a malformed request may frame it differently from a proxy in front of it. The
 * body is framed by the decoder the client's response parser uses too (src/http/body.ts).
 */

import { CR, LF, SP, HTAB, COLON, COMMA, TCHAR, FIELD_TEXT, bytesOf, isDigit, lower } from "../http/bytes.ts";
import { BODY_PENDING, BODY_TOO_LARGE, BodyDecoder } from "../http/body.ts";
import { NO_NAME, NameMatcher, NameTable } from "../http/names.ts";
import { CONNECT_METHOD, HostSyntax, OPTIONS_METHOD, ORDINARY_METHOD, TargetSyntax } from "../http/uri.ts";

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


// States. Every line of the head must end in CRLF: RFC 9112 §2.2 lets a recipient take a bare LF
// as a line end, but a server that does, behind a proxy that reads the LF as part of a value
// (`Dummy: x\nContent-Length: 23`), sees a field the proxy never saw, which is how a request gets
// smuggled past it. nginx and h2o refuse bare LF in their strict modes; so does this parser, from
// the request line to the empty line, and the body decoder does inside chunked framing.
const LINE_START = 0;
const LINE_START_LF = 1;
const METHOD = 2;
const TARGET = 3;
const VERSION = 4;
const LINE_LF = 5;
const FIELD_START = 6;
const FIELD_NAME = 7;
const FIELD_OWS = 8;
const FIELD_VALUE = 9;
const FIELD_LF = 10;
const HEAD_END_LF = 11;
const BODY = 12;
const DEAD = 13;

/** The header fields the server acts on; every other field is only checked and skipped. */
const FIELDS = new NameTable(["content-length", "transfer-encoding", "connection", "host", "expect"], { caseless: true });
const CONTENT_LENGTH = 0;
const TRANSFER_ENCODING = 1;
const CONNECTION = 2;
const HOST = 3;
const EXPECT = 4;
const NO_FIELD = NO_NAME;

/** The methods that change how a request is read or answered; methods are case-sensitive. */
const METHODS = new NameTable(["HEAD", "CONNECT", "OPTIONS"], { caseless: false });
const HEAD = 0;
const CONNECT = 1;
const OPTIONS = 2;

const CLOSE_TOKEN = bytesOf("close");
const KEEP_ALIVE_TOKEN = bytesOf("keep-alive");
const CONTINUE_TOKEN = bytesOf("100-continue");
const CODINGS = new NameTable(["chunked"], { caseless: true });
const CHUNKED = 0;

const MAX_VALUE_BYTES = 256;
const EMPTY = new Uint8Array(0);

const HTTP_SLASH = bytesOf("HTTP/");

export class RequestParser {
  private state = LINE_START;
  /** Status code of the error that stopped the parser, 0 while all is well. */
  error = 0;

  // Request line.
  private lineBytes = 0;
  private readonly methodName = new NameMatcher(METHODS);
  private method = NO_NAME;
  private readonly target = new TargetSyntax();
  /** Bytes of `HTTP/d.d` seen so far, checked as they arrive. */
  private versionLength = 0;
  private majorVersion = 1;
  private minorVersion = 1;

  // Header section.
  private headBytes = 0;
  private readonly fieldName = new NameMatcher(FIELDS);
  private field = NO_FIELD;
  /** The value of a field the server acts on; allocated on first need (most requests only have Host). */
  private value: Uint8Array | null = null;
  private valueLength = 0;
  private contentLength = -1;
  private chunked = false;
  private transferEncodingSeen = false;
  private hostCount = 0;
  private readonly host = new HostSyntax();
  private connectionClose = false;
  private connectionKeepAlive = false;
  private expectContinue = false;

  private readonly body: BodyDecoder;

  constructor(
    private readonly sink: RequestSink,
    private readonly limits: RequestLimits = DEFAULT_LIMITS,
  ) {
    this.body = new BodyDecoder(limits.maxHeaderBytes);
  }

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
   * answer with before closing (400, 414, 431, 501, 505), once: after an error the parser ignores
   * all input and returns 0.
   */
  execute(bytes: Uint8Array): number {
    const end = bytes.length;
    let i = 0;
    while (i < end && this.state !== DEAD) {
      switch (this.state) {
        case LINE_START: {
          // RFC 9112 §2.2: empty lines (CRLF) before a request line are ignored.
          const b = bytes[i]!;
          if (b === CR) {
            this.state = LINE_START_LF;
          } else if (b === LF) {
            return this.fail(400);
          } else {
            this.startRequest();
            this.state = METHOD;
            continue;
          }
          if (++this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(400);
          i++;
          continue;
        }
        case LINE_START_LF:
          if (bytes[i] !== LF) return this.fail(400);
          if (++this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(400);
          this.state = LINE_START;
          i++;
          continue;
        case METHOD: {
          const start = i;
          while (i < end && TCHAR[bytes[i]!]) i++;
          this.lineBytes += i - start;
          if (this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(414);
          const names = this.methodName;
          if (i === end) {
            names.part(bytes, start, i);
            continue;
          }
          if (bytes[i] !== SP || this.lineBytes === 0) return this.fail(400);
          this.method = names.last(bytes, start, i);
          this.target.begin(this.method === CONNECT ? CONNECT_METHOD : this.method === OPTIONS ? OPTIONS_METHOD : ORDINARY_METHOD);
          this.state = TARGET;
          this.lineBytes++;
          i++;
          continue;
        }
        case TARGET: {
          const start = i;
          const at = this.target.scan(bytes, i, end);
          if (at < 0) return this.fail(400);
          i = at;
          this.lineBytes += i - start;
          if (this.lineBytes > this.limits.maxRequestLineBytes) return this.fail(414);
          if (i === end) continue;
          if (!this.target.complete()) return this.fail(400);
          this.lineBytes++;
          this.state = VERSION;
          i++;
          continue;
        }
        case VERSION: {
          const b = bytes[i]!;
          if (b === CR) {
            const status = this.checkVersion();
            if (status) return this.fail(status);
            this.state = LINE_LF;
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
          if (b === CR) {
            this.state = HEAD_END_LF;
          } else if (TCHAR[b]) {
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
          const start = i;
          while (i < end && TCHAR[bytes[i]!]) i++;
          if (this.countHead(i - start)) return this.error;
          const names = this.fieldName;
          if (i === end) {
            names.part(bytes, start, i);
            continue;
          }
          // Whitespace between a field name and the colon is a smuggling vector: RFC 9112 §5.1 says reject.
          if (bytes[i] !== COLON) return this.fail(400);
          this.field = names.last(bytes, start, i);
          if (this.field === HOST) this.host.begin();
          this.valueLength = 0;
          this.state = FIELD_OWS;
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
          while (i < end && FIELD_TEXT[(b = bytes[i]!)]) i++;
          if (this.countHead(i - start)) return this.error;
          if (this.field !== NO_FIELD && this.valueBytes(bytes, start, i)) return this.error;
          if (i === end) continue;
          if (b !== CR) return this.fail(400);
          if (this.endField()) return this.error;
          this.state = FIELD_LF;
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
          const at = this.body.decode(bytes, i, end);
          if (at < 0) {
            if (at !== BODY_PENDING) return this.fail(at === BODY_TOO_LARGE ? 431 : 400);
            i = end;
            continue;
          }
          i = at;
          this.endRequest();
          continue;
        }
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
    this.methodName.reset();
    this.fieldName.reset();
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

  /**
   * Returns 0 for HTTP/1.x, 505 for another major version, 400 for anything else. A minor version
   * above 1 is read, and answered, as HTTP/1.1: RFC 9110 §2.5 makes minor versions compatible.
   */
  private checkVersion(): number {
    if (this.versionLength !== 8) return 400;
    return this.majorVersion === 1 ? 0 : 505;
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

  /** Bytes of the value of a field the server acts on. Returns true when the request is refused. */
  private valueBytes(bytes: Uint8Array, start: number, end: number): boolean {
    if (this.field === HOST) {
      // Host is checked as it comes: its value, which may be long, is not kept.
      return this.host.feed(bytes, start, end) ? false : this.refuse(400);
    }
    if (this.valueLength + (end - start) > MAX_VALUE_BYTES) return this.refuse(400);
    // A plain loop: for a few bytes it beats creating a subarray view to copy from.
    const value = (this.value ??= new Uint8Array(MAX_VALUE_BYTES));
    for (let k = start; k < end; k++) value[this.valueLength++] = bytes[k]!;
    return false;
  }

  /** Interprets a complete field line the server acts on. Returns true when the request is refused. */
  private endField(): boolean {
    if (this.field === NO_FIELD) return false;
    if (this.field === HOST) {
      // RFC 9112 §3.2: an invalid Host is a 400, like a missing or repeated one.
      this.hostCount++;
      return this.host.complete(false, false) ? false : this.refuse(400);
    }
    const value = this.value ?? EMPTY;
    let length = this.valueLength;
    // Only SP and HTAB are whitespace around a value (RFC 9110 §5.6.3): not NBSP, not the rest of Unicode.
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
      case TRANSFER_ENCODING:
        // Framing is only certain when chunked is the last coding, once (RFC 9112 §6.3); refuse the rest.
        if (this.transferEncodingSeen || !endsInChunked(value, length)) return this.refuse(400);
        this.transferEncodingSeen = true;
        this.chunked = true;
        return false;
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
    // A 2xx to CONNECT turns the connection into a tunnel (RFC 9112 §6.3): the client would take our
    // 200's body for tunnel bytes and send bytes we would read as requests. This server is no proxy.
    if (this.method === CONNECT) return this.refuse(501);
    const hasBody = this.chunked || this.contentLength > 0;
    if (hasBody && this.expectContinue && !http10) this.sink.onContinue();
    if (!hasBody) {
      this.endRequest();
      return false;
    }
    if (this.chunked) this.body.expectChunked();
    else this.body.expectLength(this.contentLength);
    this.state = BODY;
    return false;
  }

  private endRequest(): void {
    const http10 = this.minorVersion === 0;
    let flags = this.method === HEAD ? REQUEST_HEAD : 0;
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

/**
 * Whether a Transfer-Encoding value is a list of transfer codings (tokens, RFC 9112 §7) whose last
 * element, and only that one, is `chunked`. Codings with parameters are refused with the rest: no
 * client has a reason to send them to this server, and each leniency is a way to disagree with a proxy.
 */
function endsInChunked(value: Uint8Array, length: number): boolean {
  let chunkedSeen = false;
  let i = 0;
  while (i < length) {
    const b = value[i]!;
    if (b === SP || b === HTAB || b === COMMA) {
      i++;
      continue;
    }
    if (!TCHAR[b] || chunkedSeen) return false;
    const start = i;
    while (i < length && TCHAR[value[i]!]) i++;
    chunkedSeen = CODINGS.whole(value, start, i - start) === CHUNKED;
  }
  return chunkedSeen;
}
