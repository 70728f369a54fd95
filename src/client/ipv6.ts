/**
 * The 16 bytes of an IPv6 address written as text: groups of hex digits, one "::" standing for a
 * run of zero groups, and a dotted IPv4 tail ("::ffff:1.2.3.4"). The text must already be a valid
 * address (node:net's isIPv6 says so) without a zone ("%eth0"): nothing here checks it again.
 */
export function ipv6Bytes(text: string): Uint8Array {
  const [head = "", tail] = text.split("::");
  const before = groups(head);
  const after = tail === undefined ? [] : groups(tail);
  const all = [...before, ...new Array<number>(8 - before.length - after.length).fill(0), ...after];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

/** The 16-bit groups of one side of "::"; a dotted IPv4 tail is two groups. */
function groups(part: string): number[] {
  if (part === "") return [];
  return part.split(":").flatMap((group) => {
    if (!group.includes(".")) return [parseInt(group, 16)];
    const [a, b, c, d] = group.split(".").map(Number) as [number, number, number, number];
    return [(a << 8) | b, (c << 8) | d];
  });
}
