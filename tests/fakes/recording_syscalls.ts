// A `Syscalls` that touches nothing: it records every call in order, fails the
// calls a test chooses, and returns what a test configures. execve ends the
// "process" by throwing ExecveCalled, so a test can assert on the final exec.

import { type BpfFilter, type CapabilitySets, POLLIN, type Syscalls } from "../../ffi/syscalls.ts";
import { SyscallError } from "../../ffi/libc.ts";

export type SyscallName = keyof Syscalls;

export interface RecordedCall {
  call: SyscallName;
  args: unknown[];
}

/** Thrown by the fake execve: the point where a real process would be replaced. */
export class ExecveCalled extends Error {
  constructor(
    readonly path: string,
    readonly argv: readonly string[],
    readonly env: readonly string[],
  ) {
    super(`execve(${path}) called`);
    this.name = "ExecveCalled";
  }
}

export interface RecordingOptions {
  /** Return an error to make this call fail (after it was recorded), or null. */
  failOn?: (call: SyscallName, args: readonly unknown[]) => SyscallError | null;
  /** Default: fds 100, 101, … in call order. */
  open?: (path: string, flags: number, mode: number | undefined) => number;
  /** Default: end of file (an empty buffer). */
  read?: (fd: number, max: number) => Uint8Array;
  /** Default: POLLIN (ready). */
  poll?: (fd: number, events: number, timeoutMs: number) => number;
  /** Default: 4242. */
  setsid?: () => number;
  /** Default: true (the process exists). */
  kill?: (pid: number, signal: number) => boolean;
  /** Default: 0 (a plain read-write mount). */
  mountFlags?: (path: string) => number;
  /** Default: false (autoclear not set). */
  loopAutoclear?: (device: string) => boolean;
}

/** failOn helper: fail every call named `call` (optionally only when `when` holds) with errno. */
export function failing(
  call: SyscallName,
  errno: number,
  when: (args: readonly unknown[]) => boolean = () => true,
): NonNullable<RecordingOptions["failOn"]> {
  return (c, args) =>
    c === call && when(args) ? new SyscallError(call, errno, String(args[0])) : null;
}

export class RecordingSyscalls implements Syscalls {
  readonly calls: RecordedCall[] = [];
  readonly #opts: RecordingOptions;
  #nextFd = 100;

  constructor(opts: RecordingOptions = {}) {
    this.#opts = opts;
  }

  /** Just the call names, in order: the usual thing to assert on. */
  names(): SyscallName[] {
    return this.calls.map((c) => c.call);
  }

  #record(call: SyscallName, args: unknown[]): void {
    this.calls.push({ call, args });
    const err = this.#opts.failOn?.(call, args);
    if (err) throw err;
  }

  open(path: string, flags: number, mode?: number): number {
    this.#record("open", [path, flags, mode]);
    return this.#opts.open ? this.#opts.open(path, flags, mode) : this.#nextFd++;
  }
  close(fd: number): void {
    this.#record("close", [fd]);
  }
  write(fd: number, data: Uint8Array): number {
    // A copy: callers may reuse their buffer after the call.
    this.#record("write", [fd, data.slice()]);
    return data.length;
  }
  read(fd: number, max: number): Uint8Array {
    this.#record("read", [fd, max]);
    return this.#opts.read ? this.#opts.read(fd, max) : new Uint8Array(0);
  }
  unshare(flags: number): void {
    this.#record("unshare", [flags]);
  }
  setns(fd: number, nstype: number, what: string): void {
    this.#record("setns", [fd, nstype, what]);
  }
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: number,
    data: string | null,
  ): void {
    this.#record("mount", [source, target, fstype, flags, data]);
  }
  umount(target: string, flags: number): void {
    this.#record("umount", [target, flags]);
  }
  pivotRoot(newRoot: string, putOld: string): void {
    this.#record("pivotRoot", [newRoot, putOld]);
  }
  chdir(path: string): void {
    this.#record("chdir", [path]);
  }
  mknod(path: string, mode: number, major: number, minor: number): void {
    this.#record("mknod", [path, mode, major, minor]);
  }
  mkfifo(path: string, mode: number): void {
    this.#record("mkfifo", [path, mode]);
  }
  chown(path: string, uid: number, gid: number): void {
    this.#record("chown", [path, uid, gid]);
  }
  setsid(): number {
    this.#record("setsid", []);
    return this.#opts.setsid ? this.#opts.setsid() : 4242;
  }
  setControllingTty(fd: number): void {
    this.#record("setControllingTty", [fd]);
  }
  dup2(oldFd: number, newFd: number): void {
    this.#record("dup2", [oldFd, newFd]);
  }
  setCredentials(uid: number, gid: number, groups: readonly number[]): void {
    this.#record("setCredentials", [uid, gid, [...groups]]);
  }
  closeFromOnExec(from: number): void {
    this.#record("closeFromOnExec", [from]);
  }
  dropBoundingCap(cap: number): void {
    this.#record("dropBoundingCap", [cap]);
  }
  setKeepCaps(keep: boolean): void {
    this.#record("setKeepCaps", [keep]);
  }
  setCapabilities(sets: CapabilitySets): void {
    this.#record("setCapabilities", [{ ...sets }]);
  }
  setAmbientCaps(caps: readonly number[]): void {
    this.#record("setAmbientCaps", [[...caps]]);
  }
  setNoNewPrivs(): void {
    this.#record("setNoNewPrivs", []);
  }
  setRlimit(resource: number, soft: bigint, hard: bigint, name: string): void {
    this.#record("setRlimit", [resource, soft, hard, name]);
  }
  installSeccomp(filter: BpfFilter, what: string): void {
    this.#record("installSeccomp", [copyFilter(filter), what]);
  }
  mountFlags(path: string): number {
    this.#record("mountFlags", [path]);
    return this.#opts.mountFlags ? this.#opts.mountFlags(path) : 0;
  }
  execve(
    path: string,
    argv: readonly string[],
    env: readonly string[],
    filters: readonly BpfFilter[] = [],
  ): never {
    // Seccomp filters (if any) are recorded as a fourth argument, copies of the programs.
    this.#record(
      "execve",
      filters.length > 0
        ? [path, [...argv], [...env], filters.map(copyFilter)]
        : [path, [...argv], [...env]],
    );
    throw new ExecveCalled(path, [...argv], [...env]);
  }
  /** The pidfd of pid N is 300 + N, so a test can tell which process a signal went to. */
  pidfdOpen(pid: number): number | null {
    this.#record("pidfdOpen", [pid]);
    return (this.#opts.kill?.(pid, 0) ?? true) ? 300 + pid : null;
  }
  pidfdSignal(pidfd: number, signal: number): boolean {
    this.#record("pidfdSignal", [pidfd, signal]);
    return this.#opts.kill?.(pidfd - 300, signal) ?? true;
  }
  sethostname(name: string): void {
    this.#record("sethostname", [name]);
  }
  lockExclusive(fd: number, what: string): void {
    this.#record("lockExclusive", [fd, what]);
  }
  attachDeviceProgram(cgroupFd: number, insns: Uint8Array, what: string): void {
    this.#record("attachDeviceProgram", [cgroupFd, insns.slice(), what]);
  }
  poll(fd: number, events: number, timeoutMs: number): number {
    this.#record("poll", [fd, events, timeoutMs]);
    return this.#opts.poll ? this.#opts.poll(fd, events, timeoutMs) : POLLIN;
  }
  loopAutoclear(device: string, set?: boolean): boolean {
    this.#record("loopAutoclear", set === undefined ? [device] : [device, set]);
    return this.#opts.loopAutoclear ? this.#opts.loopAutoclear(device) : false;
  }
}

function copyFilter(f: BpfFilter): BpfFilter {
  return { program: f.program.slice(), instructions: f.instructions, flags: f.flags ?? 0 };
}
