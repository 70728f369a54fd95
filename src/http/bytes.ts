/**
 * The byte classes of HTTP/1.1 syntax (RFC 9110 / 9112), shared by the server's request parser and
 * the client's response parser: both work on bytes, never on strings.
 */

export const CR = 0x0d;
export const LF = 0x0a;
export const SP = 0x20;
export const HTAB = 0x09;
export const COLON = 0x3a;
export const SEMICOLON = 0x3b;
export const COMMA = 0x2c;

/** Token characters of RFC 9110 §5.6.2: what a method or a field name is made of. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = TCHAR[c + 0x20] = 1;

/** Hex digit values, -1 for other bytes: chunk sizes. */
export const HEX = new Int8Array(256).fill(-1);
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c;
for (let c = 0; c < 6; c++) HEX[0x41 + c] = HEX[0x61 + c] = 10 + c;

/** Latin-1 text as bytes, for names and tokens compared on the hot path. */
export const bytesOf = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));

export const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;

/** ASCII lower case of one byte: header names and tokens compare case-insensitively. */
export const lower = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

/** Bytes allowed in a field value or reason phrase (RFC 9110 §5.5): HTAB, SP, VCHAR and obs-text. */
export const FIELD_TEXT = new Uint8Array(256);
FIELD_TEXT[HTAB] = 1;
for (let c = SP; c <= 0xff; c++) FIELD_TEXT[c] = c === 0x7f ? 0 : 1;

export const DQUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const EQUALS = 0x3d;

/** qdtext of RFC 9110 §5.6.4: field text but for `"` and `\`. */
export const QDTEXT = FIELD_TEXT.slice();
QDTEXT[DQUOTE] = QDTEXT[BACKSLASH] = 0;
