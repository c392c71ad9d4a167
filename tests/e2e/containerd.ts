// A private containerd for e2e tests: its own root, state, socket and namespace under one temp
// dir, so tests never touch (or depend on) a system containerd, and everything they create can
// be found and removed afterwards.
//
//   const cd = await Containerd.start();
//   try {
//     await cd.importImage(artifacts.testImageTar);
//     const r = await cd.run({ image: TEST_IMAGE_REF, id: "c1", runtime: artifacts.urunc });
//     assert.match(r.stdout, /URUNC-TEST-GUEST: booted/);
//     assert.deepEqual(await cd.leftovers({ running: true }), []);
//   } finally {
//     await cd.stop();
//   }
import { run, type RunResult, waitFor } from "./helpers.ts";

export interface StartOptions {
  /** containerd namespace for ctr calls (default "urunc-e2e"). */
  namespace?: string;
  /** containerd log level (default "info"; the log is containerd.log in the temp dir). */
  logLevel?: string;
  /**
   * urunc host config (TOML) for every runtime call: written to <dir>/urunc.toml and passed
   * as URUNC_CONFIG through containerd's environment, which the shim hands to the runtime.
   * Default: qemu on TCG, because qemu hangs under this machine kind's KVM. null: none.
   */
  uruncConfig?: string | null;
  /** Extra environment for containerd (and so for the shims and the runtime). */
  env?: Record<string, string>;
}

export const TCG_HOST_CONFIG = `[monitors.qemu]\naccel = "tcg"\n`;

export interface RunOptions {
  image: string;
  id: string;
  /** Runtime binary for `--runc-binary` (omit to use the real runc). */
  runtime?: string;
  /** Container args after the image (replaces the image Cmd). */
  args?: string[];
  /** Extra ctr run flags, e.g. ["--annotation", "k=v"] or ["--memory-limit", "268435456"]. */
  flags?: string[];
  /** Remove the container when it exits (default true). */
  rm?: boolean;
  /** Detach (`ctr run -d`): returns once the task started. */
  detach?: boolean;
  timeoutMs?: number;
}

function config(dir: string): string {
  // Only what a local `ctr run` needs: no CRI (CNI, network), no snapshotters that probe for
  // btrfs/zfs/devmapper, no debug or metrics listeners.
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "${dir}/containerd.sock"

[ttrpc]
  address = ""

[debug]
  address = ""

[metrics]
  address = ""
`;
}

interface ProcInfo {
  pid: number;
  ppid: number;
  cmdline: string;
}

function processes(): ProcInfo[] {
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

function descendants(roots: number[], all: ProcInfo[]): number[] {
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
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Mount points at or below dir, deepest first (so they can be unmounted in that order). */
function mountsUnder(dir: string): string[] {
  const unescape = (s: string) =>
    s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter(Boolean)
    .map((l) => unescape(l.split(" ")[4]))
    .filter((mp) => mp === dir || mp.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

function listDir(path: string): string[] {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch {
    return [];
  }
}

const CGROUP_ROOT = "/sys/fs/cgroup";

/** Cgroup directories for the namespace, in every hierarchy (v1 controllers, or v2 root). */
function cgroupDirs(namespace: string): string[] {
  const v2 = listDir(CGROUP_ROOT).includes("cgroup.controllers");
  const bases = v2 ? [CGROUP_ROOT] : listDir(CGROUP_ROOT).map((c) => `${CGROUP_ROOT}/${c}`);
  return bases.map((b) => `${b}/${namespace}`).filter(exists);
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

export class Containerd {
  /** Root of everything this instance owns. */
  readonly dir: string;
  readonly address: string;
  readonly namespace: string;
  /** Passed as `ctr run --runc-root`: the runtime gets `--root <runtimeRoot>/<namespace>`. */
  readonly runtimeRoot: string;
  readonly logPath: string;
  #child: Deno.ChildProcess;
  #stopped = false;

  private constructor(dir: string, namespace: string, child: Deno.ChildProcess) {
    this.dir = dir;
    this.address = `${dir}/containerd.sock`;
    this.namespace = namespace;
    this.runtimeRoot = `${dir}/runtime-root`;
    this.logPath = `${dir}/containerd.log`;
    this.#child = child;
  }

  /** Starts containerd and waits until it answers `ctr version`. */
  static async start(opts: StartOptions = {}): Promise<Containerd> {
    // Short path: the socket path must fit in sun_path (108 bytes).
    const dir = Deno.makeTempDirSync({ dir: "/tmp", prefix: "urunc-e2e-" });
    Deno.writeTextFileSync(`${dir}/config.toml`, config(dir));
    Deno.mkdirSync(`${dir}/runtime-root`);
    const level = opts.logLevel ?? "info";
    const env: Record<string, string> = { ...opts.env };
    const uruncConfig = opts.uruncConfig === undefined ? TCG_HOST_CONFIG : opts.uruncConfig;
    if (uruncConfig !== null) {
      Deno.writeTextFileSync(`${dir}/urunc.toml`, uruncConfig);
      env.URUNC_CONFIG = `${dir}/urunc.toml`;
    }
    // sh only to redirect into the log file; exec keeps containerd's pid = the child's pid.
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        `exec containerd --config "$1" --log-level "$2" >"$3" 2>&1`,
        "sh",
        `${dir}/config.toml`,
        level,
        `${dir}/containerd.log`,
      ],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const cd = new Containerd(dir, opts.namespace ?? "urunc-e2e", child);
    let exited = false;
    child.status.then(() => exited = true);
    try {
      await waitFor("containerd to answer", async () => {
        if (exited) throw new Error(`containerd exited at startup:\n${cd.logTail()}`);
        const r = await cd.ctr(["version"], { timeoutMs: 5_000 });
        return r.code === 0 ? true : undefined;
      }, 30_000);
    } catch (err) {
      await cd.stop();
      throw err;
    }
    return cd;
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** `ctr --address <sock> -n <namespace> ...args`; never throws on a non-zero exit. */
  ctr(args: string[], opts: { timeoutMs?: number; stdin?: string } = {}): Promise<RunResult> {
    return run("ctr", ["--address", this.address, "--namespace", this.namespace, ...args], opts);
  }

  /** `ctr image import`; throws with ctr's output on failure. Returns the imported names. */
  async importImage(tarPath: string): Promise<string> {
    const r = await this.ctr(["image", "import", tarPath], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`ctr image import ${tarPath} failed: ${r.stderr}${r.stdout}`);
    return r.stdout;
  }

  /** `ctr run [--rm] [-d] [--runc-binary R --runc-root X] flags image id args`. */
  run(o: RunOptions): Promise<RunResult> {
    const args = ["run"];
    if (o.rm ?? true) args.push("--rm");
    if (o.detach) args.push("--detach");
    if (o.runtime) args.push("--runc-binary", o.runtime);
    args.push(
      "--runc-root",
      this.runtimeRoot,
      ...(o.flags ?? []),
      o.image,
      o.id,
      ...(o.args ?? []),
    );
    return this.ctr(args, { timeoutMs: o.timeoutMs ?? 180_000 });
  }

  /** The bundle directory containerd makes for a container (valid while it exists). */
  bundle(id: string): string {
    return `${this.dir}/state/io.containerd.runtime.v2.task/${this.namespace}/${id}`;
  }

  logTail(lines = 40): string {
    try {
      return Deno.readTextFileSync(this.logPath).split("\n").slice(-lines).join("\n");
    } catch {
      return "(no containerd log)";
    }
  }

  /** Shim processes of this containerd (their cmdline carries its socket address). */
  shims(): ProcInfo[] {
    return processes().filter((p) => p.pid !== this.pid && p.cmdline.includes(this.address));
  }

  /**
   * Everything of ours that still exists, as human-readable lines ([] = clean). Checks:
   * mounts under the temp dir, processes naming our socket or temp dir (shims, stray
   * monitors) and their descendants, runtime state dirs under the runtime root, bundles, and
   * container cgroups. Before stop() pass { running: true } to ignore containerd itself, and
   * containerd's own directories.
   */
  leftovers(opts: { running?: boolean } = {}): string[] {
    const found: string[] = [];
    for (const mp of mountsUnder(this.dir)) found.push(`mount ${mp}`);
    const all = processes();
    const ours = all.filter((p) =>
      !(opts.running && p.pid === this.pid) &&
      (p.cmdline.includes(this.address) || p.cmdline.includes(this.dir))
    );
    const pids = new Set([...ours.map((p) => p.pid), ...descendants(ours.map((p) => p.pid), all)]);
    if (!opts.running && alive(this.pid)) pids.add(this.pid);
    for (const pid of pids) {
      found.push(`process ${pid}: ${all.find((p) => p.pid === pid)?.cmdline ?? "?"}`);
    }
    for (const entry of listDir(`${this.runtimeRoot}/${this.namespace}`)) {
      found.push(`runtime state ${this.runtimeRoot}/${this.namespace}/${entry}`);
    }
    for (
      const entry of listDir(`${this.dir}/state/io.containerd.runtime.v2.task/${this.namespace}`)
    ) {
      found.push(`bundle ${this.bundle(entry)}`);
    }
    for (const cg of cgroupDirs(this.namespace)) {
      for (const e of [...Deno.readDirSync(cg)].filter((e) => e.isDirectory)) {
        found.push(`cgroup ${cg}/${e.name}`);
      }
    }
    if (!opts.running && exists(this.dir)) found.push(`directory ${this.dir}`);
    return found;
  }

  /**
   * Kills the shims and everything under them, stops containerd, unmounts everything under
   * the temp dir and removes it (plus the namespace's empty cgroups). Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    // Shim sockets live in /run/containerd/s/, outside our dir: a killed shim leaves its own.
    const sockets = listDir(`${this.dir}/state/io.containerd.runtime.v2.task/${this.namespace}`)
      .map((id) => {
        try {
          return Deno.readTextFileSync(`${this.bundle(id)}/address`).trim().replace(
            /^unix:\/\//,
            "",
          );
        } catch {
          return undefined;
        }
      }).filter((s): s is string => s !== undefined);
    const all = processes();
    const shims = this.shims().map((p) => p.pid);
    // Shims are subreapers: monitors and runtime children are their descendants.
    const doomed = [...descendants(shims, all), ...shims];
    for (const pid of doomed) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone */ }
    }
    try {
      this.#child.kill("SIGTERM");
    } catch { /* already exited */ }
    const killer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch { /* exited */ }
    }, 10_000);
    await this.#child.status;
    clearTimeout(killer);
    // Their cgroups can only be removed once they are gone; stragglers show in leftovers().
    await waitFor(
      "killed processes to exit",
      () => doomed.every((p) => !alive(p)) || undefined,
      10_000,
    )
      .catch(() => {});
    for (const mp of mountsUnder(this.dir)) {
      await run("umount", ["-l", mp]);
    }
    for (const s of sockets) {
      try {
        if (s.startsWith("/run/containerd/s/")) Deno.removeSync(s);
      } catch { /* the shim removed it on a clean exit */ }
    }
    for (const cg of cgroupDirs(this.namespace)) {
      // Leaf-first rmdir: only empty cgroups can go, so a live process keeps its own.
      for (const e of [...Deno.readDirSync(cg)].filter((e) => e.isDirectory)) {
        try {
          Deno.removeSync(`${cg}/${e.name}`);
        } catch { /* busy: reported by leftovers() */ }
      }
      try {
        Deno.removeSync(cg);
      } catch { /* busy */ }
    }
    Deno.removeSync(this.dir, { recursive: true });
  }
}
