// A LaunchPlan for people (`urunc plan`) and for tools (`--format json`).

import type { LaunchPlan } from "./types.ts";

/** The plan as plain JSON: the seccomp program as base64 bytes. */
export function planToJson(plan: LaunchPlan): unknown {
  const s = plan.monitor.seccomp;
  return {
    ...plan,
    monitor: {
      ...plan.monitor,
      seccomp: s === null
        ? null
        : { instructions: s.instructions, programBase64: btoa(String.fromCharCode(...s.program)) },
    },
  };
}

const SAFE = /^[A-Za-z0-9_\-+=:,./@%]+$/;

/** POSIX-shell quoting, so the printed command can be pasted into a shell. */
export function shellQuote(arg: string): string {
  return SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function planToText(plan: LaunchPlan): string {
  const m = plan.monitor;
  const g = plan.guest;
  const lines = [
    `unikernel: ${plan.unikernelType}`,
    `monitor:   ${m.kind} ${m.path} (${
      m.usesKvm ? "KVM" : m.kind === "qemu" ? "TCG, no KVM" : "no KVM"
    })`,
    `guest:     ${g.memoryMiB} MiB, ${g.vcpus} vCPU(s), kernel ${g.kernel}` +
    (g.initrd ? `, initrd ${g.initrd}` : "") + (g.block ? `, block ${g.block}` : ""),
    "",
    "command:",
    `  ${m.argv.map(shellQuote).join(" ")}`,
    "",
    "guest command line:",
    `  ${JSON.stringify(g.cmdline)}`,
    "",
    `environment: ${m.env.join(" ")}`,
  ];
  for (const f of m.files) {
    lines.push(
      "",
      `file ${f.path} (mode ${f.mode.toString(8).padStart(4, "0")}):`,
      `  ${f.content}`,
    );
  }
  const n = plan.network;
  lines.push(
    "",
    n === null
      ? "network: none"
      : `network: ${n.mode}, tap ${n.tap}, guest ${n.guest.ip}/${n.guest.prefix} gateway ${n.guest.gateway} mac ${n.guest.mac}`,
  );
  lines.push(...storageLines(plan));
  lines.push(
    `seccomp: ${
      m.seccomp
        ? `urunc BPF filter, ${m.seccomp.instructions} instructions`
        : "none installed by urunc"
    }`,
    `jail binds: ${plan.jail.binds.map((b) => b.path + (b.optional ? "?" : "")).join(" ")}`,
    `jail devices: ${plan.jail.devices.join(" ")}`,
  );
  if (plan.warnings.length > 0) lines.push("", "warnings:", ...plan.warnings.map((w) => `  ${w}`));
  return lines.join("\n") + "\n";
}

/** The storage decisions: how the rootfs reaches the guest, and each volume. */
export function storageLines(plan: LaunchPlan): string[] {
  const st = plan.storage;
  const out = [
    `storage: rootfs ${st.rootfs}` +
    (st.block ? `, block ${st.block.path} (${st.block.source})` : "") +
    (st.devmapper
      ? `, pass-through of ${st.devmapper.device} (${st.devmapper.fstype}) keeping ${
        st.devmapper.keep.join(" ")
      }`
      : "") +
    (st.shared ? `, shared as tag fs0 from ${st.shared.jailPath}` : ""),
  ];
  for (const v of st.volumes) {
    const ro = v.readonly ? " (read-only)" : "";
    out.push(
      v.kind === "share"
        ? `volume ${v.destination}: ${v.fs} tag ${v.id} from ${v.source}${ro}`
        : `volume ${v.destination}: disk ${v.id} ${v.device} (${v.fstype}, unmounted from ${v.source})${ro}`,
    );
  }
  for (const h of st.helpers) out.push(`helper ${h.name}: ${h.argv.map(shellQuote).join(" ")}`);
  return out;
}
