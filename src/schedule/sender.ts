import type { Tally } from "../stats/tally.ts";
import type { EngineListener } from "../client/engine.ts";

/** What a scheduler needs of the connection engine: a fake one lets schedulers be tested without sockets. */
export interface Sender {
  /** Sends one request meant to go at `intendedUs` (now, if omitted); false when no slot is free. */
  send(intendedUs?: number): boolean;
  readonly freeSlots: number;
  readonly inFlight: number;
  /** An `once` workload has sent every request: the run ends once they are answered. */
  readonly exhausted: boolean;
  tally: Tally;
  listener: EngineListener;
}

export type Clock = () => number;

/** Rings `onRing` at a set time with sub-millisecond precision (see `waker.ts`); optional: a 1 ms timer is the back-stop. */
export interface Alarm {
  set(dueUs: number): void;
  onRing: () => void;
}
