import type { WakerSetup } from "./waker.ts";

/** The sleeping half of the open-loop waker: see `waker.ts` for why it exists. */
declare const self: Worker;

const epochUs = () => (performance.timeOrigin + performance.now()) * 1000;
/** Longest single sleep, so a stop or a new due time is noticed soon even without a notify. */
const MAX_SLEEP_MS = 2;

self.onmessage = async (event: MessageEvent<WakerSetup>) => {
  const { shared, port } = event.data;
  const slots = new Float64Array(shared, 0, 2);
  const notify = new Int32Array(shared, 16, 1);
  const socket = await Bun.udpSocket({});
  const ping = new Uint8Array(1);
  let wokenFor = Number.NaN;
  // Each step yields to this worker's event loop (setImmediate), so the datagram actually leaves.
  const step = () => {
    if (slots[1] !== 0) {
      socket.close();
      return;
    }
    const dueUs = slots[0]!;
    const waitUs = dueUs - epochUs();
    if (waitUs > 0) {
      Atomics.wait(notify, 0, Atomics.load(notify, 0), Math.min(waitUs / 1000, MAX_SLEEP_MS));
    } else if (dueUs !== wokenFor) {
      wokenFor = dueUs;
      socket.send(ping, port, "127.0.0.1");
    } else {
      // Sent for this due time and the scheduler has not set the next one yet: wait for it.
      Atomics.wait(notify, 0, Atomics.load(notify, 0), 0.05);
    }
    setImmediate(step);
  };
  step();
};
