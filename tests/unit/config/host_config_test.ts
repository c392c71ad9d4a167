import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "smol-toml";
import {
  defaultHostConfig,
  loadHostConfig,
  parseHostConfig,
} from "../../../lib/config/host_config.ts";
import { errorOf } from "../plan/helpers.ts";

async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.equal((err as Error).name, "UruncError");
    return (err as Error).message;
  }
  throw new Error("expected an UruncError");
}

Deno.test("defaults: 256 MiB, 1 vCPU, auto accel, no paths", () => {
  const d = defaultHostConfig();
  assert.deepEqual(d.defaults, { memoryMiB: 256, vcpus: 1 });
  assert.deepEqual(d.monitors.qemu, { accel: "auto", extraArgs: [], memoryOverheadMiB: 192 });
  assert.deepEqual(
    Object.values(d.monitors).map((m) => m.memoryOverheadMiB),
    [192, 64, 32, 32],
    "qemu, firecracker, hvt, spt",
  );
  assert.equal(d.file, null);
});

Deno.test("a full config file is read and validated", () => {
  const cfg = parseHostConfig(
    parse(`
[defaults]
memory_mib = 512
vcpus = 2
[monitors.qemu]
path = "/usr/bin/qemu-system-x86_64"
accel = "tcg"
extra_args = ["-d", "guest_errors"]
memory_overhead_mib = 300
seccomp_allow = ["mbind", "get_mempolicy"]
[monitors.firecracker]
path = "/opt/fc"
accel = "kvm"
[monitors.hvt]
extra_args = []
[monitors.spt]
accel = "auto"
`),
    "/etc/urunc/config.toml",
  );
  assert.deepEqual(cfg.defaults, { memoryMiB: 512, vcpus: 2 });
  assert.deepEqual(cfg.monitors.qemu, {
    path: "/usr/bin/qemu-system-x86_64",
    accel: "tcg",
    extraArgs: ["-d", "guest_errors"],
    memoryOverheadMiB: 300,
    seccompAllow: ["mbind", "get_mempolicy"],
  });
  assert.deepEqual(cfg.monitors.firecracker, {
    path: "/opt/fc",
    accel: "kvm",
    extraArgs: [],
    memoryOverheadMiB: 64,
  });
  assert.equal(cfg.file, "/etc/urunc/config.toml");
});

Deno.test("[storage]: shared_fs and virtiofsd", () => {
  const F = "/etc/urunc/config.toml";
  assert.deepEqual(parseHostConfig(parse(""), F).storage, { sharedFs: "9p" });
  assert.deepEqual(
    parseHostConfig(
      parse('[storage]\nshared_fs = "virtiofs"\nvirtiofsd = "/usr/libexec/virtiofsd"'),
      F,
    ).storage,
    { sharedFs: "virtiofs", virtiofsd: "/usr/libexec/virtiofsd" },
  );
  const bad: [string, string][] = [
    [
      '[storage]\nshared_fs = "nfs"',
      'invalid /etc/urunc/config.toml: key "storage.shared_fs": expected one of 9p, virtiofs, got "nfs"',
    ],
    [
      '[storage]\nshared_fs = "virtiofs"',
      'invalid /etc/urunc/config.toml: key "storage.virtiofsd": required when shared_fs = "virtiofs"',
    ],
    [
      '[storage]\nvirtiofsd = "virtiofsd"',
      'invalid /etc/urunc/config.toml: key "storage.virtiofsd": expected an absolute path, got "virtiofsd"',
    ],
    [
      "[storage]\nshared = 1",
      'invalid /etc/urunc/config.toml: key "storage.shared": unknown key; expected one of storage.shared_fs, storage.virtiofsd',
    ],
  ];
  for (const [toml, msg] of bad) assert.equal(errorOf(() => parseHostConfig(parse(toml), F)), msg);
});

Deno.test("unknown keys and bad values name the file and key", () => {
  const F = "/etc/urunc/config.toml";
  const cases: [string, string][] = [
    [
      "memory = 1",
      'invalid /etc/urunc/config.toml: key "memory": unknown key; expected one of defaults, monitors, storage',
    ],
    [
      "[defaults]\nmemory_mb = 1",
      'invalid /etc/urunc/config.toml: key "defaults.memory_mb": unknown key; expected one of defaults.memory_mib, defaults.vcpus',
    ],
    [
      "[defaults]\nmemory_mib = 0",
      'invalid /etc/urunc/config.toml: key "defaults.memory_mib": expected an integer from 1 to 16777216, got 0',
    ],
    [
      '[defaults]\nmemory_mib = "256"',
      'invalid /etc/urunc/config.toml: key "defaults.memory_mib": expected an integer from 1 to 16777216, got "256"',
    ],
    [
      "[defaults]\nvcpus = 1.5",
      'invalid /etc/urunc/config.toml: key "defaults.vcpus": expected an integer from 1 to 1024, got 1.5',
    ],
    [
      '[monitors.qemux]\npath = "/x"',
      'invalid /etc/urunc/config.toml: key "monitors.qemux": unknown key; expected one of monitors.qemu, monitors.firecracker, monitors.hvt, monitors.spt',
    ],
    [
      '[monitors.qemu]\naccel = "hvf"',
      'invalid /etc/urunc/config.toml: key "monitors.qemu.accel": expected one of auto, kvm, tcg, got "hvf"',
    ],
    [
      '[monitors.firecracker]\naccel = "tcg"',
      'invalid /etc/urunc/config.toml: key "monitors.firecracker.accel": expected one of auto, kvm, got "tcg"',
    ],
    [
      '[monitors.spt]\naccel = "kvm"',
      'invalid /etc/urunc/config.toml: key "monitors.spt.accel": expected one of auto, got "kvm"',
    ],
    [
      '[monitors.qemu]\npath = "qemu"',
      'invalid /etc/urunc/config.toml: key "monitors.qemu.path": expected an absolute path, got "qemu"',
    ],
    [
      '[monitors.qemu]\nextra_args = "-d x"',
      'invalid /etc/urunc/config.toml: key "monitors.qemu.extra_args": expected an array of strings, got "-d x"',
    ],
    [
      "[monitors.qemu]\nextra_args = [1]",
      'invalid /etc/urunc/config.toml: key "monitors.qemu.extra_args": expected an array of strings, got [1]',
    ],
    [
      '[monitors.qemu]\nbinary = "/x"',
      'invalid /etc/urunc/config.toml: key "monitors.qemu.binary": unknown key; expected one of monitors.qemu.path, monitors.qemu.accel, monitors.qemu.extra_args, monitors.qemu.memory_overhead_mib, monitors.qemu.seccomp_allow',
    ],
    [
      "[monitors.hvt]\nmemory_overhead_mib = -1",
      'invalid /etc/urunc/config.toml: key "monitors.hvt.memory_overhead_mib": expected an integer from 0 to 1048576, got -1',
    ],
    [
      '[monitors.qemu]\nseccomp_allow = ["mbind", "frobnicate"]',
      'invalid /etc/urunc/config.toml: key "monitors.qemu.seccomp_allow": unknown syscall "frobnicate"',
    ],
    [
      '[monitors.qemu]\nseccomp_allow = "mbind"',
      'invalid /etc/urunc/config.toml: key "monitors.qemu.seccomp_allow": expected an array of syscall names, got "mbind"',
    ],
    ["defaults = 3", 'invalid /etc/urunc/config.toml: key "defaults": expected a table, got 3'],
  ];
  for (const [toml, msg] of cases) {
    assert.equal(errorOf(() => parseHostConfig(parse(toml), F)), msg, toml);
  }
});

Deno.test("loadHostConfig: missing default file = defaults, missing explicit file = error", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const missing = join(dir, "nope.toml");
    assert.deepEqual(await loadHostConfig(missing, false), defaultHostConfig());
    assert.match(
      await rejects(loadHostConfig(missing, true)),
      /^cannot read host config .*nope\.toml/,
    );
    const bad = join(dir, "bad.toml");
    Deno.writeTextFileSync(bad, "[defaults\nvcpus = 1");
    assert.match(
      await rejects(loadHostConfig(bad, true)),
      /^invalid .*bad\.toml: not TOML: .*\(line 1\)/,
    );
    const good = join(dir, "good.toml");
    Deno.writeTextFileSync(good, '[monitors.qemu]\naccel = "tcg"\n');
    const cfg = await loadHostConfig(good, true);
    assert.equal(cfg.monitors.qemu.accel, "tcg");
    assert.equal(cfg.file, good);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
