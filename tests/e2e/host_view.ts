// What the e2e daemons (containerd, dockerd) leave on the machine, read from /proc and the
// file system: processes, mounts, directories and cgroups; and the two ways their stop()
// methods end processes.
import { waitFor } from "./helpers.ts";

export interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

export function processes(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      const stat = Deno.readTextFileSync(`/proc/${e.name}/stat`);
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      const cmdline = Deno.readTextFileSync(`/proc/${e.name}/cmdline`).replaceAll("\0", " ");
      out.push({ pid: Number(e.name), ppid, cmdline: cmdline.trim() });
    } catch { /* exited meanwhile */ }
  }
  return out;
}

export function descendants(roots: number[], all: ProcInfo[]): number[] {
  const found = new Set<number>();
  const queue = [...roots];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    for (const p of all) {
      if (p.ppid === pid && !found.has(p.pid)) {
        found.add(p.pid);
        queue.push(p.pid);
      }
    }
  }
  return [...found];
}

/** Running or stopped, not a zombie (a reparented zombie may wait long for its reaper). */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Mount points at or below dir, deepest first (so they can be unmounted in that order). */
export function mountsUnder(dir: string): string[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter(Boolean)
    .map((l) => unescape(l.split(" ")[4]))
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

export function listDir(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch {
    return [];
  }
}

const CGROUP_ROOT = "/sys/fs/cgroup";

/** Cgroup directories for the namespace, in every hierarchy (v1 controllers, or v2 root). */
export function cgroupDirs(namespace: string): string[] {
  const v2 = listDir(CGROUP_ROOT).includes("cgroup.controllers");
  const bases = v2 ? [CGROUP_ROOT] : listDir(CGROUP_ROOT).map((c) => `${CGROUP_ROOT}/${c}`);
  return bases.map((b) => `${b}/${namespace}`).filter(exists);
}

export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The sockets of the shims whose bundles are under taskDir (containerd's
 * <state>/io.containerd.runtime.v2.task/<namespace>). They live in /run/containerd/s/, outside
 * the daemon's dir: read them before killing the shims, which leave them behind.
 */
export function shimSockets(taskDir: string): string[] {
  return listDir(taskDir).map((id) => {
    try {
      return Deno.readTextFileSync(`${taskDir}/${id}/address`).trim().replace(/^unix:\/\//, "");
    } catch {
      return undefined;
    }
  }).filter((s): s is string => s !== undefined);
}

export function removeShimSockets(sockets: string[]): void {
  for (const s of sockets) {
    try {
      if (s.startsWith("/run/containerd/s/")) Deno.removeSync(s);
    } catch { /* the shim removed it on a clean exit */ }
  }
}

/** The inode that identifies a network namespace (of a pinned path or /proc/PID/ns/net). */
export function netnsInode(path: string): number {
  return Deno.statSync(path).ino!;
}

/**
 * Who still holds the network namespace with this inode: processes living in it and nsfs
 * mounts pinning it. [] means the kernel has destroyed it, with every tap and tc object in it.
 */
export function netnsHolders(inode: number): string[] {
  const name = `net:[${inode}]`;
  const found: string[] = [];
  for (const p of processes()) {
    try {
      if (Deno.readLinkSync(`/proc/${p.pid}/ns/net`) === name) {
        found.push(`process ${p.pid} in ${name}: ${p.cmdline}`);
      }
    } catch { /* exited meanwhile */ }
  }
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const fields = line.split(" ");
    if (fields[3] === name) found.push(`mount ${fields[4]} pins ${name}`);
  }
  return found;
}

/** SIGTERM, then SIGKILL after graceMs; resolves once the child has exited. */
export async function stopChild(child: Deno.ChildProcess, graceMs: number): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch { /* already exited */ }
  const killer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* exited */ }
  }, graceMs);
  await child.status;
  clearTimeout(killer);
}

/** SIGKILLs every pid and waits (10 s at most) until none is alive; stragglers stay visible. */
export async function killAndWait(pids: number[]): Promise<void> {
  for (const pid of pids) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
  await waitFor("killed processes to exit", () => pids.every((p) => !alive(p)) || undefined, 10_000)
    .catch(() => {});
}

/** Whether the process has a handler for signal number sig (SigCgt in /proc/PID/status). */
export function catchesSignal(pid: number, sig: number): boolean {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const caught = BigInt(`0x${status.match(/^SigCgt:\s*([0-9a-f]+)$/m)?.[1] ?? "0"}`);
  return (caught & (1n << BigInt(sig - 1))) !== 0n;
}
