// A `Host` for unit tests of the lifecycle: kernel calls go to a
// RecordingSyscalls, files to a real (temp) directory, and every effect —
// syscall, file operation, spawn, console, netlink, tun — lands in one ordered
// trace, so a test can assert "the ledger line before the spawn". Processes,
// the spawned child and the init's end of the exec fifo are what the test says.

import type { Rtnl } from "../../ffi/netlink/rtnl.ts";
import type { TunDriver } from "../../ffi/tun.ts";
import type {
  ConsolePart,
  ExitStatus,
  FifoWriter,
  Files,
  Host,
  NetlinkPart,
  Processes,
  Spawned,
  SpawnRequest,
} from "../../lib/host/host.ts";
import { realHost } from "../../lib/host/host.ts";
import type { ProcessState } from "../../lib/oci/state.ts";
import type { HookKind } from "../../lib/oci/spec.ts";
import { EXIT_SIGNALS } from "../../lib/runtime/init_signals.ts";
import { type RecordingOptions, RecordingSyscalls } from "./recording_syscalls.ts";

export interface TraceEntry {
  /** "sys.mkfifo", "files.writeFile", "spawn", "console.sendFd", "netlink", "tun", … */
  what: string;
  args: unknown[];
}

/** A process the fake /proc knows about. */
export interface FakeProcess {
  startTime: bigint;
  state: ProcessState;
  /** SigCgt mask; default: the init's handlers are in (INIT_HANDLERS). */
  caught?: bigint;
  /** Its executable (the exe link); default "/deno" (the init, before it execs). */
  exe?: string;
}

export interface RecordingHostOptions {
  sys?: RecordingOptions;
  /** Make a file operation fail (after it was traced): return the error, or null. */
  failFiles?: (op: keyof Files, path: string) => Error | null;
  /** Make spawn fail (after it was traced). */
  failSpawn?: (req: SpawnRequest) => Error | null;
  /** pid of the next spawned child; default 4242 (alive, start time 777). */
  spawnPid?: number;
  /** Resolves when a reader opens the fifo; default: at once. */
  fifoOpened?: (path: string) => Promise<void>;
  rtnl?: () => Rtnl;
  tun?: TunDriver;
  /** Make the hooks of this kind fail (after they were traced). */
  failHooks?: (kind: HookKind) => Error | null;
}

/** The SigCgt bits of the signals the init catches (its handlers are in). */
export const INIT_HANDLERS = EXIT_SIGNALS.reduce((m, s) => m | (1n << BigInt(s - 1)), 0n);

export class RecordingHost implements Host {
  readonly sys: RecordingSyscalls;
  readonly trace: TraceEntry[] = [];
  /** The fake /proc: pid -> process; absent pids are gone. */
  readonly processes = new Map<number, FakeProcess>();
  /** What the init wrote into the exec fifo, decoded. */
  readonly fifoWrites: string[] = [];
  /** Settles the status of spawned children (by pid). */
  readonly exits = new Map<number, (s: ExitStatus) => void>();
  readonly files: Files;
  readonly procs: Processes;
  readonly #o: RecordingHostOptions;

  constructor(o: RecordingHostOptions = {}) {
    this.#o = o;
    const userFail = o.sys?.failOn;
    this.sys = new RecordingSyscalls({
      // A signal reaches a live process; SIGKILL ends it (and a reaper takes it).
      kill: (pid, signal) => {
        const p = this.processes.get(pid);
        if (p === undefined || p.state !== "alive") return false;
        if (signal === 9) p.state = "gone";
        return true;
      },
      ...o.sys,
      failOn: (call, args) => {
        this.trace.push({ what: `sys.${call}`, args: [...args] });
        return userFail?.(call, args) ?? null;
      },
    });
    this.files = this.#recordingFiles(realHost().files);
    this.procs = {
      state: (pid, startTime) => {
        const p = this.processes.get(pid);
        return p === undefined || p.startTime !== startTime ? "gone" : p.state;
      },
      startTime: (pid) => this.processes.get(pid)?.startTime ?? null,
      executable: (pid) => {
        const p = this.processes.get(pid);
        return p === undefined || p.state === "gone" ? null : p.exe ?? "/deno";
      },
      caughtSignals: (pid) => {
        const p = this.processes.get(pid);
        return p === undefined || p.state === "gone" ? null : p.caught ?? INIT_HANDLERS;
      },
    };
  }

  #recordingFiles(real: Files): Files {
    const wrap = <K extends keyof Files>(op: K): Files[K] =>
      ((...args: unknown[]) => {
        this.trace.push({ what: `files.${op}`, args });
        const err = this.#o.failFiles?.(op, args[0] as string);
        if (err) throw err;
        return (real[op] as (...a: unknown[]) => unknown)(...args);
      }) as Files[K];
    return {
      readText: wrap("readText"),
      lstat: wrap("lstat"),
      mkdir: wrap("mkdir"),
      writeFile: wrap("writeFile"),
      rename: wrap("rename"),
      remove: wrap("remove"),
      readDir: wrap("readDir"),
      openFifoWriter: async (path) => {
        this.trace.push({ what: "files.openFifoWriter", args: [path] });
        const err = this.#o.failFiles?.("openFifoWriter", path);
        if (err) throw err;
        await this.#o.fifoOpened?.(path);
        const writer: FifoWriter = {
          write: (data) => {
            const text = new TextDecoder().decode(data);
            this.trace.push({ what: "fifo.write", args: [text] });
            this.fifoWrites.push(text);
          },
          close: () => void this.trace.push({ what: "fifo.close", args: [] }),
        };
        return writer;
      },
    };
  }

  spawn(req: SpawnRequest): Spawned {
    this.trace.push({ what: "spawn", args: [req] });
    const err = this.#o.failSpawn?.(req);
    if (err) throw err;
    const pid = this.#o.spawnPid ?? 4242;
    this.processes.set(pid, { startTime: 777n, state: "alive" });
    const status = new Promise<ExitStatus>((resolve) => this.exits.set(pid, resolve));
    const kill = (signal: Deno.Signal) => {
      this.trace.push({ what: "child.kill", args: [pid, signal] });
      const p = this.processes.get(pid);
      if (p === undefined || p.state !== "alive") {
        throw new TypeError("Child process has already terminated");
      }
      if (signal === "SIGKILL") p.state = "gone";
    };
    return { pid, status, unref() {}, ref() {}, kill };
  }

  console(): Promise<ConsolePart> {
    return Promise.resolve({
      openPty: () => {
        this.trace.push({ what: "console.openPty", args: [] });
        return { master: 55, slavePath: "/dev/pts/9" };
      },
      sendFd: (socketPath, fd, name) =>
        void this.trace.push({ what: "console.sendFd", args: [socketPath, fd, name] }),
    });
  }

  /** rtnetlink is the test's `rtnl`; entering a namespace is only traced ("netns.enter <path>"). */
  netlink(): Promise<NetlinkPart> {
    return Promise.resolve({
      openRtnl: () => {
        this.trace.push({ what: "netlink.open", args: [] });
        if (this.#o.rtnl === undefined) throw new Error("this test gave no rtnetlink");
        return this.#o.rtnl();
      },
      withNetns: <T>(target: string, fn: () => T): T => {
        this.trace.push({ what: "netns.enter", args: [target] });
        try {
          return fn();
        } finally {
          this.trace.push({ what: "netns.leave", args: [target] });
        }
      },
    });
  }

  tun(): Promise<TunDriver> {
    this.trace.push({ what: "tun", args: [] });
    if (this.#o.tun === undefined) return Promise.reject(new Error("this test gave no tun"));
    return Promise.resolve(this.#o.tun);
  }

  /** Hooks do not run: each kind's run is traced as "hooks.<kind>" with the hook paths and the status. */
  hooks(): ReturnType<Host["hooks"]> {
    return Promise.resolve({
      runHooks: (kind, hooks, state) => {
        const status = (JSON.parse(state) as { status: string }).status;
        this.trace.push({ what: `hooks.${kind}`, args: [hooks.map((h) => h.path), status] });
        const err = this.#o.failHooks?.(kind);
        return err ? Promise.reject(err) : Promise.resolve();
      },
    });
  }

  /**
   * The trace as "what arg0" lines, paths under `base` made relative (<dir>/x),
   * our pid in temp names as PID, file reads/stats left out unless `reads`.
   */
  lines(base: string, o: { reads?: boolean } = {}): string[] {
    const quiet = new Set(["files.readText", "files.lstat", "files.readDir"]);
    return this.trace
      .filter((e) => o.reads || !quiet.has(e.what))
      .map((e) => {
        const a = e.args[0];
        const shown = typeof a === "string"
          ? a.replaceAll(base, "<dir>")
          : a === undefined
          ? ""
          : brief(JSON.stringify(a, (_, v) => typeof v === "bigint" ? `${v}n` : v))
            .replaceAll(base, "<dir>");
        const line = shown === "" ? e.what : `${e.what} ${shown}`;
        return line.replaceAll(`.tmp-${Deno.pid}`, ".tmp-PID");
      });
  }
}

/** Long arguments (a seccomp program) would drown the trace. */
function brief(json: string): string {
  return json.length > 160 ? `${json.slice(0, 40)}…` : json;
}
