import { describe, expect, test } from "bun:test";
import { BODY_INVALID, BODY_PENDING, BodyDecoder } from "../../src/http/body.ts";
import { bytes } from "../client/response-harness.ts";

// The cases that need both parsers are in body-framing.test.ts; these are the decoder's own contract.
describe("BodyDecoder", () => {
  test("returns the index just after the body, wherever in the read it ends", () => {
    const decoder = new BodyDecoder(1024);
    const read = bytes("xxhelloNEXT");
    decoder.expectLength(5);
    expect(decoder.decode(read, 2, read.length)).toBe(7);
    decoder.expectChunked();
    const chunked = bytes("3\r\nabc\r\n0\r\n\r\nNEXT");
    expect(decoder.decode(chunked, 0, chunked.length)).toBe(chunked.length - 4);
  });

  test("a body spread over reads is pending until its last byte", () => {
    const decoder = new BodyDecoder(1024);
    decoder.expectLength(6);
    expect(decoder.decode(bytes("abc"), 0, 3)).toBe(BODY_PENDING);
    expect(decoder.decode(bytes("de"), 0, 2)).toBe(BODY_PENDING);
    expect(decoder.decode(bytes("fGET"), 0, 4)).toBe(1);
  });

  test("a close-delimited body takes every byte and never ends by itself", () => {
    const decoder = new BodyDecoder(1024);
    decoder.expectUntilClose();
    expect(decoder.untilClose).toBe(true);
    const read = bytes("0\r\n\r\nHTTP/1.1 200 OK\r\n\r\n");
    for (let k = 0; k < 3; k++) expect(decoder.decode(read, 0, read.length)).toBe(BODY_PENDING);
    decoder.expectLength(1);
    expect(decoder.untilClose).toBe(false);
  });

  test("a failure says why", () => {
    const decoder = new BodyDecoder(1024);
    decoder.expectChunked();
    expect(decoder.decode(bytes("5\nhello"), 0, 7)).toBe(BODY_INVALID);
    expect(decoder.reason).toBe("chunk-size line not ended by CRLF");
  });
});
