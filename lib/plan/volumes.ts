// spec.mounts → what the guest gets. Directory binds are shared (9p/virtiofs,
// one tag each); binds of a block-device filesystem become disks; the mounts a
// Linux *container* needs (proc, sysfs, tmpfs, devpts, mqueue, cgroup) and the
// runtime-written /etc files are skipped; anything else is one warning naming it.

import { UruncError } from "../errors.ts";
import type { MonitorModule } from "./monitors/monitor.ts";
import type { UnikernelModule } from "./unikernels/unikernel.ts";
import type { HostConfig, HostFacts, PlanMount, PlanSpec, VolumePlan } from "./types.ts";
import { sharedFsChoices } from "./storage.ts";

/** Kernel filesystems a Linux container mounts for itself; a guest has its own. */
const CONTAINER_ONLY = new Set(["proc", "sysfs", "tmpfs", "devpts", "mqueue", "cgroup", "cgroup2"]);
/** Files the container runtime writes per container; resolv.conf reaches the guest as DNS. */
export const RUNTIME_ETC_FILES = ["/etc/resolv.conf", "/etc/hosts", "/etc/hostname"];
/** What a guest's init mounts from a disk (urunit mounts ext4, which reads ext2/3 too). */
const DISK_FS = ["ext2", "ext3", "ext4"];

export function isBind(m: PlanMount): boolean {
  return m.type === "bind" || m.options.includes("bind") || m.options.includes("rbind");
}

export function volumeJailPath(id: string): string {
  return `/tmp/urunc/${id}`;
}

export function planVolumes(
  spec: PlanSpec,
  u: UnikernelModule,
  m: MonitorModule,
  host: HostConfig,
  facts: HostFacts,
): { volumes: VolumePlan[]; warnings: string[] } {
  const volumes: VolumePlan[] = [];
  const warnings: string[] = [];
  const refused: string[] = [];
  const shareFs = u.volumes ? sharedFsChoices(u, m, host)[0] : undefined;
  spec.mounts.forEach((mnt, i) => {
    if (CONTAINER_ONLY.has(mnt.type)) return;
    const dst = mnt.destination;
    if (!isBind(mnt)) {
      warnings.push(
        `volume ${dst} (type ${
          JSON.stringify(mnt.type)
        }) is not passed to the guest: only bind mounts are`,
      );
      return;
    }
    if (RUNTIME_ETC_FILES.includes(dst)) return;
    const readonly = mnt.options.includes("ro");
    const id = `vol${i}`;
    // A facts file from another host may not describe sources: take them as directories.
    const src = facts.mountSources?.[mnt.source] ?? { kind: "dir" as const };
    switch (src.kind) {
      case "missing":
        throw new UruncError(
          `invalid spec.mounts entry ${dst}: source ${mnt.source} does not exist`,
        );
      case "block":
        if (!u.volumes || !m.extraDisks) refused.push(dst);
        else if (!DISK_FS.includes(src.fstype)) {
          warnings.push(
            `volume ${dst}: ${mnt.source} is a ${src.fstype} filesystem on ${src.device}; the guest mounts only ${
              DISK_FS.join("/")
            } disks, so it is not passed`,
          );
        } else {
          volumes.push({
            kind: "disk",
            id,
            source: mnt.source,
            device: src.device,
            fstype: src.fstype,
            destination: dst,
            readonly,
          });
        }
        return;
      case "dir":
        if (shareFs === undefined) refused.push(dst);
        else {
          volumes.push({
            kind: "share",
            id,
            fs: shareFs,
            source: mnt.source,
            destination: dst,
            readonly,
            jailPath: volumeJailPath(id),
          });
        }
        return;
      case "file":
        warnings.push(
          `volume ${dst}: ${mnt.source} is a single file, which cannot be shared with the guest; it is not passed`,
        );
        return;
      case "other":
        warnings.push(
          `volume ${dst}: ${mnt.source} is neither a directory nor a block-device filesystem; it is not passed`,
        );
        return;
    }
  });
  if (refused.length > 0) {
    warnings.push(
      `${u.type} on ${m.kind} cannot take volumes (only linux on qemu shares directories; linux on qemu/firecracker takes ext2/3/4 disks): ${
        refused.join(", ")
      } not passed to the guest`,
    );
  }
  return { volumes, warnings };
}
