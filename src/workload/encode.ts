import { expandPlaceholders } from "./placeholders.ts";
import type { TargetSpec } from "./target-spec.ts";

/**
 * One target as the bytes of an HTTP/1.1 request, in the order Go's client (vegeta's) writes the
 * fields that matter: Host first (the target's own Host header wins, as in vegeta), then the
 * headers in order, Authorization from `user:password@` unless one is given, Content-Length,
 * and `Connection: close` without keep-alive. Content-Length is computed from the body — a
 * Content-Length header of the file is replaced, as Go does — and sent when there is a body or
 * the method is POST, PUT or PATCH.
 *
 * The result is a binary string (one character per byte) so that placeholder positions are byte
 * offsets; the request pool copies it into its buffer.
 */

const CONTENT_METHODS = new Set(["POST", "PUT", "PATCH"]);

/** Appends each placeholder's position (from the request's first byte), kind and width to `patches`. */
export function encodeRequest(spec: TargetSpec, keepAlive: boolean, patches: number[]): string {
  const bodyPatches: number[] = [];
  const body = spec.body === null ? "" : expandPlaceholders(binary(spec.body), 0, bodyPatches);
  let host = spec.url.host;
  let fields = "";
  let authorization = spec.url.authorization;
  let connection = keepAlive;
  for (const [name, value] of spec.headers) {
    const lower = name.toLowerCase();
    if (lower === "host") {
      if (host === spec.url.host) host = value;
      continue;
    }
    if (lower === "content-length") continue;
    if (lower === "authorization") authorization = null;
    if (lower === "connection") connection = true;
    fields += `${name}: ${value}\r\n`;
  }
  if (authorization !== null) fields += `Authorization: ${authorization}\r\n`;
  if (body.length > 0 || CONTENT_METHODS.has(spec.method)) fields += `Content-Length: ${body.length}\r\n`;
  if (!connection) fields += "Connection: close\r\n";
  const text = `${spec.method} ${spec.url.target} HTTP/1.1\r\nHost: ${host}\r\n${fields}\r\n`;
  const head = expandPlaceholders(/^[\x00-\x7f]*$/.test(text) ? text : binary(Buffer.from(text, "utf8")), 0, patches);
  for (let i = 0; i < bodyPatches.length; i += 3) patches.push(head.length + bodyPatches[i]!, bodyPatches[i + 1]!, bodyPatches[i + 2]!);
  return head + body;
}

const binary = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
