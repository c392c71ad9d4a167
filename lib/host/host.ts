// The one bundle of effects the lifecycle goes through: kernel calls, files,
// /proc facts, process spawn, the console (pty + SCM_RIGHTS), rtnetlink, tun
// and the OCI hook runner. `runCli` builds it once and every command passes it
// down; unit tests pass a recording fake (tests/fakes/recording_host.ts).
//
// Building it costs nothing: every CLI call is a fresh process, so libc is
// bound on the first `sys` use, and the console, netlink, tun and hook modules
// load on the first call of their async loaders.

import type { Rtnl } from "../../ffi/netlink/rtnl.ts";
import type { Pty } from "../../ffi/console.ts";
import { realSyscalls, type Syscalls } from "../../ffi/syscalls.ts";
import type { TunDriver } from "../../ffi/tun.ts";
import type { runHooks } from "../oci/hooks.ts";
import {
  caughtSignals,
  executableOf,
  type ProcessState,
  processState,
  procStartTime,
} from "../oci/state.ts";
import { lazyImport } from "../lazy.ts";

export interface FileInfo {
  ino: number;
  isFile: boolean;
  isDirectory: boolean;
  size: number;
}

/** A fifo opened for writing: the init's end of the exec fifo. */
export interface FifoWriter {
  write(data: Uint8Array): void;
  close(): void;
}

/** The file operations of the state dir, the exec fifo and mount points in the rootfs. */
export interface Files {
  /** Throws Deno.errors.NotFound when absent. */
  readText(path: string): string;
  /** lstat; null when the path does not exist. */
  lstat(path: string): FileInfo | null;
  /** Throws Deno.errors.AlreadyExists when not `recursive` and the path exists. */
  mkdir(path: string, mode: number, recursive?: boolean): void;
  /** One write(2); `append`: O_APPEND, so lines of concurrent writers stay whole. No fsync (store.ts says why). */
  writeFile(path: string, data: string, o: { mode: number; append?: boolean }): void;
  rename(from: string, to: string): void;
  /** Throws Deno.errors.NotFound when absent. */
  remove(path: string, recursive?: boolean): void;
  /** Throws Deno.errors.NotFound when absent. */
  readDir(path: string): { name: string; isDirectory: boolean }[];
  /** Open a fifo for writing: resolves once a reader opened it, without blocking the event loop. */
  openFifoWriter(path: string): Promise<FifoWriter>;
}

/** What /proc says about a process. */
export interface Processes {
  /** Whether `pid` is still the process that started at `startTime`. */
  state(pid: number, startTime: bigint): ProcessState;
  startTime(pid: number): bigint | null;
  /** The SigCgt mask; null when the process is gone. */
  caughtSignals(pid: number): bigint | null;
  /** The executable it runs now (the exe link); null when it is gone. */
  executable(pid: number): string | null;
}

export interface SpawnRequest {
  path: string;
  args: readonly string[];
  /** The child's stdin, stdout and stderr: ours, or /dev/null. */
  stdio: "inherit" | "null";
  /** Replaces the environment when given. */
  env?: Record<string, string>;
}

export interface ExitStatus {
  code: number;
  /** e.g. "SIGKILL" when a signal ended the child. */
  signal: string | null;
}

export interface Spawned {
  readonly pid: number;
  readonly status: Promise<ExitStatus>;
  /** Let this process exit without waiting for the child (and again wait, with ref). */
  unref(): void;
  ref(): void;
  /** Throws when the child has exited. */
  kill(signal: Deno.Signal): void;
}

/** The terminal of a container: a pty whose master goes to the shim over --console-socket. */
export interface ConsolePart {
  openPty(): Pty;
  /** Connect to a unix socket and send `fd` with SCM_RIGHTS, `name` as the payload. */
  sendFd(socketPath: string, fd: number, name: string): void;
}

export interface NetlinkPart {
  /** An rtnetlink socket in the calling thread's current network namespace. */
  openRtnl(): Rtnl;
  /** Run `fn` synchronously inside the network namespace at `target` (ffi/netns.ts). */
  withNetns<T>(target: string, fn: () => T): T;
}

export interface Host {
  readonly sys: Syscalls;
  readonly files: Files;
  readonly procs: Processes;
  /** Synchronous on purpose: create spawns inside a pending PID namespace (see spawnInit). */
  spawn(req: SpawnRequest): Spawned;
  console(): Promise<ConsolePart>;
  netlink(): Promise<NetlinkPart>;
  tun(): Promise<TunDriver>;
  /** The OCI hook runner: loaded only for a spec with hooks (it may load node:child_process). */
  hooks(): Promise<{ runHooks: typeof runHooks }>;
}

const realFiles: Files = {
  readText: (path) => Deno.readTextFileSync(path),
  lstat(path) {
    try {
      const st = Deno.lstatSync(path);
      return { ino: st.ino ?? 0, isFile: st.isFile, isDirectory: st.isDirectory, size: st.size };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  },
  mkdir: (path, mode, recursive = false) => Deno.mkdirSync(path, { mode, recursive }),
  writeFile(path, data, o) {
    const f = Deno.openSync(path, {
      write: true,
      create: true,
      append: o.append === true,
      truncate: o.append !== true,
      mode: o.mode,
    });
    try {
      // A regular file takes it in one write(2); the loop is for the rare short write.
      const bytes = new TextEncoder().encode(data);
      for (let off = 0; off < bytes.length;) off += f.writeSync(bytes.subarray(off));
    } finally {
      f.close();
    }
  },
  rename: (from, to) => Deno.renameSync(from, to),
  remove: (path, recursive = false) => Deno.removeSync(path, { recursive }),
  readDir: (path) =>
    [...Deno.readDirSync(path)].map((e) => ({ name: e.name, isDirectory: e.isDirectory })),
  async openFifoWriter(path) {
    // The open runs on a pool thread: the main thread keeps serving signals and timers.
    const f = await Deno.open(path, { write: true });
    return { write: (data) => void f.writeSync(data), close: () => f.close() };
  },
};

const realProcesses: Processes = {
  state: processState,
  startTime: procStartTime,
  caughtSignals,
  executable: executableOf,
};

function spawnProcess(req: SpawnRequest): Spawned {
  const child = new Deno.Command(req.path, {
    args: [...req.args],
    stdin: req.stdio,
    stdout: req.stdio,
    stderr: req.stdio,
    ...(req.env ? { clearEnv: true, env: req.env } : {}),
  }).spawn();
  return {
    pid: child.pid,
    status: child.status.then((s) => ({ code: s.code, signal: s.signal })),
    unref: () => child.unref(),
    ref: () => child.ref(),
    kill: (signal) => child.kill(signal),
  };
}

const here = import.meta.url;

export function realHost(): Host {
  let sys: Syscalls | undefined;
  return {
    get sys() {
      return sys ??= realSyscalls();
    },
    files: realFiles,
    procs: realProcesses,
    spawn: spawnProcess,
    // Computed specifiers (lib/lazy.ts): a literal import() would load with every command.
    console: () => lazyImport<typeof import("../../ffi/console.ts")>(here, "../../ffi/console.ts"),
    netlink: async () => {
      const [rtnl, netns] = await Promise.all([
        lazyImport<typeof import("../../ffi/netlink/rtnl.ts")>(here, "../../ffi/netlink/rtnl.ts"),
        lazyImport<typeof import("../../ffi/netns.ts")>(here, "../../ffi/netns.ts"),
      ]);
      return { openRtnl: rtnl.openRtnl, withNetns: netns.withNetns };
    },
    tun: async () =>
      (await lazyImport<typeof import("../../ffi/tun.ts")>(here, "../../ffi/tun.ts")).realTun(),
    hooks: () => lazyImport<typeof import("../oci/hooks.ts")>(here, "../oci/hooks.ts"),
  };
}
