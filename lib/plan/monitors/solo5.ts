// Solo5 tenders (hvt, spt): `--mem=`, one `--net:NAME=` / `--block:NAME=` per
// device the unikernel's manifest declares, the kernel, then the guest command
// line as ONE argv entry (the tender re-joins everything after the kernel with
// spaces, so the guest sees the same string as upstream's split form).

import { hvtSeccompProgram } from "../seccomp/hvt_policy.ts";
import type { Arch, MonitorKind } from "../types.ts";
import type { MonitorBuild, MonitorContext, MonitorModule } from "./monitor.ts";

function solo5Args(ctx: MonitorContext): { args: string[]; warnings: string[] } {
  const names = ctx.unikernel.solo5;
  const warnings: string[] = [];
  const args = [`--mem=${ctx.memoryMiB}`];
  if (ctx.network !== null && names) args.push(`--net:${names.net}=${ctx.network.tap}`);
  if (ctx.block !== null && names) args.push(`--block:${names.block}=${ctx.block}`);
  if (ctx.initrd !== null) {
    warnings.push(`solo5 cannot pass an initrd: ${ctx.initrd} is not given to the guest`);
  }
  args.push(...ctx.extraArgs, ctx.kernel, ctx.cmdline);
  return { args, warnings };
}

export function solo5Monitor(
  kind: MonitorKind,
  kvm: MonitorModule["kvm"],
  filter: boolean,
): MonitorModule {
  return {
    kind,
    binaryName: (_arch: Arch) => `solo5-${kind}`,
    kvm,
    maxVcpus: 1,
    sharedFs: [],
    extraDisks: false,
    build(ctx): MonitorBuild {
      const { args, warnings } = solo5Args(ctx);
      let seccomp = null;
      if (filter && ctx.seccomp) {
        const p = hvtSeccompProgram(ctx.arch);
        seccomp = { program: p.program, instructions: p.instructions };
      }
      return { args, files: [], cmdline: ctx.cmdline, seccomp, warnings };
    },
  };
}
