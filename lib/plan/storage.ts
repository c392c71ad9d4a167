// Which root filesystem the guest gets, and which volumes. The container's own
// rootfs (mountRootfs, old name useDMBlock) goes as a block device when its
// mount source is one (devmapper snapshots, loop devices), else through a
// shared filesystem the type and monitor both speak; anything else is one error
// naming what would work. The block annotation wins over both (upstream 0.5),
// and an initrd is still passed beside a block or shared root, as the guest's
// early userspace (distro kernels load virtio-blk/9p/ext4 from it).

import { UruncError } from "../errors.ts";
import type { MonitorModule } from "./monitors/monitor.ts";
import type { UnikernelModule } from "./unikernels/unikernel.ts";
import type {
  HostConfig,
  HostFacts,
  PlanSpec,
  RootfsMount,
  SharedFsKind,
  StoragePlan,
  UnikernelConfig,
} from "./types.ts";
import { planVolumes } from "./volumes.ts";
import { virtiofsdHelper } from "./virtiofs.ts";

export interface StorageDecision {
  storage: StoragePlan;
  initrd: string | null;
  warnings: string[];
}

/** Where the monitor sees the shared rootfs: a bind on the jail's private /tmp. */
export const SHARED_ROOTFS_JAIL_PATH = "/tmp/urunc/rootfs";

/**
 * A facts file from another host may not say isBlockDevice; a mount source under
 * /dev/ is then taken as a block device (overlay, tmpfs etc. never are).
 */
export function isBlockSource(m: RootfsMount): boolean {
  return m.isBlockDevice ?? m.device.startsWith("/dev/");
}

/** The shared filesystems this pair can use, the host's preference first. */
export function sharedFsChoices(
  u: UnikernelModule,
  m: MonitorModule,
  host: HostConfig,
): SharedFsKind[] {
  const order: SharedFsKind[] = host.storage.sharedFs === "virtiofs"
    ? ["virtiofs", "9p"]
    : ["9p", "virtiofs"];
  return order.filter((fs) =>
    u.sharedFs.includes(fs) && m.sharedFs.includes(fs) &&
    (fs === "9p" || host.storage.virtiofsd !== undefined)
  );
}

function blockFsOk(u: UnikernelModule, fstype: string): boolean {
  return u.devmapperFs === "any" || u.devmapperFs.includes(fstype);
}

/** What a pair could take the rootfs as, for the error that says it cannot. */
function whatWouldWork(u: UnikernelModule, m: MonitorModule, host: HostConfig): string {
  const ways: string[] = [];
  const fs = u.devmapperFs;
  if (u.supportsBlock && fs === "any") {
    ways.push("a rootfs on a block device (devmapper snapshotter)");
  } else if (u.supportsBlock && fs !== "any" && fs.length > 0) {
    ways.push(`a rootfs on a ${fs.join("/")} block device (devmapper snapshotter)`);
  }
  for (const fs of u.sharedFs) {
    if (!m.sharedFs.includes(fs)) continue;
    ways.push(
      fs === "virtiofs" && host.storage.virtiofsd === undefined
        ? "virtiofs once [storage] virtiofsd names the daemon in the host config"
        : `a directory rootfs shared through ${fs}`,
    );
  }
  if (ways.length === 0) {
    const others = u.monitors.filter((k) => k !== m.kind);
    return `${u.type} on ${m.kind} cannot take the container rootfs at all${
      others.length > 0 ? ` (try another monitor: ${others.join(", ")})` : ""
    }; package the root filesystem as an initrd or the block annotation`;
  }
  return `${u.type} on ${m.kind} takes ${ways.join(", or ")}`;
}

export function planStorage(
  config: UnikernelConfig,
  u: UnikernelModule,
  m: MonitorModule,
  spec: PlanSpec,
  host: HostConfig,
  facts: HostFacts,
): StorageDecision {
  const warnings: string[] = [];
  const mount = facts.rootfsMount;
  let initrd: string | null = config.initrd === "" ? null : config.initrd;
  if (initrd !== null && !u.supportsInitrd) {
    warnings.push(
      `${u.type} does not boot from an initrd: ${initrd} (com.urunc.unikernel.initrd) is ignored`,
    );
    initrd = null;
  }
  let block: StoragePlan["block"] = null;
  let devmapper: StoragePlan["devmapper"] = null;
  let shared: StoragePlan["shared"] = null;
  if (config.block !== "") {
    if (u.supportsBlock) block = { path: config.block, source: "annotation" };
    else {
      warnings.push(
        `${u.type} does not support block devices: ${config.block} (com.urunc.unikernel.block) is ignored`,
      );
    }
    if (config.mountRootfs && u.supportsBlock) {
      warnings.push(
        "mountRootfs is set but the block annotation names the guest's root: the container rootfs is not passed",
      );
    }
  } else if (config.mountRootfs) {
    const asBlock = mount !== null && isBlockSource(mount);
    if (asBlock && u.supportsBlock && blockFsOk(u, mount.fstype)) {
      block = { path: mount.device, source: "devmapper" };
      devmapper = {
        device: mount.device,
        fstype: mount.fstype,
        keep: initrd === null ? [config.binary] : [config.binary, initrd],
      };
    } else if (initrd !== null && !u.initrdIsEarlyUserspace) {
      // As upstream: such a guest's root is its initrd, so the initrd wins.
      warnings.push(
        `mountRootfs is set but ${u.type} boots from its initrd ${initrd}: the container rootfs is not passed`,
      );
    } else {
      const fs = sharedFsChoices(u, m, host)[0];
      if (fs === undefined) {
        const rootfsIs = mount === null
          ? "not a mount point"
          : asBlock
          ? `${mount.fstype} on the block device ${mount.device}`
          : `a directory (${mount.fstype} from ${mount.device})`;
        throw new UruncError(
          `cannot give the container rootfs (com.urunc.unikernel.mountRootfs) to a ${u.type} guest on ${m.kind}: the rootfs is ${rootfsIs}; ${
            whatWouldWork(u, m, host)
          }`,
        );
      }
      shared = { fs, jailPath: SHARED_ROOTFS_JAIL_PATH, readonly: spec.readonlyRootfs };
    }
  }
  const rootfs = block !== null
    ? "block"
    : shared !== null
    ? shared.fs
    : initrd !== null
    ? "initrd"
    : "none";
  const vols = planVolumes(spec, u, m, host, facts);
  warnings.push(...vols.warnings);
  const helpers = [];
  const virtiofs = shared?.fs === "virtiofs" ||
    vols.volumes.some((v) => v.kind === "share" && v.fs === "virtiofs");
  if (virtiofs && !spec.ownPidNamespace) {
    // virtiofsd runs beside the monitor; only a PID namespace of our own guarantees it dies with it.
    throw new UruncError(
      'virtiofs needs the container\'s own PID namespace (virtiofsd must end with the monitor); give the container one or set [storage] shared_fs = "9p"',
    );
  }
  if (shared?.fs === "virtiofs") {
    helpers.push(virtiofsdHelper(host, "fs0", shared.jailPath, shared.readonly));
  }
  for (const v of vols.volumes) {
    if (v.kind === "share" && v.fs === "virtiofs") {
      helpers.push(virtiofsdHelper(host, v.id, v.jailPath, v.readonly));
    }
  }
  return {
    storage: { rootfs, block, devmapper, shared, volumes: vols.volumes, helpers },
    initrd,
    warnings,
  };
}
