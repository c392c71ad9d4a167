// qemu: the argv order follows upstream urunc (golden cases); differences are
// deliberate: -cpu host -enable-kvm only with KVM (TCG otherwise; arm64 TCG needs
// an explicit 64-bit CPU model), -smp for more than one vCPU, MiB memory.

import { virtiofsSocket } from "../virtiofs.ts";
import type { MonitorBuild, MonitorContext, MonitorModule } from "./monitor.ts";

/** qemu's own seccomp sandbox, the same policy upstream urunc asks for. */
export const QEMU_SANDBOX =
  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny";

/** Commas separate qemu sub-options; a literal comma in a value is written twice. */
export function qemuOptValue(value: string): string {
  return value.replaceAll(",", ",,");
}

/** 9p straight from qemu (no extra process); virtiofs through a virtiofsd per tag. */
function sharedFsArgs(ctx: MonitorContext): string[] {
  const shares: { tag: string; fs: string; path: string; readonly: boolean }[] = [];
  const st = ctx.storage;
  if (st.shared !== null) {
    shares.push({
      tag: "fs0",
      fs: st.shared.fs,
      path: st.shared.jailPath,
      readonly: st.shared.readonly,
    });
  }
  for (const v of st.volumes) {
    if (v.kind === "share") {
      shares.push({ tag: v.id, fs: v.fs, path: v.jailPath, readonly: v.readonly });
    }
  }
  const a: string[] = [];
  if (shares.some((s) => s.fs === "virtiofs")) {
    // vhost-user needs the guest's RAM in a file virtiofsd can map too.
    a.push(
      "-object",
      `memory-backend-file,id=mem,size=${ctx.memoryMiB}M,mem-path=/tmp,share=on`,
      "-numa",
      "node,memdev=mem",
    );
  }
  for (const s of shares) {
    if (s.fs === "9p") {
      a.push(
        "-fsdev",
        `local,id=${s.tag},path=${qemuOptValue(s.path)},security_model=none${
          s.readonly ? ",readonly=on" : ""
        }`,
        "-device",
        `virtio-9p-pci,fsdev=${s.tag},mount_tag=${s.tag}`,
      );
    } else {
      a.push(
        "-chardev",
        `socket,id=ch${s.tag},path=${qemuOptValue(virtiofsSocket(s.tag))}`,
        "-device",
        `vhost-user-fs-pci,queue-size=1024,chardev=ch${s.tag},tag=${s.tag}`,
      );
    }
  }
  return a;
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
  for (const v of ctx.storage.volumes) {
    if (v.kind !== "disk") continue;
    const ro = v.readonly ? ",readonly=on" : "";
    a.push(
      "-device",
      `virtio-blk-pci,serial=${v.id},drive=${v.id}`,
      "-drive",
      `format=raw,if=none,id=${v.id},file=${qemuOptValue(v.device)}${ro}`,
    );
  }
  if (ctx.initrd !== null) a.push("-initrd", ctx.initrd);
  a.push(...sharedFsArgs(ctx));
  a.push(...(u.tail ?? []), ...ctx.extraArgs, "-append", ctx.cmdline);
  return { args: a, files: [], cmdline: ctx.cmdline, seccomp: null, warnings: [] };
}

export const qemu: MonitorModule = {
  kind: "qemu",
  binaryName: (arch) => (arch === "arm64" ? "qemu-system-aarch64" : "qemu-system-x86_64"),
  kvm: "optional",
  sharedFs: ["9p", "virtiofs"],
  extraDisks: true,
  maxVcpus: null,
  build,
};
