// What makes the jail a boundary rather than a chroot: everything that comes
// from the image is nosuid,nodev (a device node or setuid binary in an image
// gives nothing), and the spec's maskedPaths/readonlyPaths apply as in runc,
// where they exist inside the jail. Runs before pivot_root, on host paths.

import { MS } from "../../ffi/constants.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { secureJoin } from "./secure_join.ts";

/** Flags a bind remount must carry over, or it would clear them. */
const KEPT = MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC | MS.NOATIME | MS.NODIRATIME |
  MS.RELATIME;

function remount(sys: Syscalls, target: string, add: number): void {
  const keep = sys.mountFlags(target) & KEPT;
  sys.mount(null, target, null, MS.BIND | MS.REMOUNT | keep | add, null);
}

/**
 * The rootfs bind (and mounts found below it when the jail began, the image's)
 * become nosuid,nodev, and read-only when root.readonly says so. Our own /dev
 * keeps its device nodes: it is mounted over, not below, these.
 */
export function lockImageMounts(
  sys: Syscalls,
  root: string,
  imageMounts: readonly string[],
  readonly: boolean,
): void {
  const add = MS.NOSUID | MS.NODEV | (readonly ? MS.RDONLY : 0);
  for (const m of [root, ...imageMounts]) remount(sys, m, add);
}

export interface PathKind {
  /** null when the path does not exist in the jail. */
  kind(hostPath: string): "dir" | "other" | null;
}

/**
 * maskedPaths: an empty read-only tmpfs over a directory, the jail's /dev/null
 * over anything else. readonlyPaths: bound onto themselves read-only. Paths
 * that do not exist in the jail are skipped, as runc does.
 */
export function maskPaths(
  sys: Syscalls,
  root: string,
  masked: readonly string[],
  readonly: readonly string[],
  fs: PathKind,
): void {
  for (const p of masked) {
    const target = secureJoin(root, p);
    const kind = fs.kind(target);
    if (kind === "dir") {
      sys.mount("tmpfs", target, "tmpfs", MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, null);
    } else if (kind === "other") sys.mount(`${root}/dev/null`, target, null, MS.BIND, null);
  }
  for (const p of readonly) {
    const target = secureJoin(root, p);
    if (fs.kind(target) === null) continue;
    sys.mount(target, target, null, MS.BIND | MS.REC, null);
    remount(sys, target, MS.RDONLY | MS.NOSUID | MS.NODEV);
  }
}

/** Mount points strictly below `root` in a /proc/self/mountinfo text, parents first. */
export function mountsBelow(mountinfo: string, root: string): string[] {
  const prefix = root.replace(/\/+$/, "") + "/";
  const out = new Set<string>();
  for (const line of mountinfo.split("\n")) {
    const field = line.split(" ")[4];
    if (field === undefined) continue;
    // mountinfo escapes space, tab, newline and backslash as \ooo.
    const point = field.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
    if (point.startsWith(prefix)) out.add(point);
  }
  return [...out].sort((a, b) => a.split("/").length - b.split("/").length || a.localeCompare(b));
}
