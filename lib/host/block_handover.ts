// Block pass-through on the host (create, in the host's mount namespace): a
// filesystem mounted from a block device (the devmapper snapshot under the
// rootfs, a disk or loop-backed volume) is unmounted so the guest alone writes
// it, and mounted back by delete. Only the exact device of that mount is ever
// handed over, and only when nothing else on the host has it mounted. A loop
// device's autoclear flag is cleared first, or the unmount would destroy it.

import type { Syscalls } from "../../ffi/syscalls.ts";
import { MS } from "../../ffi/constants.ts";
import { UruncError } from "../errors.ts";
import type { Resource } from "../ledger.ts";
import { type MountEntry, parseMountinfo } from "./mountinfo.ts";
import { splitDev } from "./jail.ts";

const FLAG_WORDS: Record<string, number> = {
  ro: MS.RDONLY,
  nosuid: MS.NOSUID,
  nodev: MS.NODEV,
  noexec: MS.NOEXEC,
  noatime: MS.NOATIME,
  nodiratime: MS.NODIRATIME,
  relatime: MS.RELATIME,
};

/** What to pass mount(2) to mount it again as it was. */
export function remountArgs(e: MountEntry): { flags: number; data: string } {
  let flags = 0;
  for (const o of e.mountOptions) flags |= FLAG_WORDS[o] ?? 0;
  const data = e.superOptions.filter((o) => o !== "rw" && o !== "ro").join(",");
  return { flags, data };
}

export interface DeviceFacts {
  /** stat(2) of the device node: null when missing; isBlock false for other files. */
  statDevice(path: string): { isBlock: boolean; rdev: number } | null;
  mountinfo(): string;
}

export const realDeviceFacts: DeviceFacts = {
  statDevice(path) {
    try {
      const st = Deno.statSync(path);
      return { isBlock: st.isBlockDevice === true, rdev: st.rdev ?? 0 };
    } catch {
      return null;
    }
  },
  mountinfo: () => Deno.readTextFileSync("/proc/self/mountinfo"),
};

/** The mount at `mountpoint`, proven to be `device` and nowhere else mounted. */
export function verifyBlockMount(
  entries: MountEntry[],
  mountpoint: string,
  device: string,
  facts: DeviceFacts,
): MountEntry {
  const found = entries.filter((e) => e.mountpoint === mountpoint).at(-1);
  if (found === undefined) {
    throw new UruncError(`block pass-through: ${mountpoint} is not a mount point`);
  }
  if (found.source !== device) {
    throw new UruncError(
      `block pass-through: ${mountpoint} is mounted from ${found.source}, not ${device}`,
    );
  }
  const st = facts.statDevice(device);
  if (st === null || !st.isBlock) {
    throw new UruncError(`block pass-through: ${device} is not a block device`);
  }
  const { major, minor } = splitDev(st.rdev);
  if (`${major}:${minor}` !== found.devno) {
    throw new UruncError(
      `block pass-through: ${device} is ${major}:${minor}, but the filesystem at ${mountpoint} is on ${found.devno}`,
    );
  }
  const elsewhere = entries.filter((e) => e.devno === found.devno && e.mountpoint !== mountpoint);
  if (elsewhere.length > 0) {
    throw new UruncError(
      `block pass-through: ${device} is also mounted at ${
        elsewhere.map((e) => e.mountpoint).join(", ")
      }; urunc hands a guest only a device nothing else on the host has mounted`,
    );
  }
  return found;
}

const LOOP_MAJOR = "7";

/** Unmount `mountpoint` (a filesystem on `device`) for the guest, ledgering each step first. */
export function handOverBlockMount(
  sys: Syscalls,
  o: { mountpoint: string; device: string; record(r: Resource): void },
  facts: DeviceFacts = realDeviceFacts,
): void {
  const entry = verifyBlockMount(
    parseMountinfo(facts.mountinfo()),
    o.mountpoint,
    o.device,
    facts,
  );
  if (entry.devno.split(":")[0] === LOOP_MAJOR && sys.loopAutoclear(o.device)) {
    o.record({ kind: "loop-autoclear", device: o.device });
    sys.loopAutoclear(o.device, false);
  }
  const { flags, data } = remountArgs(entry);
  o.record({
    kind: "unmount",
    target: o.mountpoint,
    device: o.device,
    devno: entry.devno,
    fstype: entry.fstype,
    flags,
    data,
  });
  sys.umount(o.mountpoint, 0);
}

/** delete: mount it back (unless it already is), then restore autoclear. Returns a problem or null. */
export function undoHandOver(
  sys: Syscalls,
  r: Extract<Resource, { kind: "unmount" | "loop-autoclear" }>,
  facts: DeviceFacts = realDeviceFacts,
  /**
   * Devices this delete could not mount back (undo runs in reverse ledger order: the mount
   * before the autoclear). Their autoclear stays cleared: set, it would detach the loop
   * device, and a retried delete would have nothing left to mount.
   */
  remountFailed: Set<string> = new Set(),
): string | null {
  try {
    if (r.kind === "loop-autoclear") {
      if (remountFailed.has(r.device)) return null;
      if (facts.statDevice(r.device)?.isBlock) sys.loopAutoclear(r.device, true);
      return null;
    }
    const back = parseMountinfo(facts.mountinfo()).some((e) =>
      e.mountpoint === r.target && e.devno === r.devno
    );
    if (back) return null;
    try {
      sys.mount(r.device, r.target, r.fstype, r.flags, r.data === "" ? null : r.data);
    } catch {
      // Some superblock options are reported but not accepted back: the plain mount then.
      sys.mount(r.device, r.target, r.fstype, r.flags, null);
    }
    return null;
  } catch (err) {
    if (r.kind === "unmount") remountFailed.add(r.device);
    return `cannot restore ${
      r.kind === "unmount" ? `the mount of ${r.device} on ${r.target}` : `autoclear on ${r.device}`
    }: ${(err as Error).message}`;
  }
}
