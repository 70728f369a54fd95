import { describe, expect, test } from "bun:test";
import { ipv6Bytes } from "../../src/client/ipv6.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

describe("ipv6Bytes", () => {
  test("eight full groups", () => {
    expect(hex(ipv6Bytes("2001:0db8:85a3:0000:0000:8a2e:0370:7334"))).toBe("20010db885a3000000008a2e03707334");
  });

  test(":: stands for the zero groups wherever it is", () => {
    expect(hex(ipv6Bytes("::"))).toBe("0".repeat(32));
    expect(hex(ipv6Bytes("::1"))).toBe(`${"0".repeat(30)}01`);
    expect(hex(ipv6Bytes("fe80::"))).toBe(`fe80${"0".repeat(28)}`);
    expect(hex(ipv6Bytes("2001:db8::8:800:200c:417a"))).toBe("20010db80000000000080800200c417a");
  });

  test("short groups are padded, letters in either case", () => {
    expect(hex(ipv6Bytes("1:2:3:4:5:6:7:8"))).toBe("00010002000300040005000600070008");
    expect(hex(ipv6Bytes("ABCD::Ef"))).toBe(`abcd${"0".repeat(24)}00ef`);
  });

  test("a dotted IPv4 tail is the last two groups", () => {
    expect(hex(ipv6Bytes("::ffff:1.2.3.4"))).toBe(`${"0".repeat(20)}ffff01020304`);
    expect(hex(ipv6Bytes("64:ff9b::192.0.2.33"))).toBe(`0064ff9b${"0".repeat(16)}c0000221`);
  });
});
