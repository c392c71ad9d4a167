// What this host is like, for the launch plan. Synchronous only: the runtime
// calls it after switching namespaces, where async ops would run on pool
// threads still in the old ones. The runtime and `urunc plan` both use this one
// function, so a printed plan matches what the runtime will execute.

import { resolve } from "../path.ts";
import { isExecutableFile, lookPath } from "./look_path.ts";
import { parseMountinfo } from "./mountinfo.ts";
import { probeStorage, type SpecMount } from "./storage_probe.ts";
import { MONITORS } from "../plan/monitors/registry.ts";
import {
  type Arch,
  type HostConfig,
  type HostFacts,
  MONITOR_KINDS,
  type MonitorKind,
  type RootfsMount,
} from "../plan/types.ts";

const FALLBACK_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function hostArch(): Arch {
  return Deno.build.arch === "aarch64" ? "arm64" : "amd64";
}

/** /dev/kvm exists and we may open it read-write. */
export function kvmUsable(): boolean {
  try {
    Deno.openSync("/dev/kvm", { read: true, write: true }).close();
    return true;
  } catch {
    return false;
  }
}

export { unescapeMountinfo } from "./mountinfo.ts";

/**
 * The mount at exactly `mountpoint` in /proc/self/mountinfo text; the last
 * matching line wins, as a later mount covers an earlier one.
 */
export function findMount(mountinfo: string, mountpoint: string): RootfsMount | null {
  const e = parseMountinfo(mountinfo).filter((m) => m.mountpoint === mountpoint).at(-1);
  return e === undefined ? null : { mountpoint, fstype: e.fstype, device: e.source };
}

function readMountinfo(): string {
  try {
    return Deno.readTextFileSync("/proc/self/mountinfo");
  } catch {
    return "";
  }
}

function rootfsMount(rootfs: string): RootfsMount | null {
  const text = readMountinfo();
  const m = findMount(text, resolve(rootfs));
  if (m === null) return null;
  let isBlockDevice = false;
  if (m.device.startsWith("/")) {
    try {
      isBlockDevice = Deno.statSync(m.device).isBlockDevice === true;
    } catch {
      // a vanished or foreign-namespace source is not a usable block device
    }
  }
  return { ...m, isBlockDevice };
}

export function probeHostFacts(
  host: HostConfig,
  opts: { rootfs: string; mounts?: readonly SpecMount[] },
): HostFacts {
  const arch = hostArch();
  const pathEnv = Deno.env.get("PATH") ?? FALLBACK_PATH;
  const monitorPaths: Partial<Record<MonitorKind, string>> = {};
  for (const kind of MONITOR_KINDS) {
    const configured = host.monitors[kind].path;
    const p = configured === undefined
      ? lookPath(MONITORS[kind].binaryName(arch), pathEnv)
      : isExecutableFile(configured)
      ? configured
      : undefined;
    if (p !== undefined) monitorPaths[kind] = p;
  }
  return {
    arch,
    kvm: kvmUsable(),
    monitorPaths,
    network: null,
    rootfsMount: rootfsMount(opts.rootfs),
    ...(opts.mounts && opts.mounts.length > 0 ? probeStorage(opts.mounts, readMountinfo()) : {}),
  };
}
