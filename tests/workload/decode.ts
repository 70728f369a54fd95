import { readTargets, type TargetFormat } from "../../src/workload/targets.ts";
import { NO_DEFAULTS, type TargetDefaults, type TargetSpec } from "../../src/workload/target-spec.ts";

/** What a target decodes to, in plain values a test can compare exactly (bodies as latin1 text). */
export interface Decoded {
  method: string;
  url: string;
  headers: [string, string][];
  body: string | null;
  name: string | null;
  weight: number;
}

export const plain = (target: TargetSpec): Decoded => ({
  method: target.method,
  url: target.url.href,
  headers: target.headers,
  body: target.body === null ? null : Buffer.from(target.body).toString("latin1"),
  name: target.name,
  weight: target.weight,
});

export function decode(text: string, format: TargetFormat | null = null, defaults: TargetDefaults = NO_DEFAULTS): Decoded[] {
  const out: Decoded[] = [];
  readTargets({ file: "targets.txt", text }, format, defaults, (target) => out.push(plain(target)));
  return out;
}

/** The message a file is refused with. */
export function refusal(text: string, format: TargetFormat | null = null): string {
  try {
    decode(text, format);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected the file to be refused");
}

export const target = (method: string, url: string, more: Partial<Decoded> = {}): Decoded => ({
  method,
  url,
  headers: [],
  body: null,
  name: null,
  weight: 1,
  ...more,
});
