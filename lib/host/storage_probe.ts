// Host facts for volumes and DNS: what each bind-mount source of spec.mounts
// is (a directory, a file, the mount point of a block-device filesystem), and
// the nameservers of the resolv.conf the container runtime prepared.

import { resolve } from "../path.ts";
import type { MountSource } from "../plan/types.ts";
import { findMount } from "./probe.ts";

export interface SpecMount {
  destination: string;
  type?: string;
  source?: string;
  options?: string[];
}

export function probeMountSource(source: string, mountinfo: string): MountSource {
  let st: Deno.FileInfo;
  try {
    st = Deno.statSync(source);
  } catch {
    return { kind: "missing" };
  }
  if (st.isFile) return { kind: "file" };
  if (!st.isDirectory) return { kind: "other" };
  const m = findMount(mountinfo, resolve(source));
  if (m !== null && m.device.startsWith("/dev/")) {
    try {
      if (Deno.statSync(m.device).isBlockDevice) {
        return { kind: "block", device: m.device, fstype: m.fstype };
      }
    } catch { /* a vanished source node: a plain directory to us */ }
  }
  return { kind: "dir" };
}

/** IPv4 nameservers of a resolv.conf (the kernel's ip= takes no IPv6 ones). */
export function resolvConfNameservers(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const m = line.trim().match(/^nameserver\s+(\d{1,3}(?:\.\d{1,3}){3})\s*$/);
    if (m) out.push(m[1]);
  }
  return out;
}

export function probeStorage(
  mounts: readonly SpecMount[],
  mountinfo: string,
): { mountSources: Record<string, MountSource>; dns: string[] } {
  const mountSources: Record<string, MountSource> = {};
  let dns: string[] = [];
  for (const m of mounts) {
    if (m.source === undefined || !m.source.startsWith("/")) continue;
    if (m.destination === "/etc/resolv.conf") {
      try {
        dns = resolvConfNameservers(Deno.readTextFileSync(m.source));
      } catch { /* unreadable: no DNS for the guest */ }
    }
    mountSources[m.source] ??= probeMountSource(m.source, mountinfo);
  }
  return { mountSources, dns };
}
