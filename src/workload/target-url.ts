import { restoreEncodedPlaceholders } from "./placeholders.ts";

/**
 * A target's URL, split once into where to connect and what to send. The request line carries the
 * path and query as written (as vegeta's Go client sends them: no dot-segment removal, no
 * re-encoding of what is already valid); only bytes that may not appear in a request-target are
 * percent-encoded. The Host field is the authority as written, without user information, which
 * becomes a Basic Authorization field as in Go's client.
 */
export interface TargetUrl {
  /** As written in the file. */
  href: string;
  tls: boolean;
  /** For connecting: lower case, IPv6 without brackets. */
  hostname: string;
  port: number;
  /** The Host field: host[:port] as written. */
  host: string;
  /** Path and query: the request-target of the request line. */
  target: string;
  /** `Basic …` from `user:password@`, or null. */
  authorization: string | null;
}

/** Bytes of a path or query sent as they are (RFC 3986 §3.3–3.4, with "%" of encodings already made). */
const UNSAFE_IN_TARGET = /[^!$-;=?-Z_a-z~]/;

/** The parts of an absolute http(s) URL, or null when it is not one. */
export function parseTargetUrl(href: string): TargetUrl | null {
  return plainTargetUrl(href) ?? parsedTargetUrl(href);
}

/**
 * The common case without a full URL parser (which is most of the time of loading a big URL
 * list): `http(s)://` and a host name of lower-case letters, digits, dots and dashes, or a dotted
 * IPv4 address, with an optional port. Anything else (user information, IPv6, upper case, a
 * numeric host a URL parser would rewrite) goes to the URL parser: null here.
 */
export function plainTargetUrl(href: string): TargetUrl | null {
  const tls = href.startsWith("https://");
  if (!tls && !href.startsWith("http://")) return null;
  const hostAt = tls ? 8 : 7;
  let end = hostAt;
  let colon = -1;
  for (; end < href.length; end++) {
    const c = href.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // / ? #
    if (c === 0x3a && colon < 0) colon = end;
    else if (!(c === 0x2d || c === 0x2e || (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a))) return null;
    else if (colon >= 0 && !(c >= 0x30 && c <= 0x39)) return null;
  }
  const hostname = href.slice(hostAt, colon < 0 ? end : colon);
  const portText = colon < 0 ? "" : href.slice(colon + 1, end);
  const port = portText === "" ? (tls ? 443 : 80) : Number(portText);
  if (hostname === "" || port > 65535 || portText.length > 5 || !plainHostname(hostname) || /\s/.test(href)) return null;
  const fragmentAt = href.indexOf("#", end);
  const raw = href.slice(end, fragmentAt < 0 ? href.length : fragmentAt);
  return { href, tls, hostname, port, host: href.slice(hostAt, end), target: requestTarget(raw.startsWith("/") ? raw : `/${raw}`), authorization: null };
}

/** The last name found plain: a big file names the same host line after line. */
let lastPlainHostname = "";

/** A name whose last label is not a number, or a dotted IPv4 address a URL parser leaves as it is. */
function plainHostname(name: string): boolean {
  if (name === lastPlainHostname) return true;
  if (!checkedPlainHostname(name)) return false;
  lastPlainHostname = name;
  return true;
}

function checkedPlainHostname(name: string): boolean {
  if (name.startsWith(".") || name.endsWith(".") || name.includes("..")) return false;
  const last = name.slice(name.lastIndexOf(".") + 1);
  if (!/^(?:\d+|0x[0-9a-f]*)$/.test(last)) return true;
  return /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(name);
}

export function parsedTargetUrl(href: string): TargetUrl | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  const tls = url.protocol === "https:";
  if ((!tls && url.protocol !== "http:") || /\s/.test(href)) return null;
  const authorityAt = href.indexOf("//") + 2;
  let authorityEnd = authorityAt;
  while (authorityEnd < href.length && !"/?#".includes(href[authorityEnd]!)) authorityEnd++;
  const authority = href.slice(authorityAt, authorityEnd);
  const fragmentAt = href.indexOf("#", authorityEnd);
  const raw = href.slice(authorityEnd, fragmentAt < 0 ? href.length : fragmentAt);
  return {
    href,
    tls,
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port === "" ? (tls ? 443 : 80) : Number(url.port),
    host: authority.slice(authority.lastIndexOf("@") + 1),
    target: requestTarget(raw.startsWith("/") ? raw : `/${raw}`),
    authorization: url.username === "" && url.password === "" ? null : basic(url),
  };
}

function requestTarget(raw: string): string {
  if (!UNSAFE_IN_TARGET.test(raw)) return raw;
  const encoded = Array.from(Buffer.from(raw, "utf8"), (byte) => {
    const c = String.fromCharCode(byte);
    return UNSAFE_IN_TARGET.test(c) ? `%${byte.toString(16).toUpperCase().padStart(2, "0")}` : c;
  }).join("");
  return restoreEncodedPlaceholders(encoded);
}

function basic(url: URL): string {
  const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(credentials, "utf8").toString("base64")}`;
}
