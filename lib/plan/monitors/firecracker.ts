// firecracker: no API socket; the whole VM is described by a JSON file written
// into the jail. Key order and Go's JSON escaping follow upstream so the file is
// byte-identical; a container without network declares no interface at all.

import { goJsonStringify } from "../go_compat.ts";
import type { MonitorBuild, MonitorContext, MonitorModule } from "./monitor.ts";

export const FIRECRACKER_CONFIG_PATH = "/tmp/fc.json";

function build(ctx: MonitorContext): MonitorBuild {
  // firecracker's arm64 serial console is only enabled when the guest asks for it.
  const cmdline = ctx.arch === "arm64" ? `${ctx.cmdline} console=ttyS0` : ctx.cmdline;
  const bootSource: Record<string, string> = { kernel_image_path: ctx.kernel, boot_args: cmdline };
  if (ctx.initrd !== null) bootSource.initrd_path = ctx.initrd;
  const net = ctx.network;
  const config = {
    "boot-source": bootSource,
    "machine-config": {
      vcpu_count: ctx.vcpus,
      mem_size_mib: ctx.memoryMiB,
      smt: false,
      track_dirty_pages: false,
    },
    drives: [
      ...(ctx.block === null ? [] : [{
        drive_id: "rootfs",
        is_read_only: false,
        is_root_device: true,
        path_on_host: ctx.block,
      }]),
      // Volumes: firecracker gives no serial, so urunit finds them in this order ("FC" ids).
      ...ctx.storage.volumes.flatMap((v) =>
        v.kind === "disk"
          ? [{
            drive_id: v.id,
            is_read_only: v.readonly,
            is_root_device: false,
            path_on_host: v.device,
          }]
          : []
      ),
    ],
    "network-interfaces": net === null ? [] : [
      net.mac === ""
        ? { iface_id: "net1", host_dev_name: net.tap }
        : { iface_id: "net1", guest_mac: net.mac, host_dev_name: net.tap },
    ],
  };
  const args = ["--no-api", "--config-file", FIRECRACKER_CONFIG_PATH];
  if (!ctx.seccomp) args.push("--no-seccomp");
  args.push(...ctx.extraArgs);
  return {
    args,
    files: [{ path: FIRECRACKER_CONFIG_PATH, content: goJsonStringify(config), mode: 0o644 }],
    cmdline,
    seccomp: null,
    warnings: [],
  };
}

export const firecracker: MonitorModule = {
  kind: "firecracker",
  binaryName: () => "firecracker",
  kvm: "required",
  sharedFs: [],
  extraDisks: true,
  maxVcpus: 32,
  build,
};
