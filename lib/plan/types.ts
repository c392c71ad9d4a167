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
  useDMBlock: boolean;
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

/** /etc/urunc/config.toml after validation, with defaults filled in. */
export interface HostConfig {
  defaults: { memoryMiB: number; vcpus: number };
  monitors: Record<MonitorKind, MonitorHostConfig>;
  /** The file it came from, or null when built from defaults. */
  file: string | null;
}

/** A file the host layer writes inside the jail before execve (e.g. /tmp/fc.json). */
export interface PlanFile {
  path: string;
  content: string;
  mode: number;
}

/** A host path bind-mounted read-only at the same path inside the monitor jail. */
export interface JailBind {
  path: string;
  /** Skip silently when the host path does not exist (e.g. /lib64 on some distros). */
  optional: boolean;
}

export interface JailPlan {
  binds: JailBind[];
  /** Device nodes copied from the host into the jail's tmpfs /dev. */
  devices: string[];
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

/** How the guest gets its root filesystem: the last applicable rule wins (block over initrd). */
export type RootfsKind = "initrd" | "block" | "none";

export interface StoragePlan {
  rootfs: RootfsKind;
  /** The block device/image given to the monitor, and where it came from. */
  block: { path: string; source: "annotation" | "devmapper" } | null;
  /**
   * Devmapper pass-through: the host layer copies `keep` (paths inside the rootfs:
   * kernel, initrd) out of the snapshot, unmounts it and hands `device` to the monitor.
   */
  devmapper: { device: string; fstype: string; keep: string[] } | null;
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
