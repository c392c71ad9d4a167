// The launch-plan contract: pure inputs in, one LaunchPlan out. lib/plan never
// touches the system; lib/runtime gathers the inputs and lib/host applies the plan.

export const UNIKERNEL_TYPES = ["unikraft", "rumprun", "mirage", "mewz", "linux"] as const;
export type UnikernelType = typeof UNIKERNEL_TYPES[number];

export const MONITOR_KINDS = ["qemu", "firecracker", "hvt", "spt"] as const;
export type MonitorKind = typeof MONITOR_KINDS[number];

export type Arch = "amd64" | "arm64";

/** The unikernel configuration after merging annotations and /urunc.json (values decoded). */
export interface UnikernelConfig {
  unikernelType: UnikernelType;
  hypervisor: MonitorKind;
  /** Kernel path inside the rootfs. */
  binary: string;
  /** App command line used when process.args is empty ("" = unset). */
  cmdline: string;
  unikernelVersion: string;
  initrd: string;
  block: string;
  blkMntPoint: string;
  /** mountRootfs (useDMBlock is its old name): give the container's own rootfs to the guest. */
  mountRootfs: boolean;
  /** Where the configuration came from, for error messages. */
  source: "annotations" | "urunc.json";
}

/** The container interface as the guest should see it (fixture shape). */
export interface NetworkInfo {
  ip: string;
  /** Dotted-decimal netmask, e.g. 255.255.255.0. */
  mask: string;
  gateway: string;
  tap: string;
  mac: string;
  mtu?: number;
}

export interface RootfsMount {
  mountpoint: string;
  device: string;
  fstype: string;
  /** True when `device` is a block device node on the host (devmapper snapshots). */
  isBlockDevice?: boolean;
}

/** What the host is like; probed by lib/host or read from `urunc plan --facts`. */
export interface HostFacts {
  arch: Arch;
  /** /dev/kvm exists and can be opened. */
  kvm: boolean;
  /** Resolved monitor binaries (host config path, else PATH lookup); absent = not installed. */
  monitorPaths: Partial<Record<MonitorKind, string>>;
  network: NetworkInfo | null;
  rootfsMount: RootfsMount | null;
  /** What each bind-mount source in spec.mounts is on this host (keyed by source path). */
  mountSources?: Record<string, MountSource>;
  /** Nameservers of the container's resolv.conf (the spec mount at /etc/resolv.conf). */
  dns?: string[];
}

/** A spec.mounts source as the host sees it. */
export type MountSource =
  | { kind: "dir" }
  | { kind: "file" }
  /** The source is the mount point of a block-device filesystem (a disk or loop device). */
  | { kind: "block"; device: string; fstype: string }
  | { kind: "missing" }
  | { kind: "other" };

/** One entry of spec.mounts, as the plan reads it. */
export interface PlanMount {
  destination: string;
  type: string;
  source: string;
  options: string[];
}

/** The parts of the OCI spec the plan reads. */
export interface PlanSpec {
  args: string[];
  env: string[];
  /** linux.resources.memory.limit in bytes; null when unset. */
  memoryLimitBytes: number | null;
  /** linux.resources.cpu quota/period in microseconds; null when unset. */
  cpuQuota: number | null;
  cpuPeriod: number | null;
  /** false when linux.seccomp is null/absent (unconfined). */
  seccomp: boolean;
  /** Spec annotations other than the urunc keys (e.g. the Knative container name). */
  annotations: Record<string, string>;
  /** spec.mounts (volumes, /proc, /dev/shm, resolv.conf...). */
  mounts: PlanMount[];
  uid: number;
  gid: number;
  cwd: string;
  /** root.readonly */
  readonlyRootfs: boolean;
  /** A PID namespace of the container's own (helpers such as virtiofsd die with the monitor). */
  ownPidNamespace: boolean;
}

export interface PlanInput {
  containerId: string;
  spec: PlanSpec;
  config: UnikernelConfig;
  host: HostConfig;
  facts: HostFacts;
}

export type AccelMode = "auto" | "kvm" | "tcg";

export interface MonitorHostConfig {
  path?: string;
  accel: AccelMode;
  extraArgs: string[];
  /** Added to the guest RAM for the container's cgroup memory limit: the monitor's own memory. */
  memoryOverheadMiB: number;
  /** Syscalls this monitor needs that a seccomp profile may deny: allowed on top of linux.seccomp. */
  seccompAllow?: string[];
}

export type SharedFsKind = "9p" | "virtiofs";

/** /etc/urunc/config.toml after validation, with defaults filled in. */
export interface HostConfig {
  defaults: { memoryMiB: number; vcpus: number };
  monitors: Record<MonitorKind, MonitorHostConfig>;
  /** [storage]: the shared filesystem preferred for rootfs and volumes, and virtiofsd's path. */
  storage: { sharedFs: SharedFsKind; virtiofsd?: string };
  /** The file it came from, or null when built from defaults. */
  file: string | null;
}

/** A file the host layer writes inside the jail before execve (e.g. /tmp/fc.json). */
export interface PlanFile {
  path: string;
  content: string;
  mode: number;
  /**
   * A file inside the rootfs whose bytes come first (NUL-padded to 4 bytes), e.g. an initrd
   * that `content` (a cpio archive) extends.
   */
  prefixFrom?: string;
}

/** A host path bind-mounted read-only at the same path inside the monitor jail. */
export interface JailBind {
  path: string;
  /** Skip silently when the host path does not exist (e.g. /lib64 on some distros). */
  optional: boolean;
}

/** A host directory bind-mounted at `target` on the jail's private /tmp (shared with the guest). */
export interface JailShare {
  /** null: the container rootfs itself (a non-recursive bind: none of the jail's own mounts). */
  source: string | null;
  target: string;
  readonly: boolean;
}

export interface JailPlan {
  binds: JailBind[];
  /** Device nodes copied from the host into the jail's tmpfs /dev. */
  devices: string[];
  shares: JailShare[];
  /** A read-only /proc: qemu's 9p server changes modes through /proc/self/fd. */
  proc: boolean;
  /** Extra room on the jail's /tmp (virtiofs puts the guest's RAM there). */
  tmpExtraMiB: number;
}

export interface NetworkPlan {
  /** dynamic: tc mirroring between the container interface and the tap; static: Knative NAT. */
  mode: "dynamic" | "static";
  tap: string;
}

/** The address the guest configures on its NIC (static mode: the fixed Knative addresses). */
export interface GuestNetwork {
  ip: string;
  mask: string;
  /** Prefix length counted from `mask`. */
  prefix: number;
  gateway: string;
  mac: string;
}

/**
 * How the guest gets its root filesystem. The container rootfs (block pass-through or a
 * shared filesystem) and the block annotation win over an initrd, which is still passed
 * and then serves as the guest's early userspace.
 */
export type RootfsKind = "initrd" | "block" | "9p" | "virtiofs" | "none";

/** A volume (spec.mounts entry) given to the guest. */
export type VolumePlan =
  /** A host directory shared through 9p/virtiofs under tag `id`, mounted by the guest's init. */
  | {
    kind: "share";
    id: string;
    fs: SharedFsKind;
    source: string;
    destination: string;
    readonly: boolean;
    /** Where the jail sees it (a bind on its private /tmp). */
    jailPath: string;
  }
  /** A block-device filesystem mounted at `source` on the host: unmounted there, attached as a disk. */
  | {
    kind: "disk";
    id: string;
    source: string;
    device: string;
    fstype: string;
    destination: string;
    readonly: boolean;
  };

/** A process the monitor needs beside it (virtiofsd), started in the jail before execve. */
export interface HelperProcess {
  name: string;
  argv: string[];
  /** The socket the helper creates and the monitor connects to. */
  socket: string;
}

export interface StoragePlan {
  rootfs: RootfsKind;
  /** The block device/image given to the monitor, and where it came from. */
  block: { path: string; source: "annotation" | "devmapper" } | null;
  /**
   * Block pass-through (devmapper style): the host layer copies `keep` (paths inside the
   * rootfs: kernel, initrd) out of the rootfs, unmounts it and hands `device` to the monitor.
   */
  devmapper: { device: string; fstype: string; keep: string[] } | null;
  /** The rootfs shared as tag fs0, seen by the monitor at `jailPath`. */
  shared: { fs: SharedFsKind; jailPath: string; readonly: boolean } | null;
  volumes: VolumePlan[];
  helpers: HelperProcess[];
}

export interface LaunchPlan {
  unikernelType: UnikernelType;
  monitor: {
    kind: MonitorKind;
    path: string;
    /** argv[0] is `path`; never a string split on spaces. */
    argv: string[];
    /** The monitor's whole environment (not urunc's). */
    env: string[];
    files: PlanFile[];
    /** Classic BPF program for the host to install right before execve (hvt only). */
    seccomp: { program: Uint8Array; instructions: number } | null;
    usesKvm: boolean;
  };
  guest: {
    cmdline: string;
    kernel: string;
    initrd: string | null;
    block: string | null;
    memoryMiB: number;
    vcpus: number;
  };
  jail: JailPlan;
  /** null: the container has no network (facts.network was null). */
  network: (NetworkPlan & { guest: GuestNetwork }) | null;
  storage: StoragePlan;
  /** One line each: things the guest will see differently from what the user wrote. */
  warnings: string[];
}
