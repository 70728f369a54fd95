import { defineCommand } from "citty";
import { UsageError } from "../errors.ts";

/** A command that is named in the contract but not built yet: it says so and exits 2, never pretends. */
export function notYet(name: string, description: string) {
  return defineCommand({
    meta: { name, description: `${description} (not implemented yet)` },
    run() {
      throw new UsageError(`${name}: not implemented yet`);
    },
  });
}
