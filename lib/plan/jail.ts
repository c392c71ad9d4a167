// What the monitor needs inside its jail (the container rootfs after
// pivot_root): its binary, the host libraries it links against (read-only), qemu's
// firmware, and the few device nodes it opens.

import type { JailBind, JailPlan, MonitorKind } from "./types.ts";

const LIB_DIRS = ["/lib", "/lib64", "/usr/lib", "/usr/lib64"];
const QEMU_DATA_DIRS = ["/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu"];

export interface JailInput {
  kind: MonitorKind;
  monitorPath: string;
  usesKvm: boolean;
  networked: boolean;
  /** The devmapper device passed to the guest, if any. */
  blockDevice: string | null;
}

export function jailPlan(j: JailInput): JailPlan {
  const binds: JailBind[] = [
    { path: j.monitorPath, optional: false },
    // Distros differ (no /lib64 on arm64, merged /usr): a missing dir is skipped.
    ...LIB_DIRS.map((path) => ({ path, optional: true })),
  ];
  if (j.kind === "qemu") binds.push(...QEMU_DATA_DIRS.map((path) => ({ path, optional: true })));
  const devices = ["/dev/null", "/dev/urandom"];
  if (j.usesKvm) devices.push("/dev/kvm");
  if (j.networked) devices.push("/dev/net/tun");
  if (j.blockDevice !== null) devices.push(j.blockDevice);
  return { binds, devices };
}
