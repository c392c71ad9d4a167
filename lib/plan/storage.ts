// Which root filesystem the guest gets: an initrd, a block image named by the
// config, or the devmapper snapshot under the rootfs passed through as a block
// device. As upstream, block wins over initrd (the initrd is still passed).

import type { UnikernelModule } from "./unikernels/unikernel.ts";
import type { RootfsMount, StoragePlan, UnikernelConfig } from "./types.ts";

export interface StorageDecision {
  storage: StoragePlan;
  initrd: string | null;
  warnings: string[];
}

/**
 * A facts file from another host may not say isBlockDevice; a mount source under
 * /dev/ is then taken as a block device (overlay, tmpfs etc. never are).
 */
export function isBlockSource(m: RootfsMount): boolean {
  return m.isBlockDevice ?? m.device.startsWith("/dev/");
}

export function planStorage(
  config: UnikernelConfig,
  u: UnikernelModule,
  mount: RootfsMount | null,
): StorageDecision {
  const warnings: string[] = [];
  let initrd: string | null = config.initrd === "" ? null : config.initrd;
  if (initrd !== null && !u.supportsInitrd) {
    warnings.push(
      `${u.type} does not boot from an initrd: ${initrd} (com.urunc.unikernel.initrd) is ignored`,
    );
    initrd = null;
  }
  let block: StoragePlan["block"] = null;
  let devmapper: StoragePlan["devmapper"] = null;
  if (config.block !== "") {
    if (u.supportsBlock) block = { path: config.block, source: "annotation" };
    else {warnings.push(
        `${u.type} does not support block devices: ${config.block} (com.urunc.unikernel.block) is ignored`,
      );}
  } else if (config.useDMBlock && u.supportsBlock) {
    const fsOk = (fs: string) => u.devmapperFs === "any" || u.devmapperFs.includes(fs);
    if (u.devmapperFs !== "any" && u.devmapperFs.length === 0) {
      warnings.push(
        `useDMBlock is set but ${u.type} cannot use the rootfs as a block device; it is not passed to the guest`,
      );
    } else if (mount === null) {
      warnings.push(
        "useDMBlock is set but the rootfs is not a mount point; the rootfs is not passed as a block device",
      );
    } else if (!isBlockSource(mount)) {
      warnings.push(
        `useDMBlock is set but the rootfs is mounted from ${mount.device}, not a block device; it is not passed to the guest`,
      );
    } else if (!fsOk(mount.fstype)) {
      const fs = (u.devmapperFs as readonly string[]).join(", ");
      warnings.push(
        `useDMBlock is set but ${u.type} reads only ${fs} block devices and the rootfs is ${mount.fstype}; it is not passed to the guest`,
      );
    } else {
      block = { path: mount.device, source: "devmapper" };
      devmapper = {
        device: mount.device,
        fstype: mount.fstype,
        keep: initrd === null ? [config.binary] : [config.binary, initrd],
      };
    }
  }
  const rootfs = block !== null ? "block" : initrd !== null ? "initrd" : "none";
  return { storage: { rootfs, block, devmapper }, initrd, warnings };
}
