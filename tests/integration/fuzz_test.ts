// Seeded, bounded fuzzing of `urunc create` (and `start` when create accepts)
// through the real CLI: bundles built from a valid one with random damage to
// config.json, the urunc annotations, urunc.json and the rootfs files. Every
// case must end (no hang) with success or one clean error line (never a stack
// trace), print nothing on the container's stdio, and leave nothing behind
// once a success is deleted.
// URUNC_FUZZ_SEED and URUNC_FUZZ_CASES reproduce or widen a run.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  b64,
  DEFAULT_NAMESPACES,
  FAKE_MONITOR,
  LINUX_QEMU,
  makeBundle,
  writeHostConfig,
} from "../helpers/bundle.ts";
import { ready, safeReadDir } from "../helpers/lifecycle.ts";
import { statusWithin, uruncCommand } from "../helpers/urunc.ts";

const SEED = Number(Deno.env.get("URUNC_FUZZ_SEED") ?? 20261202);
const CASES = Number(Deno.env.get("URUNC_FUZZ_CASES") ?? 200);
const PARALLEL = 3;
const HANG_LIMIT_MS = 30_000;
/** The fake runc's exit status: a hand-off (no urunc metadata left) is not an error here. */
const RUNC_EXIT = 3;

/** mulberry32: small, fast, good enough to pick mutations reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = ReturnType<typeof rng>;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

function randomString(r: Rand): string {
  return pick(r, [
    () => "",
    () => "x".repeat(1 + Math.floor(r() * 200_000)),
    () => "/../../etc/shadow",
    () => "/kernel\u0000/etc/passwd",
    () => "☃ unikernel\n\t\"'$(reboot)",
    () => b64("/kernel"),
    () => "%%%not-base64%%%",
    () => String(r()),
    () => "/",
    () => "/dev/loop0",
    () => "qemu",
    () => "linux",
    () => "/initrd",
  ])();
}

function randomValue(r: Rand, depth = 0): unknown {
  return pick(r, [
    () => null,
    () => true,
    () => -1,
    () => 2 ** 64,
    () => 1.5,
    () => Math.floor(r() * 100_000),
    () => randomString(r),
    () => (depth > 2
      ? []
      : Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1))),
    () =>
      depth > 2 ? {} : Object.fromEntries(
        Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`k${i}`, randomValue(r, depth + 1)]),
      ),
  ])();
}

/** Paths into config.json worth breaking (the fields urunc reads, and a few it does not). */
const SPEC_PATHS = [
  ["ociVersion"],
  ["root"],
  ["root", "path"],
  ["root", "readonly"],
  ["process"],
  ["process", "user"],
  ["process", "user", "uid"],
  ["process", "user", "additionalGids"],
  ["process", "args"],
  ["process", "env"],
  ["process", "terminal"],
  ["process", "capabilities"],
  ["process", "capabilities", "bounding"],
  ["process", "capabilities", "ambient"],
  ["process", "noNewPrivileges"],
  ["process", "rlimits"],
  ["process", "oomScoreAdj"],
  ["hostname"],
  ["annotations"],
  ["linux"],
  ["linux", "namespaces"],
  ["linux", "resources"],
  ["linux", "resources", "memory", "limit"],
  ["linux", "resources", "cpu", "quota"],
  ["linux", "seccomp"],
  ["linux", "seccomp", "defaultAction"],
  ["linux", "seccomp", "syscalls"],
  ["linux", "maskedPaths"],
  ["linux", "readonlyPaths"],
  ["linux", "rootfsPropagation"],
];

function setPath(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let o = obj;
  for (const k of path.slice(0, -1)) {
    if (typeof o[k] !== "object" || o[k] === null) o[k] = {};
    o = o[k] as Record<string, unknown>;
  }
  if (value === undefined) delete o[path.at(-1)!];
  else o[path.at(-1)!] = value;
}

const KEYS = ["unikernelType", "hypervisor", "binary", "cmdline", "initrd", "block", "useDMBlock"];

function mkfifo(path: string): void {
  new Deno.Command("mkfifo", { args: [path] }).outputSync();
}

/** One mutation of the bundle at `b` (config.json already written). */
function mutate(r: Rand, b: string): string {
  const specFile = join(b, "config.json");
  const rootfs = join(b, "rootfs");
  // Never read a config.json an earlier mutation turned into a FIFO: the test itself would block.
  const spec = () => {
    if (!Deno.lstatSync(specFile).isFile) throw new Error("config.json is no longer a file");
    return JSON.parse(Deno.readTextFileSync(specFile));
  };
  const save = (s: unknown) => Deno.writeTextFileSync(specFile, JSON.stringify(s));
  const choice = Math.floor(r() * 12);
  switch (choice) {
    case 0:
    case 1: {
      const s = spec(), p = pick(r, SPEC_PATHS), v = r() < 0.2 ? undefined : randomValue(r);
      setPath(s, p, v);
      save(s);
      return `config.json ${p.join(".")} = ${JSON.stringify(v)?.slice(0, 60)}`;
    }
    case 2: {
      const s = spec(), key = pick(r, KEYS), v = randomString(r);
      s.annotations[`com.urunc.unikernel.${key}`] = v;
      save(s);
      return `annotation ${key} = ${JSON.stringify(v.slice(0, 60))}`;
    }
    case 3: {
      const what = pick(r, ["bytes", "truncated", "empty", "null", "deep", "fifo", "dir", "huge"]);
      const text = JSON.stringify(spec());
      Deno.removeSync(specFile);
      if (what === "bytes") {
        Deno.writeFileSync(specFile, crypto.getRandomValues(new Uint8Array(64)));
      }
      if (what === "truncated") Deno.writeTextFileSync(specFile, text.slice(0, r() * text.length));
      if (what === "empty") Deno.writeTextFileSync(specFile, "");
      if (what === "null") Deno.writeTextFileSync(specFile, "null");
      if (what === "deep") Deno.writeTextFileSync(specFile, "[".repeat(100_000));
      if (what === "fifo") mkfifo(specFile);
      if (what === "dir") Deno.mkdirSync(specFile);
      if (what === "huge") Deno.writeTextFileSync(specFile, " ".repeat(17 * 1024 * 1024) + text);
      return `config.json: ${what}`;
    }
    case 4: {
      const s = spec();
      const type = pick(r, [
        "network",
        "ipc",
        "uts",
        "pid",
        "cgroup",
        "mount",
        "user",
        "time",
        "x",
      ]);
      const path = pick(r, [
        undefined,
        "/proc/self/ns/ipc",
        "/proc/self/ns/net",
        "/dev/null",
        join(b, "fifo"),
        "/",
        "/nonexistent",
        "x".repeat(5000),
      ]);
      if (path === join(b, "fifo")) mkfifo(path);
      s.linux.namespaces = [...DEFAULT_NAMESPACES, { type, path }];
      save(s);
      return `namespace ${type} at ${path?.slice(0, 40)}`;
    }
    case 5: {
      const what = pick(r, ["bytes", "fifo", "symlink", "dir", "huge", "types", "device", "b64"]);
      const p = join(rootfs, "urunc.json");
      const s = spec();
      s.annotations = {};
      save(s);
      if (what === "bytes") Deno.writeFileSync(p, crypto.getRandomValues(new Uint8Array(300)));
      if (what === "fifo") mkfifo(p);
      if (what === "symlink") Deno.symlinkSync("/etc/shadow", p);
      if (what === "dir") Deno.mkdirSync(p);
      if (what === "huge") Deno.writeTextFileSync(p, " ".repeat(70_000));
      if (what === "device") new Deno.Command("mknod", { args: [p, "c", "1", "3"] }).outputSync();
      if (what === "types") {
        Deno.writeTextFileSync(
          p,
          JSON.stringify(
            Object.fromEntries(KEYS.map((k) => [`com.urunc.unikernel.${k}`, randomValue(r)])),
          ),
        );
      }
      if (what === "b64") {
        Deno.writeTextFileSync(
          p,
          JSON.stringify(
            Object.fromEntries(
              Object.entries(LINUX_QEMU).map(([k, v]) => [k, r() < 0.3 ? randomString(r) : b64(v)]),
            ),
          ),
        );
      }
      return `urunc.json: ${what}`;
    }
    case 6: {
      const f = join(rootfs, pick(r, ["kernel", "initrd"]));
      const what = pick(r, ["missing", "dir", "symlink-out", "device", "fifo", "unreadable"]);
      Deno.removeSync(f);
      if (what === "dir") Deno.mkdirSync(f);
      if (what === "symlink-out") Deno.symlinkSync("/etc/passwd", f);
      if (what === "device") new Deno.Command("mknod", { args: [f, "b", "7", "0"] }).outputSync();
      if (what === "fifo") mkfifo(f);
      if (what === "unreadable") Deno.writeTextFileSync(f, "k", { mode: 0o000 });
      return `rootfs ${f.slice(rootfs.length)}: ${what}`;
    }
    case 7: {
      const s = spec();
      s.process.capabilities = {
        bounding: [pick(r, ["CAP_SYS_ADMIN", "CAP_NOPE", "", "cap_chown"])],
        effective: r() < 0.5 ? ["CAP_KILL"] : [],
        permitted: [],
        ambient: r() < 0.5 ? ["CAP_KILL"] : [],
      };
      s.process.rlimits = [{
        type: pick(r, ["RLIMIT_NOFILE", "RLIMIT_X"]),
        soft: r() * 1e6,
        hard: 1,
      }];
      save(s);
      return "capabilities/rlimits";
    }
    case 8: {
      const s = spec();
      s.linux.seccomp = {
        defaultAction: pick(r, ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_NOTIFY", "x"]),
        flags: r() < 0.3 ? ["SECCOMP_FILTER_FLAG_X"] : [],
        syscalls: Array.from({ length: Math.floor(r() * 300) }, () => ({
          names: [pick(r, ["read", "mount", "nonexistent", "personality"])],
          action: pick(r, ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"]),
          args: r() < 0.5
            ? [{
              index: Math.floor(r() * 8),
              value: Math.floor(r() * 2 ** 40),
              op: pick(r, ["SCMP_CMP_EQ", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_BAD"]),
            }]
            : [],
        })),
      };
      save(s);
      return `seccomp with ${s.linux.seccomp.syscalls.length} rules`;
    }
    case 9: {
      const s = spec();
      s.process.user.additionalGids = Array.from({ length: pick(r, [1, 65536, 65537]) }, () => 5);
      save(s);
      return `${s.process.user.additionalGids.length} additionalGids`;
    }
    case 10: {
      const s = spec();
      s.linux.maskedPaths = [randomString(r), "/proc/kcore"];
      s.linux.readonlyPaths = [randomString(r)];
      save(s);
      return "maskedPaths/readonlyPaths";
    }
    default: {
      const s = spec();
      s.hooks = {
        [pick(r, ["prestart", "createRuntime", "poststop", "bogus"])]: [
          { path: pick(r, ["/nonexistent/hook", "relative", ""]), timeout: randomValue(r) },
        ],
      };
      save(s);
      return "hooks";
    }
  }
}

/** The exit status of a urunc call, or -1 when it outlived HANG_LIMIT_MS (then it is killed). */
async function run(cmd: string, args: string[]): Promise<number> {
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
  const { code, hung } = await statusWithin(child, HANG_LIMIT_MS);
  return hung ? -1 : code;
}

function logLines(log: string): { level: string; msg: string }[] {
  try {
    return Deno.readTextFileSync(log).split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    return [{ level: "error", msg: `log is not JSON lines: ${err}` }];
  }
}

const errorCount = (log: string) => logLines(log).filter((l) => l.level === "error").length;

/** Every error line is one clean sentence; a failed create has exactly one. */
function logProblems(log: string, failedCreate: boolean): string[] {
  const errors = logLines(log).filter((l) => l.level === "error");
  const problems: string[] = [];
  if (failedCreate && errors.length !== 1) problems.push(`${errors.length} error lines`);
  for (const e of errors) {
    if (/\n|\s+at \S+ \(|internal error|Error:|not JSON lines/.test(e.msg)) {
      problems.push(`error line looks like a crash: ${e.msg.slice(0, 300)}`);
    }
    if (e.msg.length > 9000) problems.push(`error line of ${e.msg.length} characters`);
  }
  return problems;
}

interface Outcome {
  label: string;
  code: number;
  problems: string[];
}

async function runCase(dir: string, n: number, r: Rand, fakeRunc: string): Promise<Outcome> {
  const caseDir = join(dir, `c${n}`);
  Deno.mkdirSync(caseDir);
  const b = makeBundle(join(caseDir, "b"), {
    annotations: LINUX_QEMU,
    args: ["/init", "fake:sleep"],
  });
  const steps = 1 + Math.floor(r() * 3);
  const labels: string[] = [];
  for (let i = 0; i < steps; i++) {
    try {
      labels.push(mutate(r, b));
    } catch {
      labels.push("(mutation did not apply)");
    }
  }
  const label = `case ${n}: ${labels.join("; ")}`;
  const problems: string[] = [];
  const root = join(dir, "state");
  const log = join(caseDir, "log.json");
  const globals = ["--root", root, "--log", log, "--log-format", "json"];
  const config = join(dir, "config.toml");
  const id = r() < 0.05 ? pick(r, ["..", "a/b", "x".repeat(300), ""]) : `f${n}`;
  const [cmd, ...args] = uruncCommand([
    ...globals,
    "--config",
    config,
    "create",
    "--bundle",
    b,
    id,
  ]);
  const child = new Deno.Command(cmd, {
    args,
    env: { URUNC_RUNC: fakeRunc },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // A successful create leaves the init child holding its stdio: wait for the exit status only.
  const status = await statusWithin(child, HANG_LIMIT_MS);
  if (status.hung) problems.push("create hung");
  if (![0, 1, RUNC_EXIT].includes(status.code)) problems.push(`exit status ${status.code}`);
  if (status.code !== 0) {
    const out = await new Response(child.stdout).text() + await new Response(child.stderr).text();
    if (out !== "") problems.push(`wrote on the container's stdio: ${out.slice(0, 200)}`);
  } else {
    child.stdout.cancel();
    child.stderr.cancel();
  }
  problems.push(...logProblems(log, status.code === 1));
  if (status.code === 0) {
    // The jail is built at start: masked paths, mounts and privileges meet the damage there.
    const before = errorCount(log);
    const started = await run(cmd, uruncCommand([...globals, "start", id]).slice(1));
    if (![0, 1].includes(started)) problems.push(`start exited ${started}`);
    if (started === 1 && errorCount(log) === before) {
      problems.push("start failed without an error line");
    }
    problems.push(...logProblems(log, false));
    const d = await run(cmd, uruncCommand([...globals, "delete", "--force", id]).slice(1));
    if (d !== 0) problems.push(`delete --force exited ${d}`);
  }
  if (safeReadDir(root).includes(id) && id !== "") problems.push("state dir left behind");
  return { label, code: status.code, problems };
}

Deno.test({
  name:
    `fuzz: ${CASES} generated bundles (seed ${SEED}): clean error or success, no hang, nothing left`,
  ignore: !ready,
  sanitizeResources: false,
  async fn() {
    const dir = Deno.makeTempDirSync({ prefix: "urunc-fuzz-" });
    const fakeRunc = join(dir, "runc");
    Deno.writeTextFileSync(fakeRunc, `#!/bin/sh\nexit ${RUNC_EXIT}\n`, { mode: 0o755 });
    writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR);
    const failures: string[] = [];
    const outcomes: Record<number, number> = {};
    try {
      // One generator per case, seeded from (SEED, n): any case reproduces alone.
      let next = 0;
      const worker = async () => {
        for (let n = next++; n < CASES; n = next++) {
          const o = await runCase(dir, n, rng(SEED * 1000 + n), fakeRunc);
          outcomes[o.code] = (outcomes[o.code] ?? 0) + 1;
          if (o.problems.length > 0) failures.push(`${o.label}: ${o.problems.join("; ")}`);
        }
      };
      await Promise.all(Array.from({ length: PARALLEL }, worker));
      console.log(
        `fuzz: ${outcomes[0] ?? 0} created, started and deleted, ${outcomes[1] ?? 0} refused, ${
          outcomes[RUNC_EXIT] ?? 0
        } handed to runc`,
      );
      const procs = new TextDecoder().decode(
        new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).outputSync().stdout,
      );
      if (procs.includes(join(dir, "state"))) {
        failures.push("a process of a fuzzed container is left");
      }
      const mounts = Deno.readTextFileSync("/proc/self/mountinfo");
      if (mounts.includes(dir)) failures.push("a mount under the fuzz dir is left");
      assert.deepEqual(safeReadDir(join(dir, "state")), [], "no state dir is left");
      assert.deepEqual(failures, []);
    } finally {
      // Cases may have made unreadable files and FIFOs: remove as root, whatever they are.
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
