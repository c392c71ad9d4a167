// `deno task bench`: what a container costs, side by side with runc, driven the
// way the containerd shim drives a runtime (child subreaper, --pid-file, a JSON
// log), with the same static fake monitor as the container's process for both
// (for urunc it is the "monitor", for runc the container's binary). Also: the
// Deno floor (a bare `deno run` of an empty file, measured in the same run),
// the waiting init child's RSS, concurrent lifecycles, and plan building.
// Needs root and `scripts/setup.sh`. URUNC_BIN=<binary> benchmarks a compiled urunc.
// Benchmarks, not tests: targets are printed, never asserted.

import { join } from "node:path";
import { benchPlan, median } from "./bench_plan.ts";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../tests/helpers/bundle.ts";
import { becomeSubreaper, reap } from "../tests/helpers/subreaper.ts";
import { lastLogError, uruncCommand } from "../tests/helpers/urunc.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 20);
const CONCURRENT = { total: Number(Deno.env.get("BENCH_CONCURRENT") ?? 50), parallel: 10 };

type Cmd = (args: string[]) => string[];

async function run(cmd: string[], log: string): Promise<number> {
  const t0 = performance.now();
  // stdio is /dev/null: for create it is the container's, and the init child keeps it open.
  const out = await new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) {
    throw new Error(`${cmd.join(" ")} failed: ${lastLogError(log) ?? "no error in the log"}`);
  }
  return ms;
}

interface Runtime {
  name: string;
  cmd: Cmd;
  bundle: string;
  /** Another bundle: concurrent containers each get their own rootfs, as under containerd. */
  newBundle: (dir: string) => string;
  log: string;
  dir: string;
  /** A bare `deno run` of an empty file. */
  floor: string[];
}

interface Rounds {
  create: number[];
  start: number[];
  delete: number[];
  total: number[];
  state: number[];
  kill: number[];
  rssKiB: number[];
  pssKiB: number[];
  anonKiB: number[];
  /** A bare `deno run` in each round: the floor under the same load as the round. */
  floor: number[];
}

interface Memory {
  rssKiB: number;
  pssKiB: number;
  anonKiB: number;
}

function memory(pid: number): Memory {
  const text = Deno.readTextFileSync(`/proc/${pid}/smaps_rollup`);
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(text)?.[1]);
  return { rssKiB: kib("Rss"), pssKiB: kib("Pss"), anonKiB: kib("Pss_Anon") };
}

/**
 * The memory of the init once it waits for start: create returns when its signal handlers
 * are in, and it may still be loading then. Waiting = a thread blocked opening the exec
 * fifo (runc's init: reading it), seen in the threads' wchan; at most 5 s.
 */
async function waitingMemory(pid: number): Promise<Memory> {
  const deadline = Date.now() + 5000;
  const blocked = () => {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      const wchan = Deno.readTextFileSync(`/proc/${pid}/task/${t.name}/wchan`);
      if (wchan === "wait_for_partner" || wchan === "pipe_read" || wchan === "pipe_wait") {
        return true;
      }
    }
    return false;
  };
  while (!blocked() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  return memory(pid);
}

/** One shim-like lifecycle: create, start, reap the monitor, delete; plus state and kill. */
async function lifecycle(rt: Runtime, id: string, into: Rounds | null): Promise<void> {
  const pidFile = join(rt.dir, `${id}.pid`);
  const c = await run(rt.cmd(["create", "--bundle", rt.bundle, "--pid-file", pidFile, id]), rt.log);
  const pid = Number(Deno.readTextFileSync(pidFile));
  const mem = await waitingMemory(pid);
  const floor = await run(rt.floor, "/dev/null");
  const st = await run(rt.cmd(["state", id]), rt.log);
  const s = await run(rt.cmd(["start", id]), rt.log);
  await reap(pid);
  const d = await run(rt.cmd(["delete", id]), rt.log);
  // kill of a created container: the cheapest "signal it" path there is.
  const kid = `${id}-k`;
  await run(rt.cmd(["create", "--bundle", rt.bundle, "--pid-file", pidFile, kid]), rt.log);
  const kpid = Number(Deno.readTextFileSync(pidFile));
  const k = await run(rt.cmd(["kill", kid, "KILL"]), rt.log);
  await reap(kpid);
  await run(rt.cmd(["delete", kid]), rt.log);
  if (into === null) return;
  into.create.push(c);
  into.start.push(s);
  into.delete.push(d);
  into.total.push(c + s + d);
  into.state.push(st);
  into.kill.push(k);
  into.rssKiB.push(mem.rssKiB);
  into.pssKiB.push(mem.pssKiB);
  into.anonKiB.push(mem.anonKiB);
  into.floor.push(floor);
}

async function measure(rt: Runtime): Promise<Record<keyof Rounds, number>> {
  const r: Rounds = {
    create: [],
    start: [],
    delete: [],
    total: [],
    state: [],
    kill: [],
    rssKiB: [],
    pssKiB: [],
    anonKiB: [],
    floor: [],
  };
  await lifecycle(rt, `${rt.name}-warm`, null); // the first round warms caches
  for (let i = 0; i < ROUNDS; i++) await lifecycle(rt, `${rt.name}-${i}`, r);
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)])) as Record<
    keyof Rounds,
    number
  >;
}

async function concurrent(
  rt: Runtime,
): Promise<{ failures: number; wallMs: number; first: string }> {
  let next = 0, failures = 0, first = "";
  const t0 = performance.now();
  const worker = async (w: number) => {
    const own = { ...rt, bundle: rt.newBundle(join(rt.dir, `${rt.name}-bundle-${w}`)) };
    while (next < CONCURRENT.total) {
      const id = `${rt.name}-par-${next++}`;
      try {
        await lifecycle(own, id, null);
      } catch (err) {
        failures++;
        first ||= (err as Error).message;
        await run(rt.cmd(["delete", "--force", id]), rt.log).catch(() => 0);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENT.parallel }, (_, w) => worker(w)));
  return { failures, wallMs: performance.now() - t0, first };
}

/** A bare Deno start: `deno run` of an empty file, the floor of any Deno CLI call. */
function floorCommand(dir: string): string[] {
  const empty = join(dir, "empty.ts");
  Deno.writeTextFileSync(empty, "");
  return [Deno.execPath(), "run", "--quiet", "--no-prompt", "--cached-only", empty];
}

function runcBundle(dir: string): string {
  Deno.mkdirSync(join(dir, "rootfs"), { recursive: true });
  Deno.copyFileSync(FAKE_MONITOR, join(dir, "rootfs/fake-monitor"));
  Deno.chmodSync(join(dir, "rootfs/fake-monitor"), 0o755);
  new Deno.Command("runc", { args: ["spec", "--bundle", dir] }).outputSync();
  const spec = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
  spec.process.terminal = false;
  spec.process.args = ["/fake-monitor", "fake:exit=0"];
  Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(spec));
  return dir;
}

const ms = (x: number) => `${x.toFixed(1)} ms`.padStart(10);
const row = (label: string, ...cols: string[]) =>
  console.log(`  ${label.padEnd(34)}${cols.map((c) => c.padStart(12)).join("")}`);

if (import.meta.main) {
  console.log("plan building (pure, per call):");
  for (const r of await benchPlan()) {
    console.log(`  ${r.name.padEnd(40)} ${(r.medianMs * 1000).toFixed(1)} µs`);
  }
  if (Deno.uid() !== 0) {
    console.log("lifecycle benchmark skipped: needs root");
    Deno.exit(0);
  }
  becomeSubreaper();
  const dir = Deno.makeTempDirSync({ prefix: "urunc-bench-" });
  try {
    const bin = Deno.env.get("URUNC_BIN");
    const config = writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR);
    const shimFlags = (name: string) => [
      "--root",
      join(dir, `${name}-state`),
      "--log",
      join(dir, `${name}.log`),
      "--log-format",
      "json",
    ];
    const uruncBundle = (d: string) =>
      makeBundle(d, { annotations: LINUX_QEMU, args: ["/init", "fake:exit=0"] });
    const urunc: Runtime = {
      name: "urunc",
      cmd: (a) =>
        bin
          ? [bin, ...shimFlags("urunc"), "--config", config, ...a]
          : uruncCommand([...shimFlags("urunc"), "--config", config, ...a]),
      bundle: uruncBundle(join(dir, "urunc-bundle")),
      newBundle: uruncBundle,
      log: join(dir, "urunc.log"),
      dir,
      floor: floorCommand(dir),
    };
    const runc: Runtime = {
      name: "runc",
      cmd: (a) => ["runc", ...shimFlags("runc"), ...a],
      bundle: runcBundle(join(dir, "runc-bundle")),
      newBundle: runcBundle,
      log: join(dir, "runc.log"),
      dir,
      floor: floorCommand(dir),
    };
    const r = await measure(runc);
    const u = await measure(urunc);
    const floor = u.floor;
    console.log(
      `\nlifecycle as the shim drives it, median of ${ROUNDS} (wall ms; urunc ${
        bin ? `binary ${bin}` : "from source"
      }; ${navigator.hardwareConcurrency} cores):`,
    );
    row("", "runc", "urunc", "urunc/runc");
    for (const k of ["create", "start", "delete", "total", "state", "kill"] as const) {
      row(k, ms(r[k]), ms(u[k]), (u[k] / r[k]).toFixed(2));
    }
    const mb = (kib: number) => `${(kib / 1024).toFixed(1)} MB`;
    row("init waiting for start: RSS", mb(r.rssKiB), mb(u.rssKiB));
    row("  PSS (shared pages split)", mb(r.pssKiB), mb(u.pssKiB));
    row("  anonymous (its own)", mb(r.anonKiB), mb(u.anonKiB));
    console.log(
      `\nDeno floor: a bare deno run, one in each urunc round ${
        ms(floor)
      }; 4 of them (create, init, start, delete) ${ms(4 * floor)}`,
    );
    const target = (what: string, value: number, limit: number) =>
      console.log(
        `  ${what.padEnd(44)} ${value.toFixed(2).padStart(6)} (target ≤ ${limit}) ${
          value <= limit ? "met" : "NOT met"
        }`,
      );
    target("urunc total / Deno floor", u.total / (4 * floor), 1.25);
    target("urunc start / bare Deno start", u.start / floor, 1.2);
    target("urunc state / bare Deno start", u.state / floor, 1.2);
    target("urunc kill / bare Deno start", u.kill / floor, 1.2);
    target("waiting init RSS (MB)", u.rssKiB / 1024, 35);
    console.log(`\n${CONCURRENT.total} lifecycles, ${CONCURRENT.parallel} at a time:`);
    for (const rt of [runc, urunc]) {
      const c = await concurrent(rt);
      console.log(
        `  ${rt.name.padEnd(6)} ${c.failures} failures, wall ${ms(c.wallMs)}${
          c.first ? ` (first: ${c.first})` : ""
        }`,
      );
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
