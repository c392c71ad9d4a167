// The interface every unikernel type implements: what it supports, and how its
// guest command line is written. Monitors ask it for type-specific device flags.

import type {
  Arch,
  GuestNetwork,
  MonitorKind,
  RootfsKind,
  SharedFsKind,
  UnikernelType,
  VolumePlan,
} from "../types.ts";

export interface GuestContext {
  /** process.args, else the cmdline annotation split like Go's strings.Fields. */
  args: string[];
  /** args came from the cmdline annotation: the user wrote a guest-level string, not argv. */
  argsFromAnnotation: boolean;
  env: string[];
  network: GuestNetwork | null;
  rootfs: RootfsKind;
  /** An initrd is passed (as the root, or as early userspace beside a block/shared root). */
  initrd: boolean;
  volumes: VolumePlan[];
  /** process.user and process.cwd, for guests whose init can apply them. */
  uid: number;
  gid: number;
  cwd: string;
  /** Nameservers from the container's resolv.conf. */
  dns: string[];
  monitor: MonitorKind;
  /** com.urunc.unikernel.unikernelVersion ("" = unset). */
  version: string;
  arch: Arch;
}

export interface GuestCmdline {
  cmdline: string;
  /**
   * Linux with urunit: its configuration file, and whether it rides inside the initrd
   * (appended as /urunit.conf) or is the initrd itself (read from /sys/firmware/initrd).
   */
  urunitConfig?: { content: string; inInitrd: boolean };
  /** One line each: where the guest will see something other than what was asked for. */
  warnings: string[];
}

export interface UnikernelModule {
  type: UnikernelType;
  monitors: readonly MonitorKind[];
  arches: readonly Arch[];
  supportsInitrd: boolean;
  supportsBlock: boolean;
  /** Filesystem types a devmapper snapshot may carry to be passed as the block device. */
  devmapperFs: readonly string[] | "any";
  /** Shared filesystems the guest can take its root from. */
  sharedFs: readonly SharedFsKind[];
  /** The guest's init mounts volumes (shared directories and disks) where told. */
  volumes: boolean;
  /** An initrd can sit beside a block/shared root as early userspace (else the initrd is the root). */
  initrdIsEarlyUserspace: boolean;
  guestCmdline(ctx: GuestContext): GuestCmdline;
  /** qemu flags that replace the generic virtio ones. */
  qemu?: {
    net?: (tap: string) => string[];
    block?: (path: string) => string[];
    /** Appended after the devices, before -append. */
    tail?: readonly string[];
  };
  /** Solo5 device names as the unikernel's manifest declares them. */
  solo5?: { net: string; block: string };
}
