import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { encodeRequest } from "../../src/workload/encode.ts";
import { readTargets } from "../../src/workload/targets.ts";
import { NO_DEFAULTS, type TargetSpec } from "../../src/workload/target-spec.ts";
import { parsedTargetUrl, parseTargetUrl, plainTargetUrl } from "../../src/workload/target-url.ts";
import { tempDir } from "../support/temp-dir.ts";

/** The bytes each decoded target is sent as, exactly. */

function specs(text: string): TargetSpec[] {
  const out: TargetSpec[] = [];
  readTargets({ file: "t", text }, null, NO_DEFAULTS, (spec) => out.push(spec));
  return out;
}

function wire(text: string, keepAlive = true): string[] {
  return specs(text).map((spec) => encodeRequest(spec, keepAlive, []));
}

const dir = tempDir("encode");
const bodyFile = join(dir, "body.bin");
writeFileSync(bodyFile, Uint8Array.from([0x7b, 0x00, 0xff, 0x7d]));

describe("a target as request bytes", () => {
  test("GET: Host first, headers in file order, no Content-Length", () => {
    expect(wire("GET http://goku:9090/path/to/dragon?item=ball\nX-Account-ID: 99\nx-b: 2\n")).toEqual([
      "GET /path/to/dragon?item=ball HTTP/1.1\r\nHost: goku:9090\r\nX-Account-ID: 99\r\nx-b: 2\r\n\r\n",
    ]);
  });

  test("a body (binary, byte for byte) with its Content-Length; POST without body says Content-Length: 0", () => {
    expect(wire(`PUT http://a/blob\n@${bodyFile}\n\nPOST http://a/empty\n\nDELETE http://a/x\n`)).toEqual([
      "PUT /blob HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n{\x00\xff}",
      "POST /empty HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
      "DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n",
    ]);
  });

  test("the target's Host header replaces the URL's; its Content-Length is replaced by the true one", () => {
    expect(wire('{"method":"POST","url":"http://127.0.0.1:8080/","header":{"host":["example.com"],"Content-Length":["99"]},"body":"aGk="}')).toEqual([
      "POST / HTTP/1.1\r\nHost: example.com\r\nContent-Length: 2\r\n\r\nhi",
    ]);
  });

  test("user:password@ becomes Basic authorization unless the target has an Authorization header", () => {
    expect(wire("GET http://us%40er:p%3Ass@goku:9090/path/to\n\nGET http://u:p@goku/\nAuthorization: Token X\n")).toEqual([
      "GET /path/to HTTP/1.1\r\nHost: goku:9090\r\nAuthorization: Basic dXNAZXI6cDpzcw==\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: goku\r\nAuthorization: Token X\r\n\r\n",
    ]);
    expect(Buffer.from("dXNAZXI6cDpzcw==", "base64").toString()).toBe("us@er:p:ss");
  });

  test("without keep-alive: Connection: close, unless the target says otherwise", () => {
    expect(wire("GET http://a/\n\nGET http://a/k\nConnection: keep-alive\n", false)).toEqual([
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
      "GET /k HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\n\r\n",
    ]);
  });

  test("a UTF-8 header value is sent as its UTF-8 bytes", () => {
    expect(wire("GET http://a/\nX-Name: café\n")).toEqual(["GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\r\n\r\n"]);
  });
});

describe("a target's URL", () => {
  test.each([
    ["http://a", "a", 80, "/"],
    ["http://a?x=1", "a", 80, "/?x=1"],
    ["https://A.example:8443/p/../q?r#frag", "A.example:8443", 8443, "/p/../q?r"],
    ["http://[::1]:8080/x", "[::1]:8080", 8080, "/x"],
    ['http://a/é%20"quote"|^[1]', "a", 80, "/%C3%A9%20%22quote%22%7C%5E%5B1%5D"],
    ["http://a/{{seq}}/{x}?q={{uuid}}", "a", 80, "/{{seq}}/%7Bx%7D?q={{uuid}}"],
  ] as const)("%s: Host %s, port %d, request-target %s", (href, host, port, target) => {
    const url = parseTargetUrl(href);
    expect(url).not.toBeNull();
    expect([url!.host, url!.port, url!.target]).toEqual([host, port, target]);
  });

  test("connects to the host name in lower case, IPv6 without brackets", () => {
    expect(parseTargetUrl("https://A.Example/")).toMatchObject({ hostname: "a.example", port: 443, tls: true });
    expect(parseTargetUrl("http://[::1]/")).toMatchObject({ hostname: "::1", port: 80, tls: false });
  });

  test("anything but an absolute http(s) URL is none", () => {
    for (const href of ["/path", "ftp://a/", "http//a", "http://a/b c", "", "http://"]) expect(parseTargetUrl(href)).toBeNull();
  });

  test("the fast path for plain URLs agrees with the URL parser wherever it answers", () => {
    const hosts = ["a", "127.0.0.1", "0.0.0.0", "255.255.255.255", "256.1.1.1", "1.2.3", "0x10", "a.b-c.example", "a..b", "x1", "9", "A", "a.", "[::1]", "u:p@a"];
    const ports = ["", ":", ":0", ":80", ":8080", ":65535", ":65536", ":123456", ":x"];
    const rests = ["", "/", "/a/b?c=d", "?q", "#f", "/é", "/{{seq}}", "/a b"];
    let plain = 0;
    for (const scheme of ["http://", "https://"]) {
      for (const host of hosts) {
        for (const port of ports) {
          for (const rest of rests) {
            const href = `${scheme}${host}${port}${rest}`;
            const fast = plainTargetUrl(href);
            if (fast === null) continue;
            plain++;
            expect([href, fast]).toEqual([href, parsedTargetUrl(href)!]);
          }
        }
      }
    }
    expect(plain).toBeGreaterThan(200);
  });
});
