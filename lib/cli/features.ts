import { HOOK_KINDS } from "../oci/spec.ts";
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
      capabilities: [],
      cgroup: { v1: true, v2: true, systemd: true, systemdUser: false, rdma: false },
      seccomp: { enabled: false },
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
