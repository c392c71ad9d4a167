// virtiofs needs a daemon beside the monitor: virtiofsd, named by the host config
// ([storage] virtiofsd), one per shared tree. It runs in the monitor's jail, as a
// child of the init child started right before execve, so it lives in the
// container's PID namespace and the kernel kills it when the monitor (PID 1 there)
// exits; it is ledgered as a process too, so delete kills it when there is no PID
// namespace. virtiofsd also exits by itself when qemu closes the vhost-user socket.

import type { HelperProcess, HostConfig } from "./types.ts";

export function virtiofsSocket(tag: string): string {
  return `/tmp/urunc/virtiofs-${tag}.sock`;
}

export function virtiofsdHelper(
  host: HostConfig,
  tag: string,
  sharedDir: string,
  readonly: boolean,
): HelperProcess {
  const path = host.storage.virtiofsd ?? "virtiofsd";
  // --sandbox=chroot: confined to the shared tree even inside the jail (the jail
  // holds device nodes and host libraries the guest must never reach).
  const argv = [path, `--socket-path=${virtiofsSocket(tag)}`, `--shared-dir=${sharedDir}`];
  argv.push("--sandbox=chroot", "--cache=auto");
  if (readonly) argv.push("--readonly");
  return { name: `virtiofsd ${tag}`, argv, socket: virtiofsSocket(tag) };
}
