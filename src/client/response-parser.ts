/**
 * An incremental HTTP/1.x response parser that works on bytes, across any packet boundary.
 *
 * The load engine needs three facts per response: that it is complete, its status, and whether the
 * connection may carry another request. Everything else (reason phrase, other fields, the body) is
 * checked for framing and skipped. So the parser is a byte-level state machine that never buffers a
 * message: between chunks it keeps a handful of numbers, which keeps memory per connection fixed
 * whatever a server sends and lets a response cost no allocation at all.
 *
 * Framing follows RFC 9112 §6.3, in its order: responses to HEAD and 1xx/204/304 responses have no
 * body; then Transfer-Encoding (chunked when chunked is the final coding, otherwise read until close);
 * then Content-Length; then the body runs until the server closes the connection. The body is
 * framed by the decoder the server's request parser uses too (src/http/body.ts).
 *
 * In the head, a bare LF is taken as a line end, as RFC 9112 §2.2 allows. The server refuses it,
 * because a proxy in front of it may read the LF as part of a value and so see other requests than
 * it does; a response goes no further than the engine, so no one can read it differently, and
 * refusing would only turn a quirky server's answers into errors. Chunked framing needs CRLF.
 */

import { CR, LF, SP, HTAB, COLON, SEMICOLON, COMMA, TCHAR, FIELD_TEXT, DQUOTE, BACKSLASH, EQUALS, QDTEXT, bytesOf, isDigit, lower } from "../http/bytes.ts";
import { BODY_PENDING, BodyDecoder, type BodyContent } from "../http/body.ts";
import { NO_NAME, NameMatcher, NameTable } from "../http/names.ts";

export interface ResponseSink {
  /** A final response was read completely. keepAlive: whether the connection may carry another request. */
  onResponse(status: number, keepAlive: boolean): void;
}

/**
 * Sees what response checks need (see `watch`): every header field, and the content of the body.
 * Nothing is kept for it: fields and body bytes are shown where they lie, in the read.
 */
export interface ResponseInspector extends BodyContent {
  /** A response's head begins (an interim 1xx's included): what the last one showed is forgotten. */
  startHead(): void;
  /** A header field: its name is bytes[nameFrom, nameTo), its value, without the whitespace around it, bytes[valueFrom, valueTo). */
  field(bytes: Uint8Array, nameFrom: number, nameTo: number, valueFrom: number, valueTo: number): void;
}

export interface ResponseParserOptions {
  /** Largest head (status line and fields), and largest trailer section, in bytes. */
  maxHeadBytes?: number;
}

/** What `execute` returns when the bytes are not HTTP/1.x; the engine counts it as a `parse` error. */
export const PARSE_ERROR = 1;

export const DEFAULT_MAX_HEAD_BYTES = 64 * 1024;


// States. The ones from VERSION to HEAD_END_LF read the head, whose size is bounded by
// maxHeadBytes; the order matters for that range check.
const START = 0;
const VERSION = 1;
const VERSION_SP = 2;
const STATUS = 3;
const STATUS_END = 4;
const REASON = 5;
const LINE_LF = 6;
const FIELD_START = 7;
const FIELD_NAME = 8;
const FIELD_VALUE = 9;
const FIELD_LF = 10;
const HEAD_END_LF = 11;
const BODY = 12;
const SWITCHED = 13;
const DEAD = 14;

const HTTP_1_DOT = bytesOf("HTTP/1.");

/** The three fields that decide framing and reuse; every other field is checked and skipped. */
const FIELDS = new NameTable(["content-length", "transfer-encoding", "connection"], { caseless: true });
const CONTENT_LENGTH = 0;
const TRANSFER_ENCODING = 1;
const CONNECTION = 2;
const NO_FIELD = NO_NAME;

const CLOSE_TOKEN = bytesOf("close");
const KEEP_ALIVE_TOKEN = bytesOf("keep-alive");
const CHUNKED_TOKEN = bytesOf("chunked");
const NO_TOKEN = new Uint8Array(0);

// Where a list element of a field value is: before it, inside it, after it (only OWS may follow),
// or in its parameters (`gzip;q=1`). Parameters do not matter, but those of a transfer coding are
// read by their grammar (RFC 9110 §10.1.4: `*( OWS ";" OWS token BWS "=" BWS ( token /
// quoted-string ) )`): a comma inside a quoted value is not the end of a coding, and a value that
// breaks the grammar cannot say which coding is the final one. Connection options have no
// parameters; what follows a ";" there is skipped to the next comma, so "close;x" still closes.
const BEFORE = 0;
const INSIDE = 1;
const AFTER = 2;
const PARAM_NAME_START = 3;
const PARAM_NAME = 4;
const PARAM_NAME_BWS = 5;
const PARAM_VALUE_START = 6;
const PARAM_TOKEN = 7;
const PARAM_QUOTED = 8;
const PARAM_QUOTED_PAIR = 9;
const PARAM_END = 10;
const SKIPPED_PARAMS = 11;

/** 15 decimal digits stay below 2^53, so a length is always counted exactly (and is 999 TB at most). */
const MAX_LENGTH_DIGITS = 15;


export class ResponseParser {
  /** Responses to requests made with HEAD have no body whatever their headers say. Set once per run. */
  headRequests = false;
  /** Why the parser stopped, for logs and tests; "" while all is well. A constant string, never built. */
  errorReason = "";

  private readonly maxHeadBytes: number;
  private state = START;
  /** A byte of the response being read has arrived (including any 1xx before it). */
  private pending = false;
  /** Bumped by reset(): a sink that resets from onResponse stops the chunk being parsed. */
  private epoch = 0;

  // Head.
  /** Framing bytes of the current head or trailer section seen in earlier chunks. */
  private headBytes = 0;
  private linePos = 0;
  private http10 = false;
  private status = 0;
  private sawField = false;
  private readonly names = new NameMatcher(FIELDS);
  /** The field whose value is being read, when it is one of the three that matter; else NO_FIELD. */
  private field = NO_FIELD;
  private contentLength = -1;
  private transferEncoding = false;
  private chunked = false;
  private connectionClose = false;
  private connectionKeepAlive = false;
  private keepAlive = false;

  // A list element of the value being read (Content-Length number, or a Connection/Transfer-Encoding token).
  private elementPos = BEFORE;
  private elementLength = 0;
  private elementNumber = 0;
  private elements = 0;
  private tokenMatch = 0;
  private tokenA: Uint8Array = NO_TOKEN;
  private tokenB: Uint8Array = NO_TOKEN;

  private readonly body: BodyDecoder;

  // Response checks (see `watch`): null, and no cost, when none is asked for.
  private inspector: ResponseInspector | null = null;
  /** Fields are shown to the inspector; a field cut by a read is collected here first. */
  private fieldBytes: Uint8Array | null = null;
  private fieldLength = 0;
  private fieldNameLength = 0;
  /** A field read by the state machine is shown once it is known to be complete (obs-fold may continue it). */
  private fieldPending = false;

  constructor(
    private readonly sink: ResponseSink,
    options: ResponseParserOptions = {},
  ) {
    this.maxHeadBytes = options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
    this.body = new BodyDecoder(this.maxHeadBytes);
  }

  /**
   * Shows `inspector` each response's fields (when `fields`) and body content (when `body`).
   * A field longer than `longestFieldBytes` (name, colon and value) is not shown: the inspector
   * says it could match none longer, so fields are collected across reads in a buffer that size.
   */
  watch(inspector: ResponseInspector, fields: boolean, body: boolean, longestFieldBytes: number): void {
    this.inspector = inspector;
    this.fieldBytes = fields ? new Uint8Array(longestFieldBytes) : null;
    this.body.watcher = body ? inspector : null;
  }

  /** True between responses (no byte of the next response seen). */
  get idle(): boolean {
    return this.state === START && !this.pending;
  }

  /**
   * Consumes bytes; calls sink.onResponse for each complete final response. Returns 0, or
   * PARSE_ERROR when the bytes are not valid HTTP/1.x; after an error it ignores input until reset().
   */
  execute(bytes: Uint8Array): number {
    if (this.state === DEAD) return PARSE_ERROR;
    const end = bytes.length;
    const epoch = this.epoch;
    let i = 0;
    // Where, in this chunk, the current head or trailer section began (0 when it began earlier).
    // Its size is checked when it ends and when the chunk ends, not byte by byte: nothing is kept,
    // so a long head costs no memory in between, and the hot path saves a counter per byte.
    let headFrom = 0;
    while (i < end && this.epoch === epoch) {
      switch (this.state) {
        case START: {
          // Some servers send a stray CRLF after a body; RFC 9112 §2.2 asks parsers to tolerate empty
          // lines before a start line. They are not part of a response, so the parser stays idle.
          const b = bytes[i]!;
          if (b === CR || b === LF) {
            i++;
            continue;
          }
          this.startHead();
          headFrom = i;
          const headEnd = this.wholeHead(bytes, i, end);
          if (headEnd < 0) return PARSE_ERROR;
          if (headEnd > 0) {
            i = headEnd;
            if (i - headFrom > this.maxHeadBytes) return this.fail("response head too large");
            this.endHead();
            continue;
          }
          // Read again byte by byte, from a clean head.
          this.startHead();
          this.state = VERSION;
          continue;
        }
        case VERSION: {
          // Fast path: the status line up to its code is nearly always within one read; taking it
          // whole saves ~10% of the time per response (scripts/bench-response-parser.ts).
          if (this.linePos === 0 && end - i >= 12 && this.statusLineAt(bytes, i)) {
            i += 12;
            this.state = STATUS_END;
            continue;
          }
          // "HTTP/1." then the minor digit; HTTP/1.2+ would be read with 1.1 semantics (RFC 9110 §2.5).
          const b = bytes[i]!;
          const pos = this.linePos;
          if (pos < 7) {
            if (b !== HTTP_1_DOT[pos]) return this.fail("not an HTTP/1.x status line");
            this.linePos = pos + 1;
          } else {
            if (!isDigit(b)) return this.fail("not an HTTP/1.x status line");
            this.http10 = b === 0x30;
            this.state = VERSION_SP;
          }
          i++;
          continue;
        }
        case VERSION_SP:
          if (bytes[i] !== SP) return this.fail("not an HTTP/1.x status line");
          this.linePos = 0;
          this.state = STATUS;
          i++;
          continue;
        case STATUS: {
          const b = bytes[i]!;
          if (!isDigit(b)) return this.fail("status code is not three digits");
          this.status = this.status * 10 + (b - 0x30);
          if (++this.linePos === 3) this.state = STATUS_END;
          i++;
          continue;
        }
        case STATUS_END: {
          // The reason phrase may be empty, and some servers then leave out the SP before it too.
          const b = bytes[i]!;
          if (b === SP) {
            this.state = REASON;
            i++;
          } else if (b === CR) {
            this.state = LINE_LF;
            i++;
          } else if (b === LF) {
            this.state = FIELD_START;
            i++;
          } else {
            return this.fail("status code is not three digits");
          }
          continue;
        }
        case REASON: {
          let b = 0;
          while (i < end && FIELD_TEXT[(b = bytes[i]!)]) i++;
          if (i === end) continue;
          if (b === CR) this.state = LINE_LF;
          else if (b === LF) this.state = FIELD_START;
          else return this.fail("control character in the reason phrase");
          i++;
          continue;
        }
        case LINE_LF:
          if (bytes[i] !== LF) return this.fail("CR without LF");
          this.state = FIELD_START;
          i++;
          continue;
        case FIELD_START: {
          const b = bytes[i]!;
          if (b === SP || b === HTAB) {
            // obs-fold: RFC 9112 §5.2 asks a user agent to read it as SP continuing the previous value.
            if (!this.sawField) return this.fail("whitespace before the first header field");
            this.state = FIELD_VALUE;
            continue;
          }
          // Only now is the previous field known to be complete.
          if (this.field !== NO_FIELD && this.endField()) return PARSE_ERROR;
          if (this.fieldPending) this.showCollectedField();
          if (TCHAR[b]) {
            this.state = FIELD_NAME;
            this.fieldLength = 0;
            continue;
          }
          if (b === CR) i++;
          else if (b !== LF) return this.fail("invalid header field name");
          this.state = HEAD_END_LF;
          continue;
        }
        case FIELD_NAME: {
          const start = i;
          while (i < end && TCHAR[bytes[i]!]) i++;
          const names = this.names;
          if (this.fieldBytes !== null) this.collectField(bytes, start, i);
          if (i === end) {
            names.part(bytes, start, i);
            continue;
          }
          // Whitespace before the colon included: RFC 9112 §5.1 makes it invalid (a smuggling vector).
          if (bytes[i] !== COLON) return this.fail("invalid header field name");
          if (this.fieldBytes !== null) {
            this.fieldNameLength = this.fieldLength;
            this.fieldPending = true;
          }
          this.startField(names.last(bytes, start, i));
          this.sawField = true;
          this.state = FIELD_VALUE;
          i++;
          continue;
        }
        case FIELD_VALUE: {
          let b = 0;
          const start = i;
          if (this.field === NO_FIELD) {
            while (i < end && FIELD_TEXT[(b = bytes[i]!)]) i++;
          } else {
            while (i < end && FIELD_TEXT[(b = bytes[i]!)]) {
              if (this.valueByte(b)) return PARSE_ERROR;
              i++;
            }
          }
          if (this.fieldPending) this.collectField(bytes, start, i);
          if (i === end) continue;
          if (b === CR) i++;
          else if (b !== LF) return this.fail("control character in a header field value");
          this.state = FIELD_LF;
          continue;
        }
        case FIELD_LF:
          if (bytes[i] !== LF) return this.fail("CR without LF");
          this.state = FIELD_START;
          i++;
          continue;
        case HEAD_END_LF:
          if (bytes[i] !== LF) return this.fail("CR without LF");
          i++;
          if (this.headBytes + (i - headFrom) > this.maxHeadBytes) return this.fail("response head too large");
          this.endHead();
          continue;
        case BODY: {
          const at = this.body.decode(bytes, i, end);
          if (at < 0) {
            if (at !== BODY_PENDING) return this.fail(this.body.reason);
            i = end;
            continue;
          }
          i = at;
          this.respond(this.keepAlive);
          continue;
        }
        case SWITCHED:
          // Bytes of another protocol after 101: skipped whole.
          i = end;
          continue;
      }
    }
    const state = this.state;
    if (state >= VERSION && state <= HEAD_END_LF) {
      this.headBytes += end - headFrom;
      if (this.headBytes > this.maxHeadBytes) return this.fail("response head too large");
    }
    return 0;
  }

  /**
   * The connection closed. Completes a close-delimited body (calls onResponse, keepAlive false).
   * Returns true when a response was cut short (some bytes of it had arrived, or it was mid-body),
   * which the engine counts as a "closed" error; false when the parser was between responses.
   * After a parse error it returns false: that response was already counted as a parse error.
   * The parser is left reset, ready for a new connection.
   */
  connectionClosed(): boolean {
    const untilClose = this.state === BODY && this.body.untilClose;
    const cutShort = this.state !== DEAD && this.state !== SWITCHED && !untilClose && !this.idle;
    const status = this.status;
    this.reset();
    if (untilClose) this.sink.onResponse(status, false);
    return cutShort;
  }

  /** Ready for a new connection. */
  reset(): void {
    this.epoch++;
    this.state = START;
    this.pending = false;
    this.errorReason = "";
  }

  /**
   * Reads a head that is whole in this read, status line to empty line, in a few tight loops: the
   * common case, ~10% cheaper than the state machine once compiled, and small enough to be compiled
   * sooner. Returns the index after the head; 0 for anything else (a head cut by the end of the
   * read, bare LF line ends, obs-fold, bytes that are not allowed), which the caller then reads
   * through the state machine, where every case is handled and every error named; or -1 when a
   * field that matters has an invalid value: valueByte() failed it exactly as it would there.
   */
  private wholeHead(bytes: Uint8Array, i: number, end: number): number {
    if (end - i < 12 || !this.statusLineAt(bytes, i)) return 0;
    i += 12;
    if (bytes[i] === SP) while (++i < end && FIELD_TEXT[bytes[i]!]);
    for (;;) {
      if (i + 2 >= end || bytes[i] !== CR || bytes[i + 1] !== LF) return 0;
      i += 2;
      const b = bytes[i]!;
      // A field continued on the next line (obs-fold) is left to the state machine.
      if (b === SP || b === HTAB) return 0;
      if (this.field !== NO_FIELD && this.endField()) return -1;
      if (b === CR) return bytes[i + 1] === LF ? i + 2 : 0;
      const nameFrom = i;
      while (i < end && TCHAR[bytes[i]!]) i++;
      if (i === nameFrom || i === end || bytes[i] !== COLON) return 0;
      const nameTo = i;
      const field = FIELDS.whole(bytes, nameFrom, i - nameFrom);
      i++;
      if (field === NO_FIELD) {
        while (i < end && FIELD_TEXT[bytes[i]!]) i++;
      } else {
        this.startField(field);
        for (let c = 0; i < end && FIELD_TEXT[(c = bytes[i]!)]; i++) if (this.valueByte(c)) return -1;
      }
      // Shown even when the line is cut by the read's end: the state machine then starts the head
      // again, and the inspector forgets what it was shown.
      if (this.fieldBytes !== null) showField(this.inspector!, bytes, nameFrom, nameTo, nameTo + 1, i);
    }
  }

  /** Bytes of the field being read by the state machine, kept while they fit. */
  private collectField(bytes: Uint8Array, from: number, to: number): void {
    const buffer = this.fieldBytes!;
    const n = this.fieldLength;
    // Past the buffer the field is longer than any the inspector could match: its length says so.
    if (n + (to - from) <= buffer.length) buffer.set(bytes.subarray(from, to), n);
    this.fieldLength = n + (to - from);
  }

  private showCollectedField(): void {
    this.fieldPending = false;
    const buffer = this.fieldBytes!;
    if (this.fieldLength <= buffer.length) showField(this.inspector!, buffer, 0, this.fieldNameLength, this.fieldNameLength, this.fieldLength);
  }

  /** Reads "HTTP/1.x ddd" at `i` in one go when it is there whole; false sends the bytes the slow way. */
  private statusLineAt(bytes: Uint8Array, i: number): boolean {
    if (
      bytes[i] !== 0x48 || bytes[i + 1] !== 0x54 || bytes[i + 2] !== 0x54 || bytes[i + 3] !== 0x50 ||
      bytes[i + 4] !== 0x2f || bytes[i + 5] !== 0x31 || bytes[i + 6] !== 0x2e || bytes[i + 8] !== SP
    ) {
      return false;
    }
    const minor = bytes[i + 7]! - 0x30;
    const d0 = bytes[i + 9]! - 0x30;
    const d1 = bytes[i + 10]! - 0x30;
    const d2 = bytes[i + 11]! - 0x30;
    // One unsigned comparison per digit: a byte below "0" wraps to a large number.
    if ((minor >>> 0) > 9 || (d0 >>> 0) > 9 || (d1 >>> 0) > 9 || (d2 >>> 0) > 9) return false;
    this.http10 = minor === 0;
    this.status = d0 * 100 + d1 * 10 + d2;
    return true;
  }

  private fail(reason: string): number {
    this.state = DEAD;
    this.errorReason = reason;
    return PARSE_ERROR;
  }

  private startHead(): void {
    this.inspector?.startHead();
    this.fieldPending = false;
    this.pending = true;
    this.headBytes = 0;
    this.linePos = 0;
    this.status = 0;
    this.sawField = false;
    this.names.reset();
    this.field = NO_FIELD;
    this.contentLength = -1;
    this.transferEncoding = false;
    this.chunked = false;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
  }

  private startField(field: number): void {
    this.field = field;
    this.elements = 0;
    this.startElement();
    if (field === CONNECTION) {
      this.tokenA = CLOSE_TOKEN;
      this.tokenB = KEEP_ALIVE_TOKEN;
    } else if (field === TRANSFER_ENCODING) {
      this.tokenA = CHUNKED_TOKEN;
      this.tokenB = NO_TOKEN;
    }
  }

  private startElement(): void {
    this.elementPos = BEFORE;
    this.elementLength = 0;
    this.elementNumber = 0;
    this.tokenMatch = 3;
  }

  /**
   * One byte of a Content-Length, Connection or Transfer-Encoding value. These are comma-separated
   * lists (RFC 9110 §5.6.1) read element by element as the bytes come, so no value is stored.
   * Returns true when the value is invalid (the parser has failed).
   */
  private valueByte(b: number): boolean {
    if (this.elementPos >= PARAM_NAME_START) return this.paramByte(b);
    if (b === COMMA) return this.endElement();
    if (b === SP || b === HTAB) {
      if (this.elementPos === INSIDE) this.elementPos = AFTER;
      return false;
    }
    if (this.field === CONTENT_LENGTH) {
      // Only digits: a sign, a fraction or a second number in one element is not a length.
      if (!isDigit(b) || this.elementPos === AFTER) return this.failed("invalid Content-Length");
      if (++this.elementLength > MAX_LENGTH_DIGITS) return this.failed("Content-Length too large");
      this.elementNumber = this.elementNumber * 10 + (b - 0x30);
      this.elementPos = INSIDE;
      return false;
    }
    // A Connection option or a transfer coding, compared with the two tokens that matter as it comes.
    const pos = this.elementPos;
    if (b === SEMICOLON) {
      this.elementPos = this.field === TRANSFER_ENCODING ? PARAM_NAME_START : SKIPPED_PARAMS;
      return false;
    }
    if (pos === AFTER) {
      // "keep alive": whitespace inside an element makes it match nothing.
      this.tokenMatch = 0;
      return false;
    }
    const n = this.elementLength;
    const c = lower(b);
    let match = this.tokenMatch;
    if (match & 1 && (n >= this.tokenA.length || this.tokenA[n] !== c)) match ^= 1;
    if (match & 2 && (n >= this.tokenB.length || this.tokenB[n] !== c)) match ^= 2;
    this.tokenMatch = match;
    this.elementLength = n + 1;
    this.elementPos = INSIDE;
    return false;
  }

  /** One byte after the ";" of a list element. Returns true when the grammar does not allow it (the parser has failed). */
  private paramByte(b: number): boolean {
    const whitespace = b === SP || b === HTAB;
    let next = -1;
    switch (this.elementPos) {
      case PARAM_NAME_START:
        next = whitespace ? PARAM_NAME_START : TCHAR[b] ? PARAM_NAME : -1;
        break;
      case PARAM_NAME:
        next = TCHAR[b] ? PARAM_NAME : b === EQUALS ? PARAM_VALUE_START : whitespace ? PARAM_NAME_BWS : -1;
        break;
      case PARAM_NAME_BWS:
        next = whitespace ? PARAM_NAME_BWS : b === EQUALS ? PARAM_VALUE_START : -1;
        break;
      case PARAM_VALUE_START:
        next = whitespace ? PARAM_VALUE_START : b === DQUOTE ? PARAM_QUOTED : TCHAR[b] ? PARAM_TOKEN : -1;
        break;
      case PARAM_TOKEN:
        next = TCHAR[b] ? PARAM_TOKEN : -2;
        break;
      case PARAM_QUOTED:
        next = QDTEXT[b] ? PARAM_QUOTED : b === BACKSLASH ? PARAM_QUOTED_PAIR : b === DQUOTE ? PARAM_END : -1;
        break;
      case PARAM_QUOTED_PAIR:
        next = FIELD_TEXT[b] ? PARAM_QUOTED : -1;
        break;
      case PARAM_END:
        next = -2;
        break;
      case SKIPPED_PARAMS:
        return b === COMMA ? this.endElement() : false;
    }
    // A whole parameter: OWS, then another parameter, the next element or the end of the field.
    if (next === -2) {
      if (b === COMMA) return this.endElement();
      next = whitespace ? PARAM_END : b === SEMICOLON ? PARAM_NAME_START : -1;
    }
    if (next < 0) return this.failed("invalid transfer-coding parameter");
    this.elementPos = next;
    return false;
  }

  /** A list element ended (comma or end of field). Empty elements are allowed and ignored. */
  private endElement(): boolean {
    const pos = this.elementPos;
    if (pos >= PARAM_NAME_START && pos !== PARAM_TOKEN && pos !== PARAM_END && pos !== SKIPPED_PARAMS) return this.failed("invalid transfer-coding parameter");
    const n = this.elementLength;
    if (n > 0) {
      this.elements++;
      switch (this.field) {
        case CONTENT_LENGTH:
          // Repeated lengths must agree (RFC 9112 §6.3): otherwise the framing is ambiguous.
          if (this.contentLength >= 0 && this.contentLength !== this.elementNumber) {
            return this.failed("differing Content-Length values");
          }
          this.contentLength = this.elementNumber;
          break;
        case CONNECTION:
          if (this.tokenMatch & 1 && n === this.tokenA.length) this.connectionClose = true;
          if (this.tokenMatch & 2 && n === this.tokenB.length) this.connectionKeepAlive = true;
          break;
        case TRANSFER_ENCODING:
          // Only the final coding decides the framing, across every Transfer-Encoding line.
          this.transferEncoding = true;
          this.chunked = (this.tokenMatch & 1) !== 0 && n === this.tokenA.length;
          break;
      }
    }
    this.startElement();
    return false;
  }

  private endField(): boolean {
    if (this.endElement()) return true;
    if (this.field === CONTENT_LENGTH && this.elements === 0) return this.failed("empty Content-Length");
    this.field = NO_FIELD;
    return false;
  }

  private failed(reason: string): true {
    this.fail(reason);
    return true;
  }

  /** The empty line after the fields: decides what follows. */
  private endHead(): void {
    const status = this.status;
    if (status >= 100 && status < 200) {
      if (status === 101) {
        // Switching Protocols ends HTTP on this connection; the engine never asks for it.
        this.state = SWITCHED;
        this.pending = false;
        this.sink.onResponse(status, false);
        return;
      }
      // Interim (100 Continue, 103 Early Hints…): no body, and the final response is still to come.
      this.state = START;
      return;
    }
    let keepAlive = this.http10 ? this.connectionKeepAlive && !this.connectionClose : !this.connectionClose;
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; with both, or in HTTP/1.0, the
    // framing may have been tampered with, and the connection must not be reused after it.
    if (this.transferEncoding && (this.contentLength >= 0 || this.http10)) keepAlive = false;
    if (this.headRequests || status === 204 || status === 304) {
      this.respond(keepAlive);
      return;
    }
    if (this.contentLength === 0 && !this.transferEncoding) {
      this.respond(keepAlive);
      return;
    }
    if (this.chunked) this.body.expectChunked();
    else if (this.contentLength > 0 && !this.transferEncoding) this.body.expectLength(this.contentLength);
    // A coding other than chunked last, or no length at all: the body runs until the server closes.
    else this.body.expectUntilClose();
    this.keepAlive = keepAlive;
    this.state = BODY;
  }

  private respond(keepAlive: boolean): void {
    // State first: the sink may reset() the parser from onResponse.
    this.state = START;
    this.pending = false;
    this.sink.onResponse(this.status, keepAlive);
  }
}

/** The field whose value, between the colon and the line end, is bytes[valueFrom, valueTo): shown without the whitespace around the value. */
function showField(inspector: ResponseInspector, bytes: Uint8Array, nameFrom: number, nameTo: number, valueFrom: number, valueTo: number): void {
  let from = valueFrom;
  let to = valueTo;
  while (from < to && (bytes[from] === SP || bytes[from] === HTAB)) from++;
  while (to > from && (bytes[to - 1] === SP || bytes[to - 1] === HTAB)) to--;
  inspector.field(bytes, nameFrom, nameTo, from, to);
}
