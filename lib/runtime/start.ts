// `urunc start`: open the exec fifo for reading, which releases the init child,
// then wait until it has exec'd the monitor (EOF after its "exec" line) or
// reported why it could not.

import { join } from "../path.ts";
import { O } from "../../ffi/constants.ts";
import { POLLHUP, POLLIN, type Syscalls } from "../../ffi/syscalls.ts";
import { SyscallError } from "../../ffi/libc.ts";
import { ContainerRunningError, describe, UruncError } from "../errors.ts";
import type { Host } from "../host/host.ts";
import type { Logger } from "../log.ts";
import { type ContainerState, EXEC_FIFO, loadContainer, readInitError } from "./store.ts";
import { faultPoint } from "./fault.ts";
import { runLifecycleHooks } from "./hooks.ts";
import { lockContainerDir } from "./lock.ts";
import { liveStatus } from "./status.ts";
import { ERRNO } from "../../ffi/errno.ts";

const START_TIMEOUT_MS = 120_000;

/** `urunc start` of our container in `dir`: release its init under the lock, then poststart. */
export async function startContainer(
  host: Host,
  log: Logger,
  root: string,
  id: string,
  dir: string,
): Promise<void> {
  const unlock = lockContainerDir(host.sys, dir);
  try {
    const { state } = loadContainer(host.files, root, id); // re-read under the lock
    await releaseInit(host, log, state, dir);
    await runPoststart(host, log, state);
  } finally {
    unlock();
  }
}

/** The spec: a failing poststart hook is a warning; the container keeps running. */
export async function runPoststart(
  host: Host,
  log: Logger,
  state: ContainerState,
): Promise<void> {
  try {
    await runLifecycleHooks(host, "poststart", state.hooks, state, log);
  } catch (err) {
    log.warn(describe(err));
  }
}

export async function releaseInit(
  host: Host,
  log: Logger,
  state: ContainerState,
  dir: string,
): Promise<void> {
  const { sys, files } = host;
  const status = liveStatus(host, state, dir);
  if (status === "running") throw new ContainerRunningError(state.id);
  if (status !== "created") {
    throw new UruncError(
      status === "creating"
        ? `container ${state.id} is still being created`
        : `container ${state.id} is stopped: ${initEndedWhy(files, dir)}`,
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
      const ended = host.procs.state(state.pid, BigInt(state.pidStartTime)) !== "alive";
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
    throw new UruncError(`container ${state.id} did not start: ${initEndedWhy(files, dir)}`);
  }
  faultPoint("start:after-exec");
  // The init unlinks the fifo once released; an init of an older urunc did not.
  try {
    files.remove(fifoPath);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      log.warn(`cannot remove ${fifoPath}: ${(err as Error).message}`);
    }
  }
}

/** Every ending the init can see leaves a reason; only a kill it cannot catch leaves none. */
function initEndedWhy(files: Host["files"], dir: string): string {
  return readInitError(files, dir) ??
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
