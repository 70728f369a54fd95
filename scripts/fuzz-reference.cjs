// The reference side of scripts/fuzz-parsers.ts, run with Node: llhttp, configured as Node's http
// server and client configure it (no lenient flags, 16 KiB of head), plus the one rule of Node's
// server that decides accept or reject on top of it (an HTTP/1.1 request needs Host).
//
// It listens on loopback and frames every message it is sent. The http.Server and ClientRequest
// APIs do not say where a message ends in the byte stream, so their parser is driven directly, one
// byte per execute(): the end of each message is then known exactly.
//
// Protocol, over one TCP connection: the fuzzer sends [side: u8 (0 request, 1 response)]
// [length: u32 LE][bytes]; the reference answers one JSON line per case:
// {"ends": [offsets after each message], "verdict": "ok"|"incomplete"|"error", "detail": "..."}.
"use strict";
const net = require("node:net");
const { HTTPParser } = require("_http_common");

const MAX_HEADER_SIZE = 16 * 1024;

// One parser per side, initialized again for every case as Node's own pool of parsers does: a
// parser made per case holds native memory until it is collected, gigabytes in a long run.
const parsers = [new HTTPParser(), new HTTPParser()];

function frame(side, bytes) {
  const parser = parsers[side];
  parser.initialize(side === 0 ? HTTPParser.REQUEST : HTTPParser.RESPONSE, {}, MAX_HEADER_SIZE, HTTPParser.kLenientNone);
  const ends = [];
  let at = 0;
  let begun = false;
  let status = 0;
  let keepAlive = true;
  let upgrade = false;
  let rejected = null;
  /** An interim (1xx) response was read: the final one must still come. */
  let interimOnly = false;
  let headers = [];
  parser[HTTPParser.kOnMessageBegin] = () => {
    begun = true;
    headers = [];
  };
  parser[HTTPParser.kOnHeaders] = (more) => {
    headers = headers.concat(more);
  };
  parser[HTTPParser.kOnHeadersComplete] = (major, minor, more, method, url, statusCode, statusMessage, isUpgrade, shouldKeepAlive) => {
    if (more) headers = headers.concat(more);
    status = statusCode;
    keepAlive = shouldKeepAlive;
    upgrade = isUpgrade;
    if (side === 0 && major === 1 && minor === 1 && !headers.some((h, k) => k % 2 === 0 && h.toLowerCase() === "host")) {
      rejected = "Node server: HTTP/1.1 request without Host";
    }
    // As Node's client: an interim response has no body, and the final one is still to come.
    return side === 1 && status >= 100 && status < 200 && status !== 101 ? 1 : 0;
  };
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnMessageComplete] = () => {
    begun = false;
    interimOnly = side === 1 && status >= 100 && status < 200 && status !== 101;
    if (!interimOnly) ends.push(at + 1);
  };
  // A message that ends the connection (or switches protocol) ends the framing: what follows is not HTTP.
  // Node's client reads past an interim response whatever its Connection field says.
  const stopped = () => ends.length > 0 && !begun && !interimOnly && (!keepAlive || upgrade);
  for (at = 0; at < bytes.length; at++) {
    const result = parser.execute(bytes.subarray(at, at + 1));
    if (rejected !== null) return { ends, verdict: "error", detail: rejected };
    if (typeof result !== "number") {
      if (stopped()) break;
      return { ends, verdict: "error", detail: result.code };
    }
    if (stopped() || (upgrade && !begun)) break;
  }
  if (side === 1 && begun) {
    // The connection closes: a body delimited by the close ends here; anything else was cut short.
    at = bytes.length - 1;
    const result = parser.finish();
    if (result instanceof Error) return { ends, verdict: "incomplete", detail: result.code };
  }
  // Node's client reports a connection closed after an interim response as a hang-up.
  return { ends, verdict: begun || interimOnly ? "incomplete" : "ok", detail: "" };
}

const server = net.createServer((socket) => {
  let buffered = Buffer.alloc(0);
  socket.on("data", (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    while (buffered.length >= 5) {
      const length = buffered.readUInt32LE(1);
      if (buffered.length < 5 + length) break;
      const side = buffered[0];
      const bytes = buffered.subarray(5, 5 + length);
      buffered = buffered.subarray(5 + length);
      let answer;
      try {
        answer = frame(side, bytes);
      } catch (error) {
        answer = { ends: [], verdict: "error", detail: `reference threw: ${error.message}` };
      }
      socket.write(`${JSON.stringify(answer)}\n`);
    }
  });
  socket.on("close", () => process.exit(0));
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
