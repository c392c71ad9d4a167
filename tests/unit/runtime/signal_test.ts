import assert from "node:assert/strict";
import { procStartTime } from "../../../lib/oci/state.ts";
import { signalOurProcess } from "../../../lib/runtime/signal.ts";
import { RecordingSyscalls } from "../../fakes/recording_syscalls.ts";
import { realSyscalls } from "../../../ffi/syscalls.ts";

Deno.test("signalOurProcess: a process whose start time differs (reused pid) gets no signal", () => {
  const sys = new RecordingSyscalls();
  // our own pid, with a start time that is not ours: someone else's process now
  const ok = signalOurProcess(sys, Deno.pid, 1n, 15);
  assert.equal(ok, false);
  assert.deepEqual(sys.names(), ["pidfdOpen", "close"]);
});

Deno.test("signalOurProcess: the signal goes through the pidfd taken before the check", () => {
  const sys = new RecordingSyscalls();
  const ok = signalOurProcess(sys, Deno.pid, procStartTime(Deno.pid)!, 0);
  assert.equal(ok, true);
  assert.deepEqual(sys.calls.map((c) => [c.call, ...c.args]), [
    ["pidfdOpen", Deno.pid],
    ["pidfdSignal", 300 + Deno.pid, 0],
    ["close", 300 + Deno.pid],
  ]);
});

Deno.test("signalOurProcess: a process that is gone is not signalled", () => {
  const sys = new RecordingSyscalls({ kill: () => false });
  assert.equal(signalOurProcess(sys, 999999, 5n, 9), false);
  assert.deepEqual(sys.names(), ["pidfdOpen"]);
});

Deno.test("signalOurProcess for real: signal 0 to a live child, false once it is reaped", async () => {
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const start = procStartTime(child.pid)!;
  assert.equal(signalOurProcess(realSyscalls(), child.pid, start, 0), true);
  assert.equal(signalOurProcess(realSyscalls(), child.pid, start, 15), true);
  await child.status;
  assert.equal(signalOurProcess(realSyscalls(), child.pid, start, 15), false);
});
