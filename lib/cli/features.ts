import { HOOK_KINDS } from "../oci/hook_kinds.ts";
import { CAPABILITIES } from "../plan/privileges.ts";
import { SECCOMP_ACTIONS, SECCOMP_FLAGS, SECCOMP_OPERATORS } from "../plan/seccomp/oci_profile.ts";
import { hostArch } from "../host/probe.ts";
import { parseCommandArgs } from "./args.ts";
import type { CommandContext } from "./context.ts";

/** The OCI runtime features document (runtime-spec features.md) for what urunc really does. */
export function features() {
  return {
    ociVersionMin: "1.0.0",
    ociVersionMax: "1.2.0",
    hooks: [...HOOK_KINDS],
    mountOptions: [],
    linux: {
      namespaces: ["cgroup", "ipc", "mount", "network", "pid", "uts"],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: false },
      // Compiled by urunc itself for the native ABI; listeners (SCMP_ACT_NOTIFY) are not supported.
      seccomp: {
        enabled: true,
        actions: SECCOMP_ACTIONS.filter((a) => a !== "SCMP_ACT_NOTIFY"),
        operators: [...SECCOMP_OPERATORS],
        archs: [hostArch() === "arm64" ? "SCMP_ARCH_AARCH64" : "SCMP_ARCH_X86_64"],
        knownFlags: Object.keys(SECCOMP_FLAGS),
        supportedFlags: Object.keys(SECCOMP_FLAGS),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
    },
    annotations: {
      "org.opencontainers.runc.checkpoint.enabled": "false",
      "io.urunc.unikernel-types": "unikraft,rumprun,mirage,mewz,linux",
      "io.urunc.monitors": "qemu,firecracker,hvt,spt",
    },
  };
}

export function main(_ctx: CommandContext, args: string[]): number {
  parseCommandArgs("features", args, {}, [0, 0], "urunc features");
  console.log(JSON.stringify(features(), null, "    "));
  return 0;
}
