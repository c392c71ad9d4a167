import assert from "node:assert/strict";
import { procStartTime } from "../../../lib/oci/state.ts";
import { signalAcrossExec, signalOurProcess } from "../../../lib/runtime/signal.ts";
import { executableOf } from "../../../lib/oci/state.ts";
import { RecordingSyscalls } from "../../fakes/recording_syscalls.ts";
import { realHost } from "../../../lib/host/host.ts";

/** Recorded kernel calls, the real /proc. */
const recorded = (sys: RecordingSyscalls) => ({ sys, procs: realHost().procs });

Deno.test("signalOurProcess: a process whose start time differs (reused pid) gets no signal", () => {
  const sys = new RecordingSyscalls();
  // our own pid, with a start time that is not ours: someone else's process now
  const ok = signalOurProcess(recorded(sys), Deno.pid, 1n, 15);
  assert.equal(ok, false);
  assert.deepEqual(sys.names(), ["pidfdOpen", "close"]);
});

Deno.test("signalOurProcess: the signal goes through the pidfd taken before the check", () => {
  const sys = new RecordingSyscalls();
  const ok = signalOurProcess(recorded(sys), Deno.pid, procStartTime(Deno.pid)!, 0);
  assert.equal(ok, true);
  assert.deepEqual(sys.calls.map((c) => [c.call, ...c.args]), [
    ["pidfdOpen", Deno.pid],
    ["pidfdSignal", 300 + Deno.pid, 0],
    ["close", 300 + Deno.pid],
  ]);
});

Deno.test("signalOurProcess: a process that is gone is not signalled", () => {
  const sys = new RecordingSyscalls({ kill: () => false });
  assert.equal(signalOurProcess(recorded(sys), 999999, 5n, 9), false);
  assert.deepEqual(sys.names(), ["pidfdOpen"]);
});

Deno.test("signalOurProcess for real: signal 0 to a live child, false once it is reaped", async () => {
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const start = procStartTime(child.pid)!;
  assert.equal(signalOurProcess(realHost(), child.pid, start, 0), true);
  assert.equal(signalOurProcess(realHost(), child.pid, start, 15), true);
  await child.status;
  assert.equal(signalOurProcess(realHost(), child.pid, start, 15), false);
});

// signalAcrossExec: the init replacing itself with the monitor while kill sends.
const EXEC_RACE: [what: string, exes: (string | null)[], signals: number, waited: boolean][] = [
  ["the monitor already runs: one signal", ["/usr/bin/qemu", "/usr/bin/qemu"], 1, false],
  ["the init still runs: one signal (its handler ends it)", ["/deno", "/deno"], 1, false],
  ["exec'd while we sent: again once the monitor catches it", ["/deno", "/usr/bin/qemu"], 2, true],
  ["gone after the send: nothing more to do", ["/deno", null], 1, false],
];

for (const [what, exes, signals, waited] of EXEC_RACE) {
  Deno.test(`signalAcrossExec: ${what}`, async () => {
    const sys = new RecordingSyscalls();
    const reads = [...exes];
    let awaited = false;
    const ok = await signalAcrossExec(recorded(sys), Deno.pid, procStartTime(Deno.pid)!, 15, {
      executable: () => reads.shift() ?? null,
      awaitHandler: (pid, signal) => {
        assert.deepEqual([pid, signal], [Deno.pid, 15]);
        assert.equal(sys.names().filter((n) => n === "pidfdSignal").length, 1, "after the first");
        awaited = true;
        return Promise.resolve(true);
      },
    });
    assert.equal(ok, true);
    assert.equal(sys.names().filter((n) => n === "pidfdSignal").length, signals);
    assert.equal(awaited, waited);
  });
}

Deno.test("signalAcrossExec: a process that is gone gets nothing and says so", async () => {
  const sys = new RecordingSyscalls({ kill: () => false });
  const ok = await signalAcrossExec(recorded(sys), 999999, 5n, 15, {
    executable: () => "/deno",
    awaitHandler: () => Promise.reject(new Error("must not wait")),
  });
  assert.equal(ok, false);
});

Deno.test("executableOf: our own executable; null for no process", () => {
  assert.equal(executableOf(Deno.pid), Deno.execPath());
  assert.equal(executableOf(999999999), null);
});
