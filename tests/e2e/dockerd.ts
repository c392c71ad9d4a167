// A private Docker 20.10 daemon (Debian's docker.io) for e2e tests. Everything it owns lives
// under one temp dir (data-root, exec-root with its own containerd, pidfile, socket, daemon.json)
// and it runs in a network namespace of its own, which plays the host: Docker's bridge, the
// containers' veths and their traffic never reach the machine's real network namespace.
//
//   const dockerd = await Dockerd.start({ runtimes: { urunc: artifacts.urunc } });
//   try {
//     await dockerd.load(artifacts.testImageDockerTar);
//     const r = await dockerd.docker(["run", "--rm", "--runtime", "urunc", "urunc-test"]);
//     assert.deepEqual(await dockerd.leftovers(), []);
//   } finally {
//     await dockerd.stop();
//   }
import { TCG_HOST_CONFIG } from "./containerd.ts";
import { artifacts, NetNs, run, type RunResult, waitFor } from "./helpers.ts";
import {
  alive,
  descendants,
  killAndWait,
  listDir,
  mountsUnder,
  processes,
  removeShimSockets,
  shimSockets,
  stopChild,
} from "./host_view.ts";
import { dockerDaemonJson } from "./orchestrator_config.ts";

/** Debian's client, matching the daemon (a newer `docker` may come first on PATH). */
const DOCKER = artifacts.dockerClient;
const DOCKERD = artifacts.dockerd;

/** Docker's bridge: the gateway address the test's bridge carries, so Docker uses its subnet. */
export const BRIDGE_GATEWAY = "10.213.7.1";
/** The "host" NIC of the namespace, with a default route, as a real host has one. */
export const HOST_NIC = {
  name: "eth0",
  peer: "uplink0",
  cidr: "10.213.8.2/24",
  gateway: "10.213.8.1",
};

export interface DockerdOptions {
  /** Runtime name -> binary, registered through daemon.json. */
  runtimes: Record<string, string>;
  /** urunc host config (TOML), handed to urunc through URUNC_CONFIG. Default: qemu on TCG. */
  uruncConfig?: string;
}

export class Dockerd {
  readonly dir: string;
  readonly netns: NetNs;
  readonly bridge: string;
  readonly socket: string;
  readonly logPath: string;
  /** urunc's --root: Docker 20.10 gives every runc-v2 runtime <exec-root>/runtime-runc/<ns>. */
  readonly runtimeState: string;
  #child: Deno.ChildProcess;
  #stopped = false;
  /** dockerd's own mounts (overlay2 home, its netns pin): not leftovers of a container. */
  #baseMounts = new Set<string>();

  private constructor(dir: string, netns: NetNs, bridge: string, child: Deno.ChildProcess) {
    this.dir = dir;
    this.netns = netns;
    this.bridge = bridge;
    this.socket = `${dir}/docker.sock`;
    this.logPath = `${dir}/dockerd.log`;
    this.runtimeState = `${dir}/exec/runtime-runc/moby`;
    this.#child = child;
  }

  static async start(opts: DockerdOptions): Promise<Dockerd> {
    // Short path: containerd's socket under the exec-root must fit in sun_path.
    const dir = Deno.makeTempDirSync({ dir: "/tmp", prefix: "urunc-dk-" });
    const netns = await NetNs.create("urunc-dk");
    const bridge = `ukbr${Math.floor(Math.random() * 0xffffff).toString(16)}`;
    let child: Deno.ChildProcess | undefined;
    try {
      await netns.exec(["ip", "link", "add", bridge, "type", "bridge"]);
      await netns.exec(["ip", "addr", "add", `${BRIDGE_GATEWAY}/24`, "dev", bridge]);
      await netns.exec(["ip", "link", "set", bridge, "up"]);
      // A veth (no dummy driver on every kernel); its peer stays in the namespace, down.
      await netns.exec([
        "ip",
        "link",
        "add",
        HOST_NIC.name,
        "type",
        "veth",
        "peer",
        "name",
        HOST_NIC.peer,
      ]);
      await netns.exec(["ip", "addr", "add", HOST_NIC.cidr, "dev", HOST_NIC.name]);
      await netns.exec(["ip", "link", "set", HOST_NIC.name, "up"]);
      await netns.exec(["ip", "route", "add", "default", "via", HOST_NIC.gateway]);
      // Forwarding in this namespace only; without it `docker run` warns on every call.
      await netns.exec(["sysctl", "-qw", "net.ipv4.ip_forward=1"]);

      // The README's daemon.json; the key path keeps Docker's identity key out of /etc/docker.
      const daemonJson = {
        ...JSON.parse(dockerDaemonJson(opts.runtimes)),
        "deprecated-key-path": `${dir}/key.json`,
      };
      Deno.writeTextFileSync(`${dir}/daemon.json`, JSON.stringify(daemonJson, null, 2));
      Deno.writeTextFileSync(`${dir}/urunc.toml`, opts.uruncConfig ?? TCG_HOST_CONFIG);
      const args = [
        `--net=${netns.path}`,
        DOCKERD,
        "--config-file",
        `${dir}/daemon.json`,
        "--data-root",
        `${dir}/data`,
        "--exec-root",
        `${dir}/exec`,
        "--pidfile",
        `${dir}/docker.pid`,
        "--host",
        `unix://${dir}/docker.sock`,
        "--bridge",
        bridge,
        "--iptables=false",
        "--ip6tables=false",
        "--ip-forward=false",
        "--ip-masq=false",
        "--userland-proxy=false",
      ];
      // sh only to redirect into the log file; exec keeps dockerd's pid = the child's pid
      // (nsenter execs dockerd after entering the namespace).
      child = new Deno.Command("sh", {
        args: [
          "-c",
          `log=$1; shift; exec nsenter "$@" >"$log" 2>&1`,
          "sh",
          `${dir}/dockerd.log`,
          ...args,
        ],
        // The managed containerd, its shims and so urunc inherit dockerd's environment.
        env: { URUNC_CONFIG: `${dir}/urunc.toml` },
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
    } catch (err) {
      await netns.destroy();
      Deno.removeSync(dir, { recursive: true });
      throw err;
    }
    const d = new Dockerd(dir, netns, bridge, child);
    let exited = false;
    child.status.then(() => exited = true);
    try {
      await waitFor(
        "dockerd to answer",
        async () => {
          if (exited) throw new Error(`dockerd exited at startup:\n${d.logTail()}`);
          const r = await d.docker(["version"], { timeoutMs: 10_000 });
          return r.code === 0 ? true : undefined;
        },
        60_000,
        250,
      );
      d.#baseMounts = new Set(mountsUnder(dir));
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** The docker client against this daemon; never throws on a non-zero exit. */
  docker(
    args: string[],
    opts: { timeoutMs?: number; stdin?: string; env?: Record<string, string> } = {},
  ): Promise<RunResult> {
    return run(DOCKER, args, {
      ...opts,
      timeoutMs: opts.timeoutMs ?? 180_000,
      env: {
        ...opts.env,
        DOCKER_HOST: `unix://${this.socket}`,
        DOCKER_CONFIG: `${this.dir}/client`,
      },
    });
  }

  /** `docker load -i TAR`; throws with Docker's output on failure. */
  async load(tar: string): Promise<void> {
    const r = await this.docker(["load", "-i", tar], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`docker load ${tar} failed: ${r.stderr}${r.stdout}`);
  }

  logTail(lines = 40): string {
    try {
      return Deno.readTextFileSync(this.logPath).split("\n").slice(-lines).join("\n");
    } catch {
      return "(no dockerd log)";
    }
  }

  /** dockerd and the containerd it supervises: the daemons, not leftovers. */
  #daemonPids(): number[] {
    const pids = [this.pid];
    try {
      pids.push(Number(Deno.readTextFileSync(`${this.dir}/exec/containerd/containerd.pid`)));
    } catch { /* not started yet, or gone */ }
    return pids;
  }

  /** Shims and everything under them (monitors, runtime children). */
  #containerProcesses(): number[] {
    const all = processes();
    const daemons = this.#daemonPids();
    const shims = all.filter((p) => !daemons.includes(p.pid) && p.cmdline.includes(this.dir))
      .map((p) => p.pid);
    return [...shims, ...descendants(shims, all)];
  }

  /**
   * What containers left behind, as human-readable lines ([] = clean): containers Docker still
   * lists, processes under the shims, urunc/runc state dirs, mounts dockerd did not have at
   * start, and in the namespace playing the host: links besides lo, the bridge and the host NIC,
   * and any ingress qdisc (urunc's tc mirroring).
   */
  async leftovers(): Promise<string[]> {
    const found: string[] = [];
    const ps = await this.docker(["ps", "-aq"]);
    for (const id of ps.stdout.split("\n").filter(Boolean)) found.push(`container ${id}`);
    const all = processes();
    for (const pid of this.#containerProcesses()) {
      found.push(`process ${pid}: ${all.find((p) => p.pid === pid)?.cmdline ?? "?"}`);
    }
    for (const entry of listDir(this.runtimeState)) {
      found.push(`runtime state ${this.runtimeState}/${entry}`);
    }
    for (const mp of mountsUnder(this.dir)) {
      // Docker pins its own netns there on first use and keeps it until it stops.
      if (!this.#baseMounts.has(mp) && mp !== `${this.dir}/exec/netns/default`) {
        found.push(`mount ${mp}`);
      }
    }
    for (const name of await this.netns.linkNames()) {
      if (!["lo", this.bridge, HOST_NIC.name, HOST_NIC.peer].includes(name)) {
        found.push(`link ${name}`);
      }
    }
    const qdiscs = await run("tc", ["-n", this.netns.name, "qdisc", "show"]);
    for (const line of qdiscs.stdout.split("\n").filter((l) => /^qdisc ingress/.test(l))) {
      found.push(`tc ${line.trim()}`);
    }
    return found;
  }

  /**
   * Removes every container, stops dockerd (and its containerd), kills what survived, unmounts
   * everything under the temp dir, deletes the namespace and the dir. Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    const ps = await this.docker(["ps", "-aq"], { timeoutMs: 30_000 });
    const ids = ps.stdout.split("\n").filter(Boolean);
    if (ids.length > 0) await this.docker(["rm", "-f", ...ids], { timeoutMs: 60_000 });
    const daemons = this.#daemonPids();
    const sockets = shimSockets(
      `${this.dir}/exec/containerd/daemon/io.containerd.runtime.v2.task/moby`,
    );
    await stopChild(this.#child, 20_000);
    await killAndWait([...this.#containerProcesses(), ...daemons.filter(alive)]);
    removeShimSockets(sockets);
    for (const mp of mountsUnder(this.dir)) await run("umount", ["-l", mp]);
    await this.netns.destroy();
    Deno.removeSync(this.dir, { recursive: true });
  }
}
