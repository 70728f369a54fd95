import type { FFIFunction, Library } from "bun:ffi";

/**
 * libc's functions through `bun:ffi`, for the few things Bun has no API for (socket options of a
 * listener, client sockets on epoll). Linux only: glibc, else musl.
 */

const LIBC_NAMES = ["libc.so.6", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`];

/** The functions asked for, or null where there is no libc to open them from (not Linux, no FFI). */
export function openLibc<Fns extends Record<string, FFIFunction>>(functions: Fns): Library<Fns>["symbols"] | null {
  if (process.platform !== "linux") return null;
  for (const name of LIBC_NAMES) {
    try {
      // Loaded here, not imported: it costs start-up time, and most runs never need it.
      const { dlopen } = require("bun:ffi") as typeof import("bun:ffi");
      return dlopen(name, functions).symbols;
    } catch {
      // Not this libc (or no FFI at all): try the next name.
    }
  }
  return null;
}
