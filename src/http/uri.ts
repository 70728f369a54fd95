/**
 * The request-target (RFC 9112 §3.2) and Host (RFC 9112 §3.2, RFC 3986 §3.2.2) grammars, checked
 * byte by byte as they arrive, so nothing of them is kept.
 *
 * Only the syntax is checked: a target the grammar does not allow (a raw byte ≥ 0x80, a `#`, a `|`,
 * userinfo, a bad percent-encoding) is refused, because a server that accepts what an intermediary
 * would read differently is a server that can be lied to.
 */

import { SP, HTAB, HEX, isDigit } from "./bytes.ts";

const PERCENT = 0x25;
const SLASH = 0x2f;
const COLON = 0x3a;
const QUESTION = 0x3f;
const ASTERISK = 0x2a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const table = (chars: string, base?: Uint8Array): Uint8Array => {
  const t = base ? base.slice() : new Uint8Array(256);
  for (const c of chars) t[c.charCodeAt(0)] = 1;
  return t;
};
const ALPHA = table("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
/** unreserved and sub-delims (RFC 3986 §2): what a reg-name is made of, besides percent-encodings. */
const REG_NAME = table("0123456789-._~!$&'()*+,;=", ALPHA);
/** pchar without percent-encodings, with "/" and "?": every byte of a path and a query (RFC 3986 §3.3–3.4). */
const PATH = table(":@/?", REG_NAME);
/** Inside brackets (RFC 3986 §3.2.2): an IPv6 address is hex digits, ":" and a dotted IPv4 tail… */
const IPV6 = table("0123456789abcdefABCDEF:.");
/** …and an IPvFuture is "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ). */
const IP_FUTURE = table(":", REG_NAME);
const SCHEME = table("0123456789+-.", ALPHA);

// Host states.
const HOST_START = 0;
const REG = 1;
const REG_PCT1 = 2;
const REG_PCT2 = 3;
const LITERAL = 4;
const LITERAL_V6 = 5;
const FUTURE_VERSION = 6;
const FUTURE_VERSION_MORE = 7;
const FUTURE_ADDRESS = 8;
const FUTURE_ADDRESS_MORE = 9;
const LITERAL_END = 10;
const PORT = 11;
const HOST_OWS = 12;
const HOST_INVALID = 13;

/** `uri-host [ ":" port ]`, byte by byte: the Host field value, and the authority of a target. */
export class HostSyntax {
  private state = HOST_START;
  private hostBytes = 0;
  private portDigits = 0;
  private colons = 0;

  begin(): void {
    this.state = HOST_START;
    this.hostBytes = 0;
    this.portDigits = 0;
  }

  /** One byte; SP and HTAB only as trailing OWS of a field value. False once the value cannot be a host. */
  byte(b: number): boolean {
    this.state = this.next(b);
    return this.state !== HOST_INVALID;
  }

  /** The bytes[from, to) of a field value, as byte() would take them one by one, with the name and port in tight loops. */
  feed(bytes: Uint8Array, from: number, to: number): boolean {
    let i = from;
    while (i < to) {
      const start = i;
      if (this.state === REG) {
        while (i < to && REG_NAME[bytes[i]!]) i++;
        this.hostBytes += i - start;
      } else if (this.state === PORT) {
        while (i < to && isDigit(bytes[i]!)) i++;
        this.portDigits += i - start;
      }
      if (i === to) break;
      if (!this.byte(bytes[i]!)) return false;
      i++;
    }
    return true;
  }

  /** Whether what came so far is a whole host; needHost and needPort: whether each must be non-empty. */
  complete(needHost: boolean, needPort: boolean): boolean {
    const state = this.state;
    const whole = state === HOST_START || state === REG || state === LITERAL_END || state === PORT || state === HOST_OWS;
    return whole && (!needHost || this.hostBytes > 0) && (!needPort || this.portDigits > 0);
  }

  private next(b: number): number {
    switch (this.state) {
      case HOST_START:
      case REG:
        // A reg-name may be empty, so the first byte is read as one unless it opens an IP literal.
        if (b === OPEN_BRACKET && this.state === HOST_START) return LITERAL;
        if (REG_NAME[b]) return this.hostBytes++, REG;
        if (b === PERCENT) return REG_PCT1;
        if (b === COLON) return PORT;
        return b === SP || b === HTAB ? HOST_OWS : HOST_INVALID;
      case REG_PCT1:
        return HEX[b]! >= 0 ? REG_PCT2 : HOST_INVALID;
      case REG_PCT2:
        return HEX[b]! >= 0 ? (this.hostBytes++, REG) : HOST_INVALID;
      case LITERAL:
        this.colons = 0;
        if (b === 0x76 || b === 0x56) return this.hostBytes++, FUTURE_VERSION;
        return this.ipv6Byte(b);
      case LITERAL_V6:
        return this.ipv6Byte(b);
      case FUTURE_VERSION:
      case FUTURE_VERSION_MORE:
        if (HEX[b]! >= 0) return this.hostBytes++, FUTURE_VERSION_MORE;
        return b === 0x2e && this.state === FUTURE_VERSION_MORE ? FUTURE_ADDRESS : HOST_INVALID;
      case FUTURE_ADDRESS:
      case FUTURE_ADDRESS_MORE:
        if (IP_FUTURE[b]) return this.hostBytes++, FUTURE_ADDRESS_MORE;
        return b === CLOSE_BRACKET && this.state === FUTURE_ADDRESS_MORE ? LITERAL_END : HOST_INVALID;
      case LITERAL_END:
        if (b === COLON) return PORT;
        return b === SP || b === HTAB ? HOST_OWS : HOST_INVALID;
      case PORT:
        if (isDigit(b)) return this.portDigits++, PORT;
        return b === SP || b === HTAB ? HOST_OWS : HOST_INVALID;
      case HOST_OWS:
        return b === SP || b === HTAB ? HOST_OWS : HOST_INVALID;
    }
    return HOST_INVALID;
  }

  private ipv6Byte(b: number): number {
    if (IPV6[b]) {
      if (b === COLON) this.colons++;
      this.hostBytes++;
      return LITERAL_V6;
    }
    // Every IPv6 address has two colons at least ("::"), so a bracketed name or number is not one.
    return b === CLOSE_BRACKET && this.colons >= 2 ? LITERAL_END : HOST_INVALID;
  }
}

/** Which target forms the method allows (RFC 9112 §3.2.3–3.2.4). */
export const ORDINARY_METHOD = 0;
export const CONNECT_METHOD = 1;
export const OPTIONS_METHOD = 2;

// Target states.
const TARGET_START = 0;
const ORIGIN = 1;
const PATH_PCT1 = 2;
const PATH_PCT2 = 3;
const ASTERISK_FORM = 4;
const SCHEME_NAME = 5;
const SCHEME_SLASH1 = 6;
const SCHEME_SLASH2 = 7;
const AUTHORITY = 8;
const TARGET_INVALID = 9;

/**
 * request-target = origin-form / absolute-form / authority-form / asterisk-form, byte by byte.
 * Absolute-form is taken with an authority (`scheme://host[:port]`), the only form that names an
 * HTTP resource; userinfo is refused (RFC 9110 §4.2.4), and so is a fragment (RFC 9112 §3.2).
 */
export class TargetSyntax {
  private state = TARGET_START;
  private method = ORDINARY_METHOD;
  private readonly host = new HostSyntax();

  begin(method: number): void {
    this.state = TARGET_START;
    this.method = method;
  }

  /**
   * Reads bytes[from, end) up to the SP that ends the target. Returns the index of that SP, `end`
   * when the target goes on in the next read, or -1 at a byte the target cannot hold.
   */
  scan(bytes: Uint8Array, from: number, end: number): number {
    let i = from;
    while (i < end) {
      const b = bytes[i]!;
      if (b === SP) return i;
      switch (this.state) {
        case ORIGIN:
          // The common case, in a tight loop.
          while (i < end && PATH[bytes[i]!]) i++;
          if (i === end || bytes[i] === SP) continue;
          if (bytes[i] !== PERCENT) return -1;
          this.state = PATH_PCT1;
          i++;
          continue;
        case TARGET_START:
          this.state = this.firstByte(b);
          break;
        case PATH_PCT1:
          this.state = HEX[b]! >= 0 ? PATH_PCT2 : TARGET_INVALID;
          break;
        case PATH_PCT2:
          this.state = HEX[b]! >= 0 ? ORIGIN : TARGET_INVALID;
          break;
        case SCHEME_NAME:
          this.state = SCHEME[b] ? SCHEME_NAME : b === COLON ? SCHEME_SLASH1 : TARGET_INVALID;
          break;
        case SCHEME_SLASH1:
          this.state = b === SLASH ? SCHEME_SLASH2 : TARGET_INVALID;
          break;
        case SCHEME_SLASH2:
          this.state = b === SLASH ? AUTHORITY : TARGET_INVALID;
          this.host.begin();
          break;
        case AUTHORITY:
          if ((b === SLASH || b === QUESTION) && this.method !== CONNECT_METHOD) {
            // The path and query after an authority have the grammar of origin-form's.
            this.state = this.host.complete(true, false) ? ORIGIN : TARGET_INVALID;
            continue;
          }
          if (b === SP || b === HTAB || !this.host.byte(b)) this.state = TARGET_INVALID;
          break;
        default:
          // After "*", or anything invalid.
          this.state = TARGET_INVALID;
      }
      if (this.state === TARGET_INVALID) return -1;
      i++;
    }
    return end;
  }

  /** Whether the target read so far is whole, now that the SP after it came. */
  complete(): boolean {
    switch (this.state) {
      case ORIGIN:
      case ASTERISK_FORM:
        return true;
      case AUTHORITY:
        return this.host.complete(true, this.method === CONNECT_METHOD);
    }
    return false;
  }

  private firstByte(b: number): number {
    // CONNECT takes only authority-form, and authority-form is only for CONNECT.
    if (this.method === CONNECT_METHOD) {
      this.host.begin();
      return this.host.byte(b) ? AUTHORITY : TARGET_INVALID;
    }
    if (b === SLASH) return ORIGIN;
    if (b === ASTERISK) return this.method === OPTIONS_METHOD ? ASTERISK_FORM : TARGET_INVALID;
    return ALPHA[b] ? SCHEME_NAME : TARGET_INVALID;
  }
}
