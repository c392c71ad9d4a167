// start's side of the exec-fifo protocol with a recording Syscalls: what the
// init child wrote (or did not write) before EOF decides success or the error.
import assert from "node:assert/strict";
import { join } from "node:path";
import { POLLHUP, POLLIN } from "../../../ffi/syscalls.ts";
import { silentLogger } from "../../../lib/log.ts";
import { processState, procStartTime } from "../../../lib/oci/state.ts";
import { releaseInit } from "../../../lib/runtime/start.ts";
import { type ContainerState, EXEC_FIFO, INIT_ERROR } from "../../../lib/runtime/store.ts";
import { RecordingSyscalls } from "../../fakes/recording_syscalls.ts";

/** A "created" container whose init is this very process (alive, right start time). */
function created(): { state: ContainerState; dir: string } {
  const dir = Deno.makeTempDirSync({ prefix: "urunc-start-" });
  Deno.writeTextFileSync(join(dir, EXEC_FIFO), "");
  const state = {
    id: "s1",
    pid: Deno.pid,
    pidStartTime: String(procStartTime(Deno.pid)),
    phase: "created",
  } as ContainerState;
  return { state, dir };
}

/** The child's writes, one read() each, then EOF. */
function childWrites(...chunks: string[]): RecordingSyscalls {
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  return new RecordingSyscalls({
    poll: () => (queue.length > 0 ? POLLIN : POLLHUP),
    read: () => queue.shift() ?? new Uint8Array(),
  });
}

const cases: { name: string; writes: string[]; want: RegExp | null }[] = [
  { name: "exec line then EOF: the monitor replaced the child", writes: ["exec\n"], want: null },
  { name: "exec split across reads", writes: ["ex", "ec\n"], want: null },
  {
    name: "an error line: its text is start's error",
    writes: ['error: network setup failed at "create tap": EBUSY\n'],
    want: /^network setup failed at "create tap": EBUSY$/,
  },
  {
    name: "execve failed after the exec line",
    writes: ["exec\n", "error: execve(/usr/bin/qemu) failed: ENOENT\n"],
    want: /^execve\(\/usr\/bin\/qemu\) failed: ENOENT$/,
  },
  {
    name: "EOF with nothing written: the child died",
    writes: [],
    want:
      /^container s1 did not start: its init ended before starting the monitor without a reason/,
  },
];

for (const c of cases) {
  Deno.test(`start: ${c.name}`, async () => {
    const { state, dir } = created();
    try {
      const sys = childWrites(...c.writes);
      const run = releaseInit(sys, silentLogger, state, dir);
      if (c.want === null) {
        await run;
        assert.throws(
          () => Deno.statSync(join(dir, EXEC_FIFO)),
          "the fifo is gone: status reads running",
        );
      } else {
        const want = c.want;
        await assert.rejects(run, (e: Error) => want.test(e.message));
      }
      assert.equal(sys.calls[0].call, "open");
      assert.equal(sys.calls.at(-1)?.call, "close", "the fifo fd is closed");
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  });
}

Deno.test("start: the child's own early error (init.err) is quoted", async () => {
  const { state, dir } = created();
  try {
    Deno.writeTextFileSync(join(dir, INIT_ERROR), "the init failed before start: invalid hostname");
    await assert.rejects(
      releaseInit(childWrites(), silentLogger, state, dir),
      (e: Error) =>
        e.message === "container s1 did not start: the init failed before start: invalid hostname",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("start: a running container (no fifo) fails fast without touching the fifo", async () => {
  const { state, dir } = created();
  try {
    Deno.removeSync(join(dir, EXEC_FIFO));
    const sys = new RecordingSyscalls();
    await assert.rejects(
      releaseInit(sys, silentLogger, state, dir),
      /container s1 is already running/,
    );
    assert.deepEqual(sys.calls, []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("start: a stopped container (pid reused) fails fast", async () => {
  const { state, dir } = created();
  try {
    state.pidStartTime = "1";
    await assert.rejects(
      releaseInit(new RecordingSyscalls(), silentLogger, state, dir),
      (e: Error) =>
        /^container s1 is stopped: its init ended before starting the monitor without a reason/
          .test(e.message),
    );
    Deno.writeTextFileSync(
      join(dir, INIT_ERROR),
      "the init received SIGTERM before the monitor started",
    );
    await assert.rejects(
      releaseInit(new RecordingSyscalls(), silentLogger, state, dir),
      (e: Error) =>
        e.message ===
          "container s1 is stopped: the init received SIGTERM before the monitor started",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** A real process standing in for the init, and its "created" state. */
function createdWithChild(): { state: ContainerState; dir: string; child: Deno.ChildProcess } {
  const { state, dir } = created();
  const child = new Deno.Command("sleep", { args: ["60"], stdout: "null", stderr: "null" })
    .spawn();
  state.pid = child.pid;
  state.pidStartTime = String(procStartTime(child.pid));
  return { state, dir, child };
}

/** SIGKILL the child (once) and wait, synchronously as a blocking poll would, until it is no longer alive. */
function endNow(child: Deno.ChildProcess, startTime: bigint): void {
  if (processState(child.pid, startTime) !== "alive") return;
  child.kill("SIGKILL");
  while (processState(child.pid, startTime) === "alive") { /* the kernel is tearing it down */ }
}

Deno.test("start: what the init wrote during the last poll counts, though it has ended since", async () => {
  // Seen under load: the poll times out, then the init writes "exec" and execs a
  // monitor that exits at once, all before start looks at the pid again.
  const { state, dir, child } = createdWithChild();
  try {
    const queue = [new TextEncoder().encode("exec\n")];
    let polls = 0;
    const sys = new RecordingSyscalls({
      poll: () => {
        if (polls++ === 0) {
          endNow(child, BigInt(state.pidStartTime));
          return 0; // timed out just before the writes
        }
        return queue.length > 0 ? POLLIN : POLLHUP;
      },
      read: () => queue.shift() ?? new Uint8Array(),
    });
    await releaseInit(sys, silentLogger, state, dir);
    assert.equal(sys.calls.at(-1)?.call, "close", "the fifo fd is closed");
  } finally {
    await child.status;
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("start: an init that ended without connecting to the fifo is reported, not waited for", async () => {
  const { state, dir, child } = createdWithChild();
  try {
    Deno.writeTextFileSync(join(dir, INIT_ERROR), "the init failed before start: no state");
    // Never a writer: a poll sees nothing, and a read would say EOF.
    const sys = new RecordingSyscalls({
      poll: () => {
        endNow(child, BigInt(state.pidStartTime));
        return 0;
      },
    });
    await assert.rejects(
      releaseInit(sys, silentLogger, state, dir),
      (e: Error) =>
        e.message === "container s1 did not start: the init failed before start: no state",
    );
  } finally {
    await child.status;
    Deno.removeSync(dir, { recursive: true });
  }
});
