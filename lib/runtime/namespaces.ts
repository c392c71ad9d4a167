// Namespaces under Deno (DESIGN §2): a setns/unshare on the main JS thread affects
// that thread only, and children spawned from it inherit the result. So we
// "enter, spawn, restore": switch the main thread, spawn, switch it back.

import { CLONE } from "../../ffi/constants.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { O } from "../../ffi/constants.ts";
import { clip, UruncError } from "../errors.ts";
import { namespaceFileType, RefusedFileError } from "../../ffi/checked_open.ts";
import { endProcessThreadLost } from "../../ffi/thread_lost.ts";
import type { OciSpec } from "../oci/spec.ts";
import type { NamespaceRecord } from "./store.ts";

interface NsKind {
  flag: number;
  /** Name under /proc/<pid>/ns/. */
  proc: string;
  /** What to setns back to; pid and time only change what children get. */
  restore: string;
}

export const NS_KINDS: Record<string, NsKind> = {
  mount: { flag: CLONE.NEWNS, proc: "mnt", restore: "mnt" },
  uts: { flag: CLONE.NEWUTS, proc: "uts", restore: "uts" },
  ipc: { flag: CLONE.NEWIPC, proc: "ipc", restore: "ipc" },
  network: { flag: CLONE.NEWNET, proc: "net", restore: "net" },
  cgroup: { flag: CLONE.NEWCGROUP, proc: "cgroup", restore: "cgroup" },
  pid: { flag: CLONE.NEWPID, proc: "pid", restore: "pid" },
};

// Joined in this order: mount last among the joins would lose /proc paths of
// the others, so open every fd before the first setns (see spawnInNamespaces).
const ORDER = ["ipc", "uts", "network", "pid", "cgroup", "mount"];

// A multi-threaded process can neither join a user namespace nor switch its time
// namespace back (setns returns EINVAL/EUSERS), so create could not restore itself.
const UNSUPPORTED: Record<string, string> = {
  user: "a multi-threaded runtime cannot enter one",
  time: "a multi-threaded runtime cannot switch back from one",
};

/**
 * Validate linux.namespaces: known kinds, no duplicates, no user namespace, paths
 * that exist. A network namespace path that is the caller's own network namespace
 * (Docker's `--network host` names it) is host networking, exactly like no entry:
 * it is left out, so nothing downstream can mistake the host's NICs for a pod's.
 */
export function namespacesFromSpec(
  spec: OciSpec,
  ownNetns = "/proc/thread-self/ns/net",
  /** The CLONE_NEW* type of a namespace file (tests stand in plain files). */
  nsType: (path: string) => number = namespaceFileType,
): NamespaceRecord[] {
  const seen = new Set<string>();
  const out: NamespaceRecord[] = [];
  for (const ns of spec.linux?.namespaces ?? []) {
    if (Object.hasOwn(UNSUPPORTED, ns.type)) {
      throw new UruncError(
        `linux.namespaces: a ${ns.type} namespace is not supported by urunc (${
          UNSUPPORTED[ns.type]
        }); remove the "${ns.type}" entry`,
      );
    }
    if (seen.has(ns.type)) {
      throw new UruncError(`linux.namespaces: namespace "${ns.type}" is listed twice`);
    }
    seen.add(ns.type);
    if (ns.path !== undefined && ns.path !== "") {
      if (ns.type === "mount") {
        throw new UruncError(
          "linux.namespaces: the mount namespace must be a new one (no path): urunc pivots the monitor's root inside it",
        );
      }
      checkNamespaceFile(ns.type, ns.path, nsType);
      const info = Deno.statSync(ns.path);
      if (ns.type === "network" && sameFile(info, Deno.statSync(ownNetns))) continue;
      out.push({ type: ns.type, path: ns.path });
    } else out.push({ type: ns.type });
  }
  if (!seen.has("mount")) {
    // Without its own mount namespace the jail's mounts and pivot_root would hit the host.
    throw new UruncError(
      'linux.namespaces: a "mount" namespace is required: urunc pivots the monitor\'s root inside it',
    );
  }
  return out.sort((a, b) => ORDER.indexOf(a.type) - ORDER.indexOf(b.type));
}

/** The path must be a namespace of this type: a FIFO or a plain file there is refused, never opened for real. */
function checkNamespaceFile(type: string, path: string, nsType: (p: string) => number): void {
  const where = `linux.namespaces: ${type} namespace path ${clip(path)}`;
  let found: number;
  try {
    found = nsType(path);
  } catch (err) {
    if (err instanceof RefusedFileError) {
      throw new UruncError(`${where}: expected a namespace file, found ${err.found}`);
    }
    throw new UruncError(`${where}: ${(err as Error).message}`);
  }
  if (found !== NS_KINDS[type].flag) {
    const actual = Object.entries(NS_KINDS).find(([, k]) => k.flag === found)?.[0] ?? "another";
    const an = (w: string) => (/^[aeiou]/.test(w) ? `an ${w}` : `a ${w}`);
    throw new UruncError(`${where}: this is ${an(actual)} namespace, not ${an(type)} namespace`);
  }
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}

/** Records that join the namespaces of a running process (for createContainer hooks, delete). */
export function namespacesOfProcess(pid: number, records: NamespaceRecord[]): NamespaceRecord[] {
  return records.map((r) => ({ type: r.type, path: `/proc/${pid}/ns/${NS_KINDS[r.type].proc}` }));
}

/**
 * Run `spawn` (which must only start a child, synchronously) with the main thread
 * inside the given namespaces, then put the thread back. While a new PID
 * namespace is pending Deno must not create threads, so nothing else runs here.
 */
export function spawnInNamespaces<T>(
  sys: Syscalls,
  records: NamespaceRecord[],
  spawn: () => T,
  /** A thread that cannot get back ends the process (tests observe it instead). */
  onLost: (err: Error) => never = endProcessThreadLost,
): T {
  if (records.length === 0) return spawn();
  const restore: { fd: number; flag: number; what: string }[] = [];
  const joins: { fd: number; flag: number; what: string }[] = [];
  let unshareFlags = 0;
  const switchesMount = records.some((r) => r.type === "mount");
  // unshare(CLONE_FS) + setns(mnt) resets the thread's cwd to "/": put it back.
  const cwd = switchesMount ? Deno.cwd() : null;
  try {
    for (const r of records) {
      const k = NS_KINDS[r.type];
      restore.push({
        fd: sys.open(`/proc/thread-self/ns/${k.restore}`, O.RDONLY),
        flag: k.flag,
        what: `own ${r.type} namespace`,
      });
      if (r.path) joins.push({ fd: sys.open(r.path, O.RDONLY), flag: k.flag, what: r.path });
      else unshareFlags |= k.flag;
    }
    // A mount namespace can only be switched by a thread that does not share
    // its fs_struct with the other threads.
    if (switchesMount) sys.unshare(CLONE.FS);
    try {
      for (const j of joins) sys.setns(j.fd, j.flag, j.what);
      if (unshareFlags !== 0) sys.unshare(unshareFlags);
      return spawn();
    } finally {
      restoreAll(sys, restore, cwd, onLost);
    }
  } finally {
    for (const f of [...restore, ...joins]) {
      try {
        sys.close(f.fd);
      } catch { /* already closed */ }
    }
  }
}

/** Every namespace goes back, even if one fails; a thread left half-switched ends the process. */
function restoreAll(
  sys: Syscalls,
  restore: { fd: number; flag: number; what: string }[],
  cwd: string | null,
  onLost: (err: Error) => never,
): void {
  const failed: string[] = [];
  for (const r of [...restore].reverse()) {
    try {
      sys.setns(r.fd, r.flag, r.what);
    } catch (err) {
      failed.push((err as Error).message);
    }
  }
  if (cwd !== null) {
    try {
      sys.chdir(cwd);
    } catch (err) {
      failed.push((err as Error).message);
    }
  }
  if (failed.length > 0) {
    onLost(new UruncError(`cannot return to urunc's own namespaces: ${failed.join("; ")}`));
  }
}
