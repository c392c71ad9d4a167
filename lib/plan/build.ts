// (spec, unikernel config, host config, host facts) → LaunchPlan. Pure: every
// input arrives as data, so any combination can be planned and tested anywhere.

import { UruncError } from "../errors.ts";
import { goFields } from "./go_compat.ts";
import { jailPlan } from "./jail.ts";
import { MONITORS } from "./monitors/registry.ts";
import type { MonitorModule } from "./monitors/monitor.ts";
import { guestNetwork, networkRequest } from "./network.ts";
import { guestResources } from "./resources.ts";
import { planStorage } from "./storage.ts";
import { urunitFiles } from "./urunit_files.ts";
import { UNIKERNELS } from "./unikernels/registry.ts";
import type { UnikernelModule } from "./unikernels/unikernel.ts";
import type { HostConfig, HostFacts, LaunchPlan, PlanInput } from "./types.ts";

/** The monitor's whole environment: never urunc's own (DESIGN §5). */
export const MONITOR_ENV: readonly string[] = [
  "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  "HOME=/",
];

function checkSupported(u: UnikernelModule, m: MonitorModule, facts: HostFacts): void {
  if (!u.monitors.includes(m.kind)) {
    throw new UruncError(
      `unsupported combination: ${u.type} unikernels cannot run on ${m.kind} (${u.type} supports: ${
        u.monitors.join(", ")
      })`,
    );
  }
  if (!u.arches.includes(facts.arch)) {
    throw new UruncError(
      `unsupported combination: ${u.type} unikernels cannot run on ${facts.arch} (${u.type} supports: ${
        u.arches.join(", ")
      })`,
    );
  }
}

/** The probe already preferred [monitors.X] path; a configured path it could not use is named. */
function monitorPath(m: MonitorModule, host: HostConfig, facts: HostFacts): string {
  const path = facts.monitorPaths[m.kind];
  if (path !== undefined) return path;
  const where = host.file === null ? "the host config" : host.file;
  const configured = host.monitors[m.kind].path;
  if (configured !== undefined) {
    throw new UruncError(
      `monitor ${m.kind} is not installed: [monitors.${m.kind}] path ${
        JSON.stringify(configured)
      } in ${where} is not an executable file`,
    );
  }
  throw new UruncError(
    `monitor ${m.kind} is not installed: ${
      m.binaryName(facts.arch)
    } is not in PATH and [monitors.${m.kind}] path is not set in ${where}`,
  );
}

function usesKvm(m: MonitorModule, host: HostConfig, facts: HostFacts): boolean {
  const accel = host.monitors[m.kind].accel;
  const where = host.file ?? "the host config";
  if (m.kvm === "never") return false;
  if (m.kvm === "required" || accel === "kvm") {
    if (!facts.kvm) {
      const why = m.kvm === "required"
        ? `${m.kind} needs KVM`
        : `[monitors.${m.kind}] accel = "kvm" in ${where}`;
      throw new UruncError(`${why}, but /dev/kvm is not usable on this host`);
    }
    return true;
  }
  return accel === "auto" && facts.kvm;
}

export function buildPlan(input: PlanInput): LaunchPlan {
  const { spec, config, host, facts } = input;
  const u = UNIKERNELS[config.unikernelType];
  const m = MONITORS[config.hypervisor];
  checkSupported(u, m, facts);
  const warnings: string[] = [];

  const res = guestResources(spec, host);
  warnings.push(...res.warnings);
  let vcpus = res.vcpus;
  if (m.maxVcpus !== null && vcpus > m.maxVcpus) {
    warnings.push(`${m.kind} gives a guest at most ${m.maxVcpus} vCPU(s); ${vcpus} were requested`);
    vcpus = m.maxVcpus;
  }

  const path = monitorPath(m, host, facts);
  const kvm = usesKvm(m, host, facts);
  const st = planStorage(config, u, m, spec, host, facts);
  warnings.push(...st.warnings);

  let network: LaunchPlan["network"] = null;
  if (facts.network !== null) {
    const req = { ...networkRequest(spec), tap: facts.network.tap };
    network = { ...req, guest: guestNetwork(req, facts.network) };
  }

  const argsFromAnnotation = spec.args.length === 0;
  const guest = u.guestCmdline({
    args: argsFromAnnotation ? goFields(config.cmdline) : spec.args,
    argsFromAnnotation,
    env: spec.env,
    network: network?.guest ?? null,
    rootfs: st.storage.rootfs,
    initrd: st.initrd !== null,
    volumes: st.storage.volumes,
    uid: spec.uid,
    gid: spec.gid,
    cwd: spec.cwd,
    dns: facts.dns ?? [],
    monitor: m.kind,
    version: config.unikernelVersion,
    arch: facts.arch,
  });
  warnings.push(...guest.warnings);
  const urunit = urunitFiles(guest.urunitConfig, st.initrd);

  const blockPath = st.storage.block?.path ?? null;
  const built = m.build({
    arch: facts.arch,
    kernel: config.binary,
    initrd: urunit.initrd,
    block: blockPath,
    cmdline: guest.cmdline,
    memoryMiB: res.memoryMiB,
    vcpus,
    network: network === null ? null : { ...network.guest, tap: network.tap },
    seccomp: spec.seccomp,
    usesKvm: kvm,
    extraArgs: host.monitors[m.kind].extraArgs,
    unikernel: u,
    storage: st.storage,
    helpers: st.storage.helpers,
  });
  warnings.push(...built.warnings);

  return {
    unikernelType: u.type,
    monitor: {
      kind: m.kind,
      path,
      argv: [path, ...built.args],
      env: [...MONITOR_ENV],
      files: [...urunit.files, ...built.files],
      seccomp: built.seccomp,
      usesKvm: kvm,
    },
    guest: {
      cmdline: built.cmdline,
      kernel: config.binary,
      initrd: urunit.initrd,
      block: blockPath,
      memoryMiB: res.memoryMiB,
      vcpus,
    },
    jail: jailPlan({
      kind: m.kind,
      monitorPath: path,
      usesKvm: kvm,
      networked: network !== null,
      storage: st.storage,
      memoryMiB: res.memoryMiB,
    }),
    network,
    storage: st.storage,
    warnings,
  };
}
