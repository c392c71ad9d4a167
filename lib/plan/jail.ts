// What the monitor needs inside its jail (the container rootfs after
// pivot_root): its binary, the host libraries it links against (read-only), qemu's
// firmware, and the few device nodes it opens.

import type { JailBind, JailPlan, JailShare, MonitorKind, StoragePlan } from "./types.ts";

const LIB_DIRS = ["/lib", "/lib64", "/usr/lib", "/usr/lib64"];
const QEMU_DATA_DIRS = ["/usr/share/qemu", "/usr/share/seabios", "/usr/lib/ipxe/qemu"];

export interface JailInput {
  kind: MonitorKind;
  monitorPath: string;
  usesKvm: boolean;
  networked: boolean;
  storage: StoragePlan;
  memoryMiB: number;
}

/** tmpfs /tmp headroom (MiB) for virtiofs, whose guest RAM is a file there. */
function tmpExtraMiB(j: JailInput): number {
  return j.storage.helpers.length > 0 ? j.memoryMiB : 0;
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
  const st = j.storage;
  if (st.devmapper !== null) devices.push(st.devmapper.device);
  const shares: JailShare[] = [];
  if (st.shared !== null) {
    shares.push({ source: null, target: st.shared.jailPath, readonly: st.shared.readonly });
  }
  for (const v of st.volumes) {
    if (v.kind === "disk") devices.push(v.device);
    else shares.push({ source: v.source, target: v.jailPath, readonly: v.readonly });
  }
  for (const h of st.helpers) {
    if (!binds.some((b) => b.path === h.argv[0])) binds.push({ path: h.argv[0], optional: false });
  }
  const proc = j.kind === "qemu" && shares.length > 0;
  return { binds, devices, shares, proc, tmpExtraMiB: tmpExtraMiB(j) };
}
