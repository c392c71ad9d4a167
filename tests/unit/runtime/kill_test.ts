// kill through a recording host: the signal goes through a pidfd to the
// process we started, and a container with no live process is "not running".
import assert from "node:assert/strict";
import { join } from "node:path";
import { ContainerNotRunningError } from "../../../lib/errors.ts";
import { killContainer } from "../../../lib/runtime/kill.ts";
import { type ContainerState, EXEC_FIFO } from "../../../lib/runtime/store.ts";
import { type FakeProcess, RecordingHost } from "../../fakes/recording_host.ts";

const PIDFD = 300 + 4242; // the recorder's pidfd for pid 4242

interface Case {
  name: string;
  pid?: number;
  /** The fake /proc entry of pid 4242; absent: no such process. */
  proc?: FakeProcess;
  /** The exec fifo exists: created, not started. */
  created?: boolean;
  signal?: number;
  /** pidfd_send_signal finds the process exited (ESRCH). */
  exitedMeanwhile?: boolean;
  want: "signalled" | "not running";
  calls: string[];
}

/** A container of its own PID namespace whose init is pid 4242 (start time 777). */
function containerState(pid = 4242): ContainerState {
  return {
    id: "k1",
    pid,
    pidStartTime: "777",
    phase: "created",
    namespaces: [{ type: "pid" }],
  } as ContainerState;
}

const alive: FakeProcess = { startTime: 777n, state: "alive" };

const cases: Case[] = [
  {
    name: "a running monitor gets the signal through its pidfd",
    proc: alive,
    want: "signalled",
    calls: ["pidfdOpen 4242", `pidfdSignal ${PIDFD},15`, `close ${PIDFD}`],
  },
  {
    name: "a created container's init gets it too (it has handlers)",
    proc: alive,
    created: true,
    signal: 9,
    want: "signalled",
    calls: ["pidfdOpen 4242", `pidfdSignal ${PIDFD},9`, `close ${PIDFD}`],
  },
  {
    name: "a create still running (pid 0) has nothing to signal",
    pid: 0,
    want: "not running",
    calls: [],
  },
  { name: "a process that is gone", want: "not running", calls: [] },
  {
    name: "a zombie (exited, not reaped yet)",
    proc: { startTime: 777n, state: "zombie" },
    want: "not running",
    calls: [],
  },
  {
    name: "a reused pid (another start time) is someone else's",
    proc: { startTime: 1n, state: "alive" },
    want: "not running",
    calls: [],
  },
  {
    name: "a process that exits between the check and the signal",
    proc: alive,
    exitedMeanwhile: true,
    want: "not running",
    calls: ["pidfdOpen 4242", `pidfdSignal ${PIDFD},15`, `close ${PIDFD}`],
  },
];

for (const c of cases) {
  Deno.test(`kill: ${c.name}`, async () => {
    const dir = Deno.makeTempDirSync({ prefix: "urunc-kill-" });
    try {
      if (c.created) Deno.writeTextFileSync(join(dir, EXEC_FIFO), "");
      const host = new RecordingHost(
        c.exitedMeanwhile ? { sys: { kill: (_pid, sig) => sig === 0 } } : {},
      );
      if (c.proc) host.processes.set(4242, { ...c.proc });
      const state = containerState(c.pid ?? 4242);
      const run = killContainer(host, state, dir, c.signal ?? 15);
      if (c.want === "signalled") await run;
      else {
        await assert.rejects(
          run,
          (e: Error) =>
            e instanceof ContainerNotRunningError && e.message === "container not running",
        );
      }
      assert.deepEqual(host.sys.calls.map((x) => `${x.call} ${x.args.join(",")}`), c.calls);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("kill waits for a young monitor's handler before it signals (SIGTERM to PID 1)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "urunc-kill-" });
  try {
    const host = new RecordingHost();
    const proc: FakeProcess = { startTime: 777n, state: "alive", caught: 0n };
    host.processes.set(4242, proc);
    let reads = 0;
    const caught = host.procs.caughtSignals;
    host.procs.caughtSignals = (pid) => {
      // The handler goes in after a few looks, and the signal only after that.
      if (++reads === 3) proc.caught = 1n << 14n;
      assert.equal(host.sys.calls.length, 0, "no signal before the handler is in");
      return caught(pid);
    };
    const state = containerState();
    await killContainer(host, state, dir, 15);
    assert.equal(reads, 3);
    assert.deepEqual(host.sys.names(), ["pidfdOpen", "pidfdSignal", "close"]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("kill across the init's execve: the signal goes again once the monitor catches it", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "urunc-kill-" });
  try {
    const proc: FakeProcess = { startTime: 777n, state: "alive", exe: "/deno" };
    let sent = 0;
    const host = new RecordingHost({
      sys: {
        // The init's handler takes the first SIGTERM, then it execs the monitor.
        kill: (_pid, signal) => {
          if (signal === 15 && ++sent === 1) proc.exe = "/usr/bin/qemu-system-x86_64";
          return true;
        },
      },
    });
    host.processes.set(4242, proc);
    const state = containerState();
    await killContainer(host, state, dir, 15);
    assert.deepEqual(
      host.sys.calls.filter((c) => c.call === "pidfdSignal").map((c) => c.args[1]),
      [15, 15],
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
