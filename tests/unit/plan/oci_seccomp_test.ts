import assert from "node:assert/strict";
import { compileSeccomp } from "../../../lib/plan/seccomp/oci_profile.ts";
import {
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRAP,
} from "../../../lib/plan/seccomp/bpf.ts";
import { AUDIT_ARCH, SYSCALLS } from "../../../lib/plan/seccomp/syscalls.ts";
import { runFilter } from "../../helpers/bpf.ts";
import { UruncError } from "../../../lib/errors.ts";

const fixture = (name: string) =>
  JSON.parse(
    Deno.readTextFileSync(new URL(`../../fixtures/seccomp/${name}`, import.meta.url)),
  );
const X86 = SYSCALLS.amd64;
const EPERM = (SECCOMP_RET_ERRNO | 1) >>> 0;
const ENOSYS = (SECCOMP_RET_ERRNO | 38) >>> 0;
const CLONE_NEWNS = 0x20000n, CLONE_THREAD_FLAGS = 0x3d0f00n;

function verdict(
  filter: { program: Uint8Array },
  name: string,
  args: bigint[] = [],
  arch = AUDIT_ARCH.amd64,
): number {
  return runFilter(filter.program, { arch, nr: X86[name], args });
}

for (const file of ["containerd_default_amd64.json", "docker_default_amd64.json"]) {
  Deno.test(`seccomp: ${file} compiles and decides like the profile says`, () => {
    const f = compileSeccomp(fixture(file), "amd64");
    assert.ok(f.instructions < 4096);
    const cases: [string, bigint[], number][] = [
      ["read", [], SECCOMP_RET_ALLOW],
      ["ioctl", [], SECCOMP_RET_ALLOW],
      ["close_range", [], SECCOMP_RET_ALLOW],
      ["capset", [], SECCOMP_RET_ALLOW],
      ["setresuid", [], SECCOMP_RET_ALLOW],
      ["mount", [], EPERM],
      ["umount2", [], EPERM],
      ["open_by_handle_at", [], EPERM],
      ["unshare", [], EPERM],
      ["bpf", [], EPERM],
      ["clone", [CLONE_THREAD_FLAGS], SECCOMP_RET_ALLOW],
      ["clone", [CLONE_THREAD_FLAGS | CLONE_NEWNS], EPERM],
      ["clone3", [], ENOSYS],
      ["personality", [8n], SECCOMP_RET_ALLOW],
      ["personality", [0xffffffffn], SECCOMP_RET_ALLOW],
      ["personality", [1n], EPERM],
      ["socket", [2n], SECCOMP_RET_ALLOW],
    ];
    for (const [name, args, want] of cases) {
      assert.equal(verdict(f, name, args), want, `${name}(${args.join(",")})`);
    }
    // Another ABI cannot get around the rules: x32 and ia32 syscalls kill.
    assert.equal(
      runFilter(f.program, { arch: AUDIT_ARCH.amd64, nr: 0x40000000 | X86.mount }),
      SECCOMP_RET_KILL_PROCESS,
    );
    assert.equal(
      runFilter(f.program, { arch: 0x40000003, nr: 21 /* i386 mount */ }),
      SECCOMP_RET_KILL_PROCESS,
    );
  });
}

Deno.test("seccomp: Docker's socket rule compares all 64 bits of the argument", () => {
  const f = compileSeccomp(fixture("docker_default_amd64.json"), "amd64");
  assert.equal(verdict(f, "socket", [40n]), EPERM, "AF_VSOCK is denied");
  assert.equal(verdict(f, "socket", [40n | (1n << 32n)]), SECCOMP_RET_ALLOW);
});

Deno.test("seccomp: every comparison operator, across the 32-bit halves", () => {
  const values = [0n, 5n, 6n, 7n, 0xffffffffn, 1n << 32n, (1n << 32n) + 6n, (2n << 32n) + 1n];
  const pivot = (1n << 32n) + 6n;
  const ops: [string, (a: bigint) => boolean][] = [
    ["SCMP_CMP_EQ", (a) => a === pivot],
    ["SCMP_CMP_NE", (a) => a !== pivot],
    ["SCMP_CMP_LT", (a) => a < pivot],
    ["SCMP_CMP_LE", (a) => a <= pivot],
    ["SCMP_CMP_GT", (a) => a > pivot],
    ["SCMP_CMP_GE", (a) => a >= pivot],
  ];
  for (const [op, holds] of ops) {
    const f = compileSeccomp({
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{
        names: ["read"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 2, value: Number(pivot), op }],
      }],
    }, "amd64");
    for (const a of values) {
      const want = holds(a) ? SECCOMP_RET_ALLOW : EPERM;
      assert.equal(verdict(f, "read", [0n, 0n, a]), want, `${op} ${a}`);
    }
  }
  const masked = compileSeccomp({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [{
      names: ["write"],
      action: "SCMP_ACT_KILL_PROCESS",
      args: [{ index: 0, value: 0xf0, valueTwo: 0x30, op: "SCMP_CMP_MASKED_EQ" }],
    }],
  }, "amd64");
  assert.equal(verdict(masked, "write", [0x3fn]), SECCOMP_RET_KILL_PROCESS);
  assert.equal(verdict(masked, "write", [0x4fn]), SECCOMP_RET_ALLOW);
  assert.equal(verdict(masked, "write", [(1n << 40n) | 0x31n]), SECCOMP_RET_KILL_PROCESS);
});

Deno.test("seccomp: several conditions AND, several rules OR, the unconditional rule last", () => {
  const f = compileSeccomp({
    defaultAction: "SCMP_ACT_ALLOW",
    syscalls: [
      { names: ["kill"], action: "SCMP_ACT_ERRNO", errnoRet: 13 },
      {
        names: ["kill"],
        action: "SCMP_ACT_LOG",
        args: [{ index: 0, value: 1, op: "SCMP_CMP_EQ" }, {
          index: 1,
          value: 9,
          op: "SCMP_CMP_EQ",
        }],
      },
      {
        names: ["kill"],
        action: "SCMP_ACT_TRAP",
        args: [{ index: 1, value: 0, op: "SCMP_CMP_EQ" }],
      },
      { names: ["no_such_syscall", "getpid"], action: "SCMP_ACT_ERRNO" },
    ],
  }, "amd64");
  assert.equal(verdict(f, "kill", [1n, 9n]), SECCOMP_RET_LOG);
  assert.equal(verdict(f, "kill", [1n, 0n]), SECCOMP_RET_TRAP);
  assert.equal(verdict(f, "kill", [2n, 9n]), (SECCOMP_RET_ERRNO | 13) >>> 0);
  assert.equal(verdict(f, "getpid"), EPERM, "an unknown name next to a known one is skipped");
  assert.equal(verdict(f, "read"), SECCOMP_RET_ALLOW);
});

Deno.test("seccomp: the host-config override allows a syscall the profile denies", () => {
  const f = compileSeccomp(fixture("containerd_default_amd64.json"), "amd64", {
    allow: ["mbind"],
    where: "[monitors.qemu] seccomp_allow in /etc/urunc/config.toml",
  });
  assert.equal(verdict(f, "mbind"), SECCOMP_RET_ALLOW);
  assert.equal(verdict(f, "mount"), EPERM);
  assert.throws(
    () =>
      compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW" }, "amd64", {
        allow: ["frobnicate"],
        where: "[monitors.qemu] seccomp_allow in /c.toml",
      }),
    /invalid \[monitors\.qemu\] seccomp_allow in \/c\.toml: unknown syscall "frobnicate" on amd64/,
  );
});

Deno.test("seccomp: flags map to SECCOMP_FILTER_FLAG_* bits, TSYNC is dropped", () => {
  const flags = (f: string[]) =>
    compileSeccomp({ defaultAction: "SCMP_ACT_ALLOW", flags: f }, "amd64").flags;
  assert.equal(flags([]), 0);
  assert.equal(flags(["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]), 6);
  assert.equal(flags(["SECCOMP_FILTER_FLAG_TSYNC"]), 0);
});

Deno.test("seccomp: arm64 resolves its own numbers", () => {
  const f = compileSeccomp(
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: [{ names: ["openat"], action: "SCMP_ACT_ALLOW" }],
    },
    "arm64",
  );
  const A = SYSCALLS.arm64;
  assert.equal(runFilter(f.program, { arch: AUDIT_ARCH.arm64, nr: A.openat }), SECCOMP_RET_ALLOW);
  assert.equal(runFilter(f.program, { arch: AUDIT_ARCH.arm64, nr: A.read }), EPERM);
  assert.equal(
    runFilter(f.program, { arch: AUDIT_ARCH.amd64, nr: A.openat }),
    SECCOMP_RET_KILL_PROCESS,
  );
});

const bad: [string, unknown, RegExp][] = [
  ["not an object", "x", /invalid linux\.seccomp: field "\(top level\)"/],
  ["unknown default action", { defaultAction: "SCMP_ACT_MAYBE" }, /field "defaultAction"/],
  [
    "notify",
    { defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["read"], action: "SCMP_ACT_NOTIFY" }] },
    /syscalls\.0\.action: SCMP_ACT_NOTIFY is not supported/,
  ],
  [
    "listener",
    { defaultAction: "SCMP_ACT_ALLOW", listenerPath: "/run/agent.sock" },
    /listenerPath "\/run\/agent\.sock" is not supported/,
  ],
  ["unknown flag", { defaultAction: "SCMP_ACT_ALLOW", flags: ["NOPE"] }, /unsupported flag "NOPE"/],
  [
    "unknown arch",
    { defaultAction: "SCMP_ACT_ALLOW", architectures: ["SCMP_ARCH_Z80"] },
    /architectures\.0/,
  ],
  [
    "arg index 6",
    {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{
        names: ["read"],
        action: "SCMP_ACT_ERRNO",
        args: [{ index: 6, value: 0, op: "SCMP_CMP_EQ" }],
      }],
    },
    /syscalls\.0\.args\.0\.index/,
  ],
  [
    "negative value",
    {
      defaultAction: "SCMP_ACT_ALLOW",
      syscalls: [{
        names: ["read"],
        action: "SCMP_ACT_ERRNO",
        args: [{ index: 0, value: -1, op: "SCMP_CMP_EQ" }],
      }],
    },
    /args\.0\.value/,
  ],
  [
    "too many rules for one syscall",
    {
      defaultAction: "SCMP_ACT_ERRNO",
      syscalls: Array.from({ length: 100 }, (_, i) => ({
        names: ["personality"],
        action: "SCMP_ACT_ALLOW",
        args: [{ index: 0, value: i, op: "SCMP_CMP_EQ" }],
      })),
    },
    /too complex to compile/,
  ],
];
for (const [name, profile, want] of bad) {
  Deno.test(`seccomp: refused with a clear error: ${name}`, () => {
    assert.throws(() => compileSeccomp(profile, "amd64"), (e: Error) => {
      assert.ok(e instanceof UruncError, String(e));
      assert.match(e.message, want);
      return true;
    });
  });
}
