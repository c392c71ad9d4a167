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
import {
  alive,
  cgroupDirs,
  descendants,
  exists,
  killAndWait,
  listDir,
  mountsUnder,
  processes,
  type ProcInfo,
  removeShimSockets,
  shimSockets,
  stopChild,
} from "./host_view.ts";

export interface StartOptions {
  /**
   * containerd namespace for ctr calls. Default: "urunc-e2e-<random>", unique because it names
   * machine-global things (the containers' cgroups /<namespace>/<id>) that parallel runs share.
   */
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
  /**
   * Enables the CRI plugin with this configuration (TOML, given the temp dir), e.g. its
   * runtimes and CNI. Default: the plugin is disabled.
   */
  cri?: (dir: string) => string;
  /**
   * Network namespace (a path) containerd runs in: with CRI, CNI builds its bridge and the pods'
   * veths there, not in the machine's namespace. Default: the caller's.
   */
  netns?: string;
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

function config(dir: string, cri?: string): string {
  // Only what a local `ctr run` needs: no CRI (CNI, network) unless asked for, no snapshotters
  // that probe for btrfs/zfs/devmapper, no debug or metrics listeners.
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = [${cri === undefined ? `\n  "io.containerd.grpc.v1.cri",` : ""}
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
${cri ?? ""}`;
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
    Deno.writeTextFileSync(`${dir}/config.toml`, config(dir, opts.cri?.(dir)));
    Deno.mkdirSync(`${dir}/runtime-root`);
    const level = opts.logLevel ?? "info";
    const env: Record<string, string> = { ...opts.env };
    const uruncConfig = opts.uruncConfig === undefined ? TCG_HOST_CONFIG : opts.uruncConfig;
    if (uruncConfig !== null) {
      Deno.writeTextFileSync(`${dir}/urunc.toml`, uruncConfig);
      env.URUNC_CONFIG = `${dir}/urunc.toml`;
    }
    // sh only to redirect into the log file; exec keeps containerd's pid = the child's pid
    // (nsenter execs containerd once in the namespace).
    const enter = opts.netns ? `exec nsenter --net="$4" ` : "exec ";
    const child = new Deno.Command("sh", {
      args: [
        "-c",
        `${enter}containerd --config "$1" --log-level "$2" >"$3" 2>&1`,
        "sh",
        `${dir}/config.toml`,
        level,
        `${dir}/containerd.log`,
        opts.netns ?? "",
      ],
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    // The temp dir's random suffix makes the namespace as unique as the dir.
    const namespace = opts.namespace ?? `urunc-e2e-${dir.slice(-8)}`;
    const cd = new Containerd(dir, namespace, child);
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
    const sockets = shimSockets(
      `${this.dir}/state/io.containerd.runtime.v2.task/${this.namespace}`,
    );
    const shims = this.shims().map((p) => p.pid);
    // Shims are subreapers: monitors and runtime children are their descendants. Their
    // cgroups can only be removed once they are gone; stragglers show in leftovers().
    await killAndWait([...descendants(shims, processes()), ...shims]);
    await stopChild(this.#child, 10_000);
    for (const mp of mountsUnder(this.dir)) {
      await run("umount", ["-l", mp]);
    }
    removeShimSockets(sockets);
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
