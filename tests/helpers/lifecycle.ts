// One container's test environment for lifecycle tests through the CLI: a temp
// dir with its own state root, JSON log, host config (fake monitor) and bundle.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "./bundle.ts";
import { isRoot } from "./subreaper.ts";
import { urunc, uruncCreate } from "./urunc.ts";

export const ready = isRoot() && existsSync(FAKE_MONITOR);
if (!ready && Deno.env.get("CI")) {
  throw new Error("lifecycle tests need root and .build/fake-monitor (run scripts/setup.sh)");
}

function existsSync(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

export interface Env {
  dir: string;
  root: string;
  log: string;
  config: string;
  bundle: string;
  cleanup(): Promise<void>;
}

export function setup(name: string, bundle: Parameters<typeof makeBundle>[1] = {}): Env {
  const dir = Deno.makeTempDirSync({ prefix: `urunc-${name}-` });
  const root = join(dir, "state");
  const log = join(dir, "log.json");
  const config = writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR);
  const b = makeBundle(join(dir, "bundle"), { annotations: LINUX_QEMU, ...bundle });
  return {
    dir,
    root,
    log,
    config,
    bundle: b,
    async cleanup() {
      for (const id of safeReadDir(root)) await urunc(globals(this, ["delete", "--force", id]));
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

export function safeReadDir(p: string): string[] {
  try {
    return [...Deno.readDirSync(p)].map((e) => e.name);
  } catch {
    return [];
  }
}

export function globals(e: Env, args: string[]): string[] {
  return ["--root", e.root, "--log", e.log, "--log-format", "json", "--config", e.config, ...args];
}

export function create(e: Env, id: string, extra: string[] = []) {
  return uruncCreate(
    globals(e, [
      "create",
      "--bundle",
      e.bundle,
      "--pid-file",
      join(e.dir, "init.pid"),
      ...extra,
      id,
    ]),
  );
}

export async function readAll(s: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(s).text();
}

export interface MonitorReport {
  argv: string[];
  env: string[];
  fds: number[];
  uid: number;
  gid: number;
  groups: number[];
  rootIno: number;
  rootDev: number;
  seccompMode: number;
  nnp: number;
  writable: { path: string; errno: number };
  /** Capability sets as hex strings (capget, PR_CAPBSET_READ, PR_CAP_AMBIENT_IS_SET). */
  caps: { eff: string; prm: string; inh: string; bnd: string; amb: string };
  /** RLIMIT_NOFILE [soft, hard]. */
  nofile: [number, number];
  /** With fake:probe: errno of each hostile attempt (0 = it worked). */
  probes?: {
    remount: number;
    /** The bind of the monitor's own binary is still read-only after the remount attempt. */
    selfReadOnly: boolean;
    openByHandle: number;
    tmpMknod: number;
    tmpOpen: number;
    rootMknod: number;
    rootOpen: number;
    /** Exit status of /suid-probe: 100 = it ran with euid 0, 101 = it did not. */
    suidExit?: number;
  };
}

export function parseReport(stdout: string): MonitorReport {
  const line = stdout.split("\n").find((l) => l.startsWith("{"));
  assert.ok(line, `fake monitor printed no report; stdout was: ${stdout}`);
  return JSON.parse(line);
}

export function mountsUnder(path: string): string[] {
  return Deno.readTextFileSync("/proc/self/mountinfo").split("\n").filter((l) =>
    l.split(" ")[4]?.startsWith(path)
  );
}

/** Until one of the init's threads blocks opening the exec fifo (create returns before that). */
export async function waitingOnFifo(pid: number): Promise<void> {
  const blocked = () =>
    [...Deno.readDirSync(`/proc/${pid}/task`)].some((t) =>
      Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/wchan`) === "wait_for_partner"
    );
  while (!blocked()) await new Promise((r) => setTimeout(r, 20));
}
