// start's side of the exec-fifo protocol with a recording Syscalls: what the
// init child wrote (or did not write) before EOF decides success or the error.
import assert from "node:assert/strict";
import { join } from "node:path";
import { POLLHUP, POLLIN } from "../../../ffi/syscalls.ts";
import { silentLogger } from "../../../lib/log.ts";
import { ContainerRunningError } from "../../../lib/errors.ts";
import { releaseInit, startContainer } from "../../../lib/runtime/start.ts";
import { created as createdBy, fixture } from "./lifecycle_fixture.ts";
import { recordingLogger } from "../oci/hook_helpers.ts";
import { type ContainerState, EXEC_FIFO, INIT_ERROR } from "../../../lib/runtime/store.ts";
import { RecordingHost, type RecordingHostOptions } from "../../fakes/recording_host.ts";

/** A "created" container whose init (pid 4242) is alive with the recorded start time. */
function created(): { state: ContainerState; dir: string } {
  const dir = Deno.makeTempDirSync({ prefix: "urunc-start-" });
  Deno.writeTextFileSync(join(dir, EXEC_FIFO), "");
  const state = { id: "s1", pid: 4242, pidStartTime: "777", phase: "created" } as ContainerState;
  return { state, dir };
}

/** A host whose /proc shows the init alive, and whose fifo reads `chunks` then EOF. */
function childWrites(...chunks: string[]): RecordingHost {
  return childWritesOn({}, ...chunks);
}

function childWritesOn(o: RecordingHostOptions, ...chunks: string[]): RecordingHost {
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  const host = new RecordingHost({
    ...o,
    sys: {
      poll: () => (queue.length > 0 ? POLLIN : POLLHUP),
      read: () => queue.shift() ?? new Uint8Array(),
    },
  });
  host.processes.set(4242, { startTime: 777n, state: "alive" });
  return host;
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
      const host = childWrites(...c.writes);
      const sys = host.sys;
      const run = releaseInit(host, silentLogger, state, dir);
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
    const host = childWrites();
    await assert.rejects(
      releaseInit(host, silentLogger, state, dir),
      /container s1 is already running/,
    );
    assert.deepEqual(host.sys.calls, []);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("start: a stopped container (pid reused) fails fast", async () => {
  const { state, dir } = created();
  try {
    state.pidStartTime = "1";
    await assert.rejects(
      releaseInit(childWrites(), silentLogger, state, dir),
      (e: Error) =>
        /^container s1 is stopped: its init ended before starting the monitor without a reason/
          .test(e.message),
    );
    Deno.writeTextFileSync(
      join(dir, INIT_ERROR),
      "the init received SIGTERM before the monitor started",
    );
    await assert.rejects(
      releaseInit(childWrites(), silentLogger, state, dir),
      (e: Error) =>
        e.message ===
          "container s1 is stopped: the init received SIGTERM before the monitor started",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** The init (4242) ends at the first poll, which times out: what it wrote before still counts. */
function endingAtFirstPoll(...chunks: string[]): RecordingHost {
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  let polls = 0;
  const host: RecordingHost = new RecordingHost({
    sys: {
      poll: () => {
        if (polls++ === 0) {
          host.processes.set(4242, { startTime: 777n, state: "gone" });
          return 0; // timed out just before the writes
        }
        return queue.length > 0 ? POLLIN : POLLHUP;
      },
      read: () => queue.shift() ?? new Uint8Array(),
    },
  });
  host.processes.set(4242, { startTime: 777n, state: "alive" });
  return host;
}

Deno.test("start: what the init wrote during the last poll counts, though it has ended since", async () => {
  // Seen under load: the poll times out, then the init writes "exec" and execs a
  // monitor that exits at once, all before start looks at the pid again.
  const { state, dir } = created();
  try {
    const host = endingAtFirstPoll("exec\n");
    await releaseInit(host, silentLogger, state, dir);
    assert.equal(host.sys.calls.at(-1)?.call, "close", "the fifo fd is closed");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("start: an init that ended without connecting to the fifo is reported, not waited for", async () => {
  const { state, dir } = created();
  try {
    Deno.writeTextFileSync(join(dir, INIT_ERROR), "the init failed before start: no state");
    // Never a writer: a poll sees nothing, and a read would say EOF.
    await assert.rejects(
      releaseInit(endingAtFirstPoll(), silentLogger, state, dir),
      (e: Error) =>
        e.message === "container s1 did not start: the init failed before start: no state",
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

/** A bundle with a poststart hook (the recording host traces hook runs, it runs none). */
const withPoststart = () => fixture({ hooks: { poststart: [{ path: "/hooks/poststart" }] } });
const poststarts = (host: RecordingHost) =>
  host.trace.filter((e) => e.what === "hooks.poststart").map((e) => e.args[1]);

Deno.test("startContainer: under the lock, the fifo read to EOF after 'exec', removed, then poststart", async () => {
  const f = withPoststart();
  try {
    await createdBy(f);
    const host = childWrites("exec\n");
    await startContainer(host, silentLogger, f.root, "c1", f.stateDir);
    const S = "<dir>/state/c1";
    assert.deepEqual(host.lines(f.dir), [
      `sys.open ${S}`,
      "sys.lockExclusive 100",
      `sys.open ${S}/exec.fifo`,
      "sys.poll 101",
      "sys.read 101",
      "sys.poll 101",
      "sys.read 101",
      "sys.close 101",
      `files.remove ${S}/exec.fifo`,
      'hooks.poststart ["/hooks/poststart"]',
      "sys.close 100",
    ]);
    assert.deepEqual(poststarts(host), ["running"]);
    // A second start sees a running container and fails fast, without opening the fifo.
    const again = childWrites();
    await assert.rejects(
      startContainer(again, silentLogger, f.root, "c1", f.stateDir),
      (e: Error) =>
        e instanceof ContainerRunningError && /container c1 is already running/.test(e.message),
    );
    assert.deepEqual(again.sys.names(), ["open", "lockExclusive", "close"]);
    assert.deepEqual(poststarts(again), [], "no second poststart");
  } finally {
    f.cleanup();
  }
});

Deno.test("startContainer: the init's error is start's error, and poststart does not run", async () => {
  const f = withPoststart();
  try {
    await createdBy(f);
    const host = childWrites('error: network setup failed at "create tap tap0_urunc": EBUSY\n');
    await assert.rejects(
      startContainer(host, silentLogger, f.root, "c1", f.stateDir),
      (e: Error) => e.message === 'network setup failed at "create tap tap0_urunc": EBUSY',
    );
    assert.deepEqual(poststarts(host), []);
    assert.equal(host.sys.calls.at(-1)?.call, "close", "the lock is released");
  } finally {
    f.cleanup();
  }
});

Deno.test("startContainer: a failing poststart hook is a warning, the container runs", async () => {
  const f = withPoststart();
  try {
    await createdBy(f);
    const log = recordingLogger();
    const host = childWritesOn(
      { failHooks: (kind) => new Error(`${kind} hook /hooks/poststart exited with status 1`) },
      "exec\n",
    );
    await startContainer(host, log, f.root, "c1", f.stateDir);
    assert.deepEqual(poststarts(host), ["running"]);
    assert.deepEqual(log.lines, ["warning: poststart hook /hooks/poststart exited with status 1"]);
    assert.equal(host.trace.at(-1)?.what, "sys.close", "the lock is released");
  } finally {
    f.cleanup();
  }
});
