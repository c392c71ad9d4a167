// Shared e2e plumbing: where the artifacts built by scripts/setup.sh live, when e2e tests
// may skip (and when they must fail instead), and small process helpers.
export {
  BUSYBOX_IMAGE_REF,
  IMAGE_LAYER_MARKER,
  PAUSE_IMAGE_REF,
  STORAGE_IMAGE_REF,
  TEST_IMAGE_REF,
} from "../../scripts/image/refs.ts";

export const repoRoot = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");
export const buildDir = `${repoRoot}/.build`;

/** Everything scripts/setup.sh builds or installs that e2e tests may need. */
export const artifacts = {
  vmlinux: `${buildDir}/vmlinux`,
  initrd: `${buildDir}/initrd`,
  /** The test image's /urunc.json (linux on qemu, /kernel and /initrd). */
  uruncJson: `${buildDir}/urunc.json`,
  testImageTar: `${buildDir}/urunc-test-image.tar`,
  busyboxImageTar: `${buildDir}/busybox-image.tar`,
  /** The same two images as docker-archives, for Docker 20.10's `docker load`. */
  testImageDockerTar: `${buildDir}/urunc-test-image.docker.tar`,
  busyboxImageDockerTar: `${buildDir}/busybox-image.docker.tar`,
  /** The pod sandbox image for the CRI test (scripts/image/pause.c). */
  pauseImageTar: `${buildDir}/pause-image.tar`,
  /** Debian's docker.io (Docker 20.10): the daemon and its matching client. */
  dockerd: "/usr/sbin/dockerd",
  dockerClient: "/usr/bin/docker",
  /** Debian's containernetworking-plugins, for containerd's CRI plugin. */
  cniBridge: "/usr/lib/cni/bridge",
  initrdStorage: `${buildDir}/initrd-storage`,
  storageImageTar: `${buildDir}/urunc-storage-image.tar`,
  fakeMonitor: `${buildDir}/fake-monitor`,
  /** The urunc runtime binary: the from-source wrapper, or URUNC_BIN (e.g. a compiled one). */
  urunc: Deno.env.get("URUNC_BIN") ?? `${buildDir}/urunc`,
} as const;
export type Artifact = keyof typeof artifacts;

export const QEMU = "/usr/bin/qemu-system-x86_64";

export function isRoot(): boolean {
  return Deno.uid() === 0;
}

export function inCi(): boolean {
  const ci = Deno.env.get("CI");
  return ci !== undefined && ci !== "" && ci !== "false" && ci !== "0";
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

export function missingArtifacts(needs: Artifact[]): string[] {
  return needs.map((n) => artifacts[n]).filter((p) => !exists(p));
}

/**
 * Why an e2e test cannot run here, or undefined when it can. Not root: skip. Missing
 * artifacts: skip locally, but in CI (CI=true) the test runs and fails, so a broken setup
 * can never pass as "all skipped".
 */
export function skipReason(needs: Artifact[]): string | undefined {
  if (!isRoot()) return "needs root";
  const missing = missingArtifacts(needs);
  if (missing.length > 0 && !inCi()) {
    return `missing ${missing.join(", ")} (run scripts/setup.sh)`;
  }
  return undefined;
}

/** Throws the clear CI failure for missing artifacts (a no-op when all are present). */
export function requireArtifacts(needs: Artifact[]): void {
  const missing = missingArtifacts(needs);
  if (missing.length > 0) {
    throw new Error(`e2e artifacts missing: ${missing.join(", ")}; run scripts/setup.sh`);
  }
}

/**
 * Deno.test for e2e: ignored (with the reason printed once) when skipReason says so;
 * otherwise checks its artifacts first, so a missing one fails loudly in CI.
 */
export function e2eTest(
  name: string,
  needs: Artifact[],
  fn: (t: Deno.TestContext) => Promise<void>,
): void {
  const reason = skipReason(needs);
  if (reason) console.error(`e2e: skipping "${name}": ${reason}`);
  Deno.test({
    name,
    ignore: reason !== undefined,
    // Child processes (containerd, qemu) outlive single ops by design; cleanup is explicit.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async (t) => {
      requireArtifacts(needs);
      await fn(t);
    },
  });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Wall-clock milliseconds, for printing (never for asserting). */
  ms: number;
}

/**
 * Runs a command to completion. The timeout only keeps a wedged child from hanging the
 * suite: on expiry the child is SIGKILLed and the result carries code 137.
 */
export async function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<RunResult> {
  const started = performance.now();
  const child = new Deno.Command(cmd, {
    args,
    env: opts.env,
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, opts.timeoutMs ?? 120_000);
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  try {
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.signal ? 128 + signalNumber(out.signal) : out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      ms: performance.now() - started,
    };
  } finally {
    clearTimeout(timer);
  }
}

function signalNumber(sig: Deno.Signal): number {
  const table: Partial<Record<Deno.Signal, number>> = {
    SIGHUP: 1,
    SIGINT: 2,
    SIGQUIT: 3,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGSEGV: 11,
    SIGABRT: 6,
  };
  return table[sig] ?? 0;
}

/** Resolves when check() returns a value other than undefined; throws after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Lines of the test guest's console meant for tests (see scripts/image/guest_init.sh). */
export function guestLines(console: string): string[] {
  return console.split(/\r?\n/).filter((l) => /^(URUNC-TEST-GUEST: |cmdline: )/.test(l));
}

/** The fake monitor's JSON report, from output that may hold other lines too. */
export function fakeMonitorReport(output: string): Record<string, unknown> | undefined {
  const line = output.split("\n").find((l) => l.startsWith('{"fake":"monitor"'));
  return line === undefined ? undefined : JSON.parse(line);
}

/** A network namespace of our own (the only place besides loopback where traffic may flow). */
export class NetNs {
  private constructor(readonly name: string) {}

  static async create(prefix = "urunc-e2e"): Promise<NetNs> {
    const name = `${prefix}-${Deno.pid}-${Math.floor(Math.random() * 1e6)}`;
    await must("ip", ["netns", "add", name]);
    const ns = new NetNs(name);
    await ns.exec(["ip", "link", "set", "lo", "up"]);
    return ns;
  }

  /** The namespace's bind mount, for `nsenter --net=PATH` and specs. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** Runs argv inside the namespace; throws on failure. */
  exec(argv: string[]): Promise<RunResult> {
    return must("ip", ["netns", "exec", this.name, ...argv]);
  }

  /** Names of the namespace's links, sorted, without the "@peer" suffix of a veth. */
  async linkNames(): Promise<string[]> {
    const out = await this.exec(["ip", "-o", "link", "show"]);
    return out.stdout.split("\n").filter(Boolean).map((l) => l.split(": ")[1].split("@")[0])
      .sort();
  }

  /** A tap owned by this namespace, up, with a host-side address (e.g. "10.4.0.1/24"). */
  async addTap(tap: string, cidr: string): Promise<void> {
    await this.exec(["ip", "tuntap", "add", "dev", tap, "mode", "tap"]);
    await this.exec(["ip", "addr", "add", cidr, "dev", tap]);
    await this.exec(["ip", "link", "set", tap, "up"]);
  }

  /** One HTTP/1.0 GET from inside the namespace; undefined when nothing answers. */
  async httpGet(host: string, port: number): Promise<string | undefined> {
    // busybox wget segfaults (static glibc resolver); nc is enough for HTTP/1.0.
    const r = await run("ip", [
      "netns",
      "exec",
      this.name,
      "busybox",
      "nc",
      "-w",
      "2",
      host,
      `${port}`,
    ], {
      stdin: "GET / HTTP/1.0\r\n\r\n",
      timeoutMs: 10_000,
    });
    return r.code === 0 && r.stdout.length > 0 ? r.stdout : undefined;
  }

  /** Kills whatever still runs in the namespace, then deletes it. */
  async destroy(): Promise<void> {
    const pids = await run("ip", ["netns", "pids", this.name]);
    for (const pid of pids.stdout.split("\n").filter(Boolean)) {
      try {
        Deno.kill(Number(pid), "SIGKILL");
      } catch { /* gone */ }
    }
    await run("ip", ["netns", "del", this.name]);
  }
}

/** run(), but a non-zero exit throws with the command's stderr. */
export async function must(cmd: string, args: string[]): Promise<RunResult> {
  const r = await run(cmd, args);
  if (r.code !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited ${r.code}: ${r.stderr.trim()}`);
  }
  return r;
}
