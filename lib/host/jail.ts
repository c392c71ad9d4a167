// The monitor's jail: the container rootfs as /, with only what the monitor
// needs bind-mounted read-only from the host, a private /dev and /tmp, then
// pivot_root. Runs in the init child, inside the container's mount namespace.

import { dirname } from "../path.ts";
import { MNT_DETACH, MS, S_IFBLK, S_IFCHR } from "../../ffi/constants.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { UruncError } from "../errors.ts";
import type { JailPlan, PlanFile } from "../plan/types.ts";
import type { Resource } from "../ledger.ts";
import { secureJoin } from "./secure_join.ts";
import { lockImageMounts, maskPaths, mountsBelow } from "./jail_restrict.ts";
import { bindShares } from "./jail_shares.ts";

export interface JailOptions {
  rootfs: string;
  uid: number;
  gid: number;
  files: PlanFile[];
  /** Called before each mount point is created in the rootfs, so delete can remove it. */
  record(r: Resource): void;
  /** linux.maskedPaths / linux.readonlyPaths, applied where they exist in the jail. */
  maskedPaths?: readonly string[];
  readonlyPaths?: readonly string[];
  /** root.readonly: the rootfs is read-only for the monitor. */
  readonlyRoot?: boolean;
}

const PROPAGATION: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

export function propagationFlags(value: string | undefined): number {
  const v = value === undefined || value === "" ? "rslave" : value;
  const flags = PROPAGATION[v];
  if (flags === undefined) {
    throw new UruncError(
      `invalid linux.rootfsPropagation ${JSON.stringify(v)}: expected one of ${
        Object.keys(PROPAGATION).join(", ")
      }`,
    );
  }
  return flags;
}

/** Host facts the jail needs about a path; injectable for tests. */
export interface HostPaths {
  stat(
    path: string,
  ): {
    isDirectory: boolean;
    isFile: boolean;
    rdev: number;
    mode: number;
    isChar: boolean;
    size?: number;
  } | null;
  exists(path: string): boolean;
  mkdir(path: string): void;
  createFile(path: string): void;
  /** With `prefixFrom`, that file's bytes (NUL-padded to 4) come before `content`. */
  writeFile(path: string, content: string, mode: number, prefixFrom?: string): void;
  /** The current /proc/self/mountinfo. */
  mountinfo(): string;
}

export const realHostPaths: HostPaths = {
  stat(path) {
    try {
      const st = Deno.statSync(path);
      return {
        isDirectory: st.isDirectory,
        isFile: st.isFile,
        rdev: st.rdev ?? 0,
        mode: st.mode ?? 0,
        isChar: st.isCharDevice ?? false,
        size: st.size,
      };
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return null;
      throw err;
    }
  },
  exists(path) {
    try {
      Deno.lstatSync(path);
      return true;
    } catch {
      return false;
    }
  },
  mkdir(path) {
    Deno.mkdirSync(path, { mode: 0o755 });
  },
  createFile(path) {
    Deno.writeFileSync(path, new Uint8Array(), { mode: 0o644, createNew: true });
  },
  writeFile(path, content, mode, prefixFrom) {
    if (prefixFrom === undefined) return Deno.writeTextFileSync(path, content, { mode });
    const prefix = Deno.readFileSync(prefixFrom);
    const f = Deno.openSync(path, { write: true, create: true, truncate: true, mode });
    try {
      f.writeSync(prefix);
      f.writeSync(new Uint8Array((4 - (prefix.length % 4)) % 4));
      f.writeSync(new TextEncoder().encode(content));
    } finally {
      f.close();
    }
  },
  mountinfo() {
    return Deno.readTextFileSync("/proc/self/mountinfo");
  },
};

/** linux.rootfsPropagation on "/" (default rslave), so nothing mounted from now on reaches the host. */
export function isolateMounts(sys: Syscalls, propagation: string | undefined): void {
  sys.mount(null, "/", null, propagationFlags(propagation), null);
}

/** Call after isolateMounts, in the container's own mount namespace. */
export function applyJail(
  sys: Syscalls,
  jail: JailPlan,
  opts: JailOptions,
  host: HostPaths = realHostPaths,
): void {
  const root = opts.rootfs;
  // pivot_root needs the new root to be a mount point.
  sys.mount(root, root, null, MS.BIND | MS.REC, null);
  const dev = secureJoin(root, "/dev");
  const tmp = secureJoin(root, "/tmp");
  // Mounts already below the rootfs come with the image: locked down with it.
  // Those under our /dev and /tmp will be hidden by the tmpfs mounts anyway.
  const imageMounts = mountsBelow(host.mountinfo(), root).filter((m) =>
    ![dev, tmp].some((t) => m === t || m.startsWith(t + "/"))
  );

  ensureMountPoint(host, root, dev, "dir", opts.record);
  sys.mount("tmpfs", dev, "tmpfs", MS.NOSUID | MS.NOEXEC | MS.STRICTATIME, "mode=755,size=65536k");
  for (const d of jail.devices) {
    const st = host.stat(d);
    if (st === null) {
      throw new UruncError(`the monitor needs device ${d}, but it does not exist on the host`);
    }
    const kind = st.isChar ? S_IFCHR : (st.mode & 0o170000) === S_IFBLK ? S_IFBLK : 0;
    if (kind === 0) throw new UruncError(`${d} on the host is not a device node`);
    const target = `${dev}/${d.replace(/^\/dev\//, "")}`;
    // Parents like /dev/net live on our fresh tmpfs: nothing to record.
    const parents: string[] = [];
    for (let p = dirname(target); p !== dev && !host.exists(p); p = dirname(p)) parents.unshift(p);
    for (const p of parents) host.mkdir(p);
    const { major, minor } = splitDev(st.rdev);
    // Everyone may use the harmless nodes; kvm, tun and block devices only the monitor's user.
    const shared = d === "/dev/null" || d === "/dev/urandom" || d === "/dev/zero" ||
      d === "/dev/random";
    sys.mknod(target, kind | (shared ? 0o666 : 0o660), major, minor);
    if (!shared) sys.chown(target, opts.uid, opts.gid);
  }

  ensureMountPoint(host, root, tmp, "dir", opts.record);
  sys.mount(
    "tmpfs",
    tmp,
    "tmpfs",
    MS.NOSUID | MS.NODEV | MS.STRICTATIME,
    `mode=1777,size=${tmpSizeKiB(jail, opts.files, root, host)}k`,
  );
  // Storage (lib/host/jail_shares.ts): directories shared with the guest, on this /tmp.
  bindShares(sys, root, tmp, jail.shares, (p) => mkdirUnder(host, tmp, p));
  if (jail.proc) {
    const proc = secureJoin(root, "/proc");
    ensureMountPoint(host, root, proc, "dir", opts.record);
    const ro = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC;
    sys.mount("proc", proc, "proc", ro, null);
  }

  // The tmpfs /dev and /tmp come first: a bind made before them under /tmp (a
  // monitor installed there, say) would be hidden by them.
  for (const b of jail.binds) {
    const st = host.stat(b.path);
    if (st === null) {
      if (b.optional) continue;
      throw new UruncError(`the monitor needs ${b.path} from the host, but it does not exist`);
    }
    const target = secureJoin(root, b.path);
    // Mount points on our own tmpfs vanish with it: nothing for delete to undo.
    const onTmpfs = [dev, tmp].some((t) => target.startsWith(t + "/"));
    ensureMountPoint(
      host,
      root,
      target,
      st.isDirectory ? "dir" : "file",
      onTmpfs ? () => {} : opts.record,
    );
    sys.mount(b.path, target, null, MS.BIND | MS.REC, null);
    // Read-only: a monitor running as root must not be able to change host files.
    sys.mount(null, target, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV, null);
  }

  for (const f of opts.files) {
    const target = secureJoin(root, f.path);
    if (!target.startsWith(tmp + "/")) {
      throw new UruncError(
        `monitor file ${f.path} must live under /tmp (the jail's private tmpfs)`,
      );
    }
    mkdirUnder(host, tmp, dirname(target));
    const prefix = f.prefixFrom === undefined ? undefined : secureJoin(root, f.prefixFrom);
    host.writeFile(target, f.content, f.mode, prefix);
    sys.chown(target, opts.uid, opts.gid);
  }

  maskPaths(sys, root, opts.maskedPaths ?? [], opts.readonlyPaths ?? [], {
    kind(p) {
      const st = host.stat(p);
      return st === null ? null : st.isDirectory ? "dir" : "other";
    },
  });
  // Last, after every mount point was made in it: the rootfs may become read-only.
  lockImageMounts(sys, root, imageMounts, opts.readonlyRoot === true);

  sys.chdir(root);
  // pivot_root(".", ".") stacks the old root on top of the new one; detaching
  // it leaves only the jail, with no directory needed for the old root.
  sys.pivotRoot(".", ".");
  sys.umount(".", MNT_DETACH);
  sys.chdir("/");
}

/** The jail's /tmp: 64 MiB, plus what the plan asks for and the files built there. */
function tmpSizeKiB(jail: JailPlan, files: PlanFile[], root: string, host: HostPaths): number {
  let kib = 65536 + jail.tmpExtraMiB * 1024;
  for (const f of files) {
    if (f.prefixFrom === undefined) continue;
    const st = host.stat(secureJoin(root, f.prefixFrom));
    if (st === null || !st.isFile) {
      throw new UruncError(`${f.prefixFrom} in the rootfs is not a regular file`);
    }
    kib += Math.ceil((st.size ?? 0) / 1024) + 1;
  }
  return kib;
}

/** mkdir -p below `base` (a tmpfs of ours: nothing to record). */
function mkdirUnder(host: HostPaths, base: string, path: string): void {
  const missing: string[] = [];
  for (let p = path; p.length > base.length && !host.exists(p); p = dirname(p)) missing.unshift(p);
  for (const p of missing) host.mkdir(p);
}

/** Create a missing mount point (and missing parents) under root, recording each. */
function ensureMountPoint(
  host: HostPaths,
  root: string,
  target: string,
  type: "dir" | "file",
  record: (r: Resource) => void,
): void {
  if (host.exists(target)) return;
  const missing: string[] = [];
  for (let p = dirname(target); p.length > root.length && !host.exists(p); p = dirname(p)) {
    missing.unshift(p);
  }
  for (const p of missing) {
    record({ kind: "path", path: p, type: "dir" });
    host.mkdir(p);
  }
  record({ kind: "path", path: target, type });
  if (type === "dir") host.mkdir(target);
  else host.createFile(target);
}

/** Linux dev_t encoding (glibc major()/minor()). */
export function splitDev(rdev: number): { major: number; minor: number } {
  const d = BigInt(rdev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}
