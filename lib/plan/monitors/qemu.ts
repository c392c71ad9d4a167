// qemu: the argv order follows upstream urunc (golden cases); differences are
// deliberate: -cpu host -enable-kvm only with KVM (TCG otherwise; arm64 TCG needs
// an explicit 64-bit CPU model), -smp for more than one vCPU, MiB memory.

import type { MonitorBuild, MonitorContext, MonitorModule } from "./monitor.ts";

/** qemu's own seccomp sandbox, the same policy upstream urunc asks for. */
export const QEMU_SANDBOX =
  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

/** Commas separate qemu sub-options; a literal comma in a value is written twice. */
export function qemuOptValue(value: string): string {
  return value.replaceAll(",", ",,");
}

function build(ctx: MonitorContext): MonitorBuild {
  const u = ctx.unikernel.qemu ?? {};
  const a: string[] = ["-m", `${ctx.memoryMiB}M`];
  if (ctx.vcpus > 1) a.push("-smp", String(ctx.vcpus));
  a.push("-L", "/usr/share/qemu");
  if (ctx.usesKvm) a.push("-cpu", "host", "-enable-kvm");
  else if (ctx.arch === "arm64") a.push("-cpu", "max");
  a.push("-nographic", "-vga", "none");
  if (ctx.seccomp) a.push("--sandbox", QEMU_SANDBOX);
  if (ctx.arch === "arm64") a.push("-M", "virt");
  a.push("-kernel", ctx.kernel);
  if (ctx.network !== null) {
    const tap = qemuOptValue(ctx.network.tap);
    a.push(
      ...(u.net?.(tap) ??
        ["-net", "nic,model=virtio", "-net", `tap,script=no,downscript=no,ifname=${tap}`]),
    );
  } else {
    a.push("-nic", "none");
  }
  if (ctx.block !== null) {
    const file = qemuOptValue(ctx.block);
    a.push(
      ...(u.block?.(file) ??
        [
          "-device",
          "virtio-blk-pci,id=blk0,drive=hd0,scsi=off",
          "-drive",
          `format=raw,if=none,id=hd0,file=${file}`,
        ]),
    );
  }
  if (ctx.initrd !== null) a.push("-initrd", ctx.initrd);
  a.push(...(u.tail ?? []), ...ctx.extraArgs, "-append", ctx.cmdline);
  return { args: a, files: [], cmdline: ctx.cmdline, seccomp: null, warnings: [] };
}

export const qemu: MonitorModule = {
  kind: "qemu",
  binaryName: (arch) => (arch === "arm64" ? "qemu-system-aarch64" : "qemu-system-x86_64"),
  kvm: "optional",
  maxVcpus: null,
  build,
};
