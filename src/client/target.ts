import { UsageError } from "../errors.ts";

/** Where requests go and the exact bytes of one request, encoded once for the whole run. */
export interface Target {
  url: string;
  hostname: string;
  port: number;
  tls: boolean;
  insecure: boolean;
  /** One complete request. */
  request: Uint8Array;
  /** The request was HEAD: responses carry no body. */
  head: boolean;
  /** The method is idempotent (RFC 9110 §9.2.2): the request may be sent again after its connection was lost. */
  idempotent: boolean;
}

export interface RequestSpec {
  url: string;
  method: string;
  headers: string[];
  body: Uint8Array | null;
  keepAlive: boolean;
  insecure: boolean;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

export function buildTarget(spec: RequestSpec): Target {
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new UsageError(`--url: expected an http:// or https:// URL, got ${JSON.stringify(spec.url)}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`--url: expected an http:// or https:// URL, got ${JSON.stringify(spec.url)}`);
  }
  const method = spec.method.toUpperCase();
  if (!TOKEN.test(method)) throw new UsageError(`--method: not a valid HTTP method: ${JSON.stringify(spec.method)}`);

  const tls = url.protocol === "https:";
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`];
  const names = new Set<string>();
  for (const header of spec.headers) {
    const colon = header.indexOf(":");
    const name = header.slice(0, colon).trim();
    const value = header.slice(colon + 1).trim();
    if (colon <= 0 || !TOKEN.test(name) || /[\r\n]/.test(value)) {
      throw new UsageError(`--header: expected "Name: value", got ${JSON.stringify(header)}`);
    }
    names.add(name.toLowerCase());
    lines.push(`${name}: ${value}`);
  }
  if (!names.has("host")) lines.splice(1, 0, `Host: ${url.host}`);
  if (spec.body !== null && !names.has("content-length")) lines.push(`Content-Length: ${spec.body.length}`);
  if (!spec.keepAlive && !names.has("connection")) lines.push("Connection: close");
  const head = new TextEncoder().encode(`${lines.join("\r\n")}\r\n\r\n`);
  const request = spec.body === null ? head : Buffer.concat([head, spec.body]);

  return {
    url: url.href,
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port ? Number(url.port) : tls ? 443 : 80,
    tls,
    insecure: spec.insecure,
    request,
    head: method === "HEAD",
    idempotent: IDEMPOTENT_METHODS.has(method),
  };
}
