// `urunc start`: open the exec fifo for reading, which releases the init child,
// then wait until it has exec'd the monitor (EOF after its "exec" line) or
// reported why it could not.

import { join } from "../path.ts";
import { O } from "../../ffi/constants.ts";
import { POLLHUP, POLLIN, type Syscalls } from "../../ffi/syscalls.ts";
import { SyscallError } from "../../ffi/libc.ts";
import { ContainerRunningError, UruncError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { processState } from "../oci/state.ts";
import { type ContainerState, EXEC_FIFO, readInitError } from "./store.ts";
import { faultPoint } from "./fault.ts";
import { liveStatus } from "./status.ts";
import { ERRNO } from "../../ffi/errno.ts";

const START_TIMEOUT_MS = 120_000;

export async function releaseInit(
  sys: Syscalls,
  log: Logger,
  state: ContainerState,
  dir: string,
): Promise<void> {
  const status = liveStatus(state, dir);
  if (status === "running") throw new ContainerRunningError(state.id);
  if (status !== "created") {
    throw new UruncError(
      status === "creating"
        ? `container ${state.id} is still being created`
        : `container ${state.id} is stopped: ${initEndedWhy(dir)}`,
    );
  }
  const fifoPath = join(dir, EXEC_FIFO);
  const fd = sys.open(fifoPath, O.RDONLY | O.NONBLOCK);
  let report = "";
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    const decoder = new TextDecoder();
    for (;;) {
      // Looked at before the poll: whatever an init that has ended wrote is in the
      // pipe by then. Looked at after a timed-out poll, it would lose the "exec" of
      // an init that wrote it, exec'd and saw its monitor exit in between.
      const ended = processState(state.pid, BigInt(state.pidStartTime)) !== "alive";
      const ev = sys.poll(fd, POLLIN, ended ? 0 : 50);
      if (ev & (POLLIN | POLLHUP)) {
        const chunk = readSome(sys, fd);
        if (chunk === null) continue; // writer open, nothing yet
        if (chunk.length === 0) break; // EOF: exec'd or died
        report += decoder.decode(chunk);
        continue;
      }
      if (ended) break; // it never opened the fifo: no writer will come
      if (Date.now() > deadline) {
        throw new UruncError(
          `container ${state.id} did not start within ${START_TIMEOUT_MS / 1000} s`,
        );
      }
      // Let the event loop breathe (timers, signals) between polls.
      await new Promise((r) => setTimeout(r, 0));
    }
  } finally {
    sys.close(fd);
  }
  const error = report.split("\n").find((l) => l.startsWith("error: "));
  if (error) throw new UruncError(error.slice("error: ".length));
  if (!report.split("\n").includes("exec")) {
    throw new UruncError(`container ${state.id} did not start: ${initEndedWhy(dir)}`);
  }
  faultPoint("start:after-exec");
  // The init unlinks the fifo once released; an init of an older urunc did not.
  try {
    Deno.removeSync(fifoPath);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.warn(`cannot remove ${fifoPath}: ${(err as Error).message}`);
    }
  }
}

/** Every ending the init can see leaves a reason; only a kill it cannot catch leaves none. */
function initEndedWhy(dir: string): string {
  return readInitError(dir) ??
    "its init ended before starting the monitor without a reason (killed by SIGKILL or the OOM killer?)";
}

/** One non-blocking read: bytes, empty on EOF, null when nothing is there yet. */
function readSome(sys: Syscalls, fd: number): Uint8Array | null {
  try {
    return sys.read(fd, 4096);
  } catch (err) {
    if (err instanceof SyscallError && err.errno === ERRNO.EAGAIN) return null;
    throw err;
  }
}
