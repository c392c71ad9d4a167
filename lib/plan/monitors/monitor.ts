// The interface every monitor implements: how it is found, whether it needs
// KVM, and how it turns a guest description into argv (+ files).

import type { UnikernelModule } from "../unikernels/unikernel.ts";
import type {
  Arch,
  GuestNetwork,
  HelperProcess,
  MonitorKind,
  PlanFile,
  SharedFsKind,
  StoragePlan,
} from "../types.ts";

export interface MonitorContext {
  arch: Arch;
  kernel: string;
  initrd: string | null;
  block: string | null;
  cmdline: string;
  memoryMiB: number;
  vcpus: number;
  network: (GuestNetwork & { tap: string }) | null;
  /** The OCI spec confines the container (linux.seccomp is not null). */
  seccomp: boolean;
  usesKvm: boolean;
  /** [monitors.<kind>] extra_args from the host config. */
  extraArgs: readonly string[];
  unikernel: UnikernelModule;
  /** The rootfs share, volumes and helper daemons (see lib/plan/storage.ts). */
  storage: Pick<StoragePlan, "shared" | "volumes">;
  helpers: HelperProcess[];
}

export interface MonitorBuild {
  /** argv without argv[0]. */
  args: string[];
  files: PlanFile[];
  /** The command line the guest finally receives (a monitor may append to it). */
  cmdline: string;
  seccomp: { program: Uint8Array; instructions: number } | null;
  warnings: string[];
}

export interface MonitorModule {
  kind: MonitorKind;
  /** The executable looked up in PATH when the host config names no path. */
  binaryName(arch: Arch): string;
  /** required: cannot run without KVM; optional: KVM or emulation; never: no KVM. */
  kvm: "required" | "optional" | "never";
  /** Most vCPUs the monitor can give a guest (null = no limit of ours). */
  maxVcpus: number | null;
  /** Shared filesystems the monitor can offer a guest. */
  sharedFs: readonly SharedFsKind[];
  /** Can attach disks beyond the root one (volumes). */
  extraDisks: boolean;
  build(ctx: MonitorContext): MonitorBuild;
}
