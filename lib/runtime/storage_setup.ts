// The host side of the storage plan that must happen outside the container's
// mount namespace, i.e. in `create`, before the init child (and its copy of the
// mount table) exists: block devices handed to the guest are unmounted on the
// host, after what the monitor needs from the rootfs (kernel, initrd) is copied
// into the state dir. The init child puts those files on a tmpfs at the rootfs
// path (its own namespace) and builds the jail there. delete undoes the rest.

import { dirname, join } from "../path.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";
import { MS } from "../../ffi/constants.ts";
import { UruncError } from "../errors.ts";
import { handOverBlockMount } from "../host/block_handover.ts";
import { secureJoin } from "../host/secure_join.ts";
import type { LaunchPlan } from "../plan/types.ts";
import { faultPoint } from "./fault.ts";
import type { Resource } from "../ledger.ts";

/** Copies of the files the monitor reads from a rootfs that is handed to the guest. */
export const BOOT_DIR = "boot";

function copyKept(rootfs: string, keep: readonly string[], into: string): void {
  for (const p of keep) {
    const src = secureJoin(rootfs, p);
    const st = Deno.lstatSync(src);
    if (!st.isFile) {
      throw new UruncError(`block pass-through: ${p} in the rootfs is not a regular file`);
    }
    const dst = join(into, p);
    Deno.mkdirSync(dirname(dst), { recursive: true, mode: 0o700 });
    Deno.copyFileSync(src, dst);
  }
}

export function handOverStorage(
  sys: Syscalls,
  plan: LaunchPlan,
  o: { rootfs: string; dir: string; record(r: Resource): void },
): void {
  const dm = plan.storage.devmapper;
  if (dm !== null) {
    copyKept(o.rootfs, dm.keep, join(o.dir, BOOT_DIR));
    handOverBlockMount(sys, { mountpoint: o.rootfs, device: dm.device, record: o.record });
    faultPoint("create:after-rootfs-handover");
  }
  for (const v of plan.storage.volumes) {
    if (v.kind !== "disk") continue;
    handOverBlockMount(sys, { mountpoint: v.source, device: v.device, record: o.record });
    faultPoint("create:after-volume-handover");
  }
}

/**
 * In the init child's mount namespace (after isolateMounts): a tmpfs at the
 * rootfs path holding the kept files at their paths, as the monitor's root.
 */
export function rootfsForHandedOverDevice(
  sys: Syscalls,
  plan: LaunchPlan,
  o: { rootfs: string; dir: string },
): boolean {
  const dm = plan.storage.devmapper;
  if (dm === null) return false;
  sys.mount("tmpfs", o.rootfs, "tmpfs", MS.NOSUID | MS.NODEV, "mode=755");
  const from = join(o.dir, BOOT_DIR);
  for (const p of dm.keep) {
    const dst = join(o.rootfs, p);
    Deno.mkdirSync(dirname(dst), { recursive: true, mode: 0o755 });
    Deno.copyFileSync(join(from, p), dst);
  }
  return true;
}
