// Building blocks for plan tests: a baseline input that each case overrides.

import { defaultHostConfig } from "../../../lib/config/host_config.ts";
import type {
  HostConfig,
  HostFacts,
  PlanInput,
  PlanSpec,
  UnikernelConfig,
} from "../../../lib/plan/types.ts";

export const NET = {
  ip: "10.4.0.2",
  mask: "255.255.255.0",
  gateway: "10.4.0.1",
  tap: "tap0_urunc",
  mac: "aa:bb:cc:dd:ee:01",
};
export const PATHS = {
  qemu: "/usr/bin/qemu-system-x86_64",
  firecracker: "/usr/local/bin/firecracker",
  hvt: "/usr/local/bin/solo5-hvt",
  spt: "/usr/local/bin/solo5-spt",
};

export function spec(over: Partial<PlanSpec> = {}): PlanSpec {
  return {
    args: ["/bin/app", "--flag", "two words"],
    env: ["PATH=/usr/bin:/bin", "FOO=bar"],
    memoryLimitBytes: 268435456,
    cpuQuota: null,
    cpuPeriod: null,
    seccomp: true,
    annotations: {},
    mounts: [],
    uid: 0,
    gid: 0,
    cwd: "/",
    readonlyRootfs: false,
    ownPidNamespace: true,
    ...over,
  };
}

export function config(over: Partial<UnikernelConfig> = {}): UnikernelConfig {
  return {
    unikernelType: "unikraft",
    hypervisor: "qemu",
    binary: "/.boot/kernel",
    cmdline: "",
    unikernelVersion: "",
    initrd: "",
    block: "",
    blkMntPoint: "",
    mountRootfs: false,
    source: "annotations",
    ...over,
  };
}

export function facts(over: Partial<HostFacts> = {}): HostFacts {
  return {
    arch: "amd64",
    kvm: true,
    monitorPaths: { ...PATHS },
    network: { ...NET },
    rootfsMount: { mountpoint: "/run/c1/rootfs", device: "overlay", fstype: "overlay" },
    ...over,
  };
}

export function host(edit: (h: HostConfig) => void = () => {}): HostConfig {
  const h = defaultHostConfig();
  edit(h);
  return h;
}

export function input(o: {
  spec?: Partial<PlanSpec>;
  config?: Partial<UnikernelConfig>;
  facts?: Partial<HostFacts>;
  host?: (h: HostConfig) => void;
} = {}): PlanInput {
  return {
    containerId: "c1",
    spec: spec(o.spec),
    config: config(o.config),
    facts: facts(o.facts),
    host: host(o.host),
  };
}

/** Run fn and return the UruncError message it throws (fails if it does not throw one). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if ((err as Error).name === "UruncError") return (err as Error).message;
    throw err;
  }
  throw new Error("expected an UruncError, nothing was thrown");
}
