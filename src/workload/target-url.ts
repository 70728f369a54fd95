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
