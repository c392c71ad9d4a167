import assert from "node:assert/strict";
import {
  assemble,
  decode,
  encode,
  type Insn,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_TRAP,
} from "../../../lib/plan/seccomp/bpf.ts";
import {
  HVT_ALLOWED,
  HVT_PRCTL_OPTIONS,
  hvtSeccompProgram,
} from "../../../lib/plan/seccomp/hvt_policy.ts";
import { AUDIT_ARCH, SYSCALLS } from "../../../lib/plan/seccomp/syscalls.ts";
import { runFilter } from "../../helpers/bpf.ts";

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join(" ");

Deno.test("BPF encoding matches the kernel's struct sock_filter bytes", () => {
  // Known encodings (linux/filter.h BPF_STMT/BPF_JUMP, as in the kernel's seccomp samples).
  const cases: [Insn, string][] = [
    // BPF_STMT(BPF_LD|BPF_W|BPF_ABS, offsetof(struct seccomp_data, arch))
    [{ code: 0x20, jt: 0, jf: 0, k: 4 }, "20 00 00 00 04 00 00 00"],
    // BPF_JUMP(BPF_JMP|BPF_JEQ|BPF_K, AUDIT_ARCH_X86_64, 1, 0)
    [{ code: 0x15, jt: 1, jf: 0, k: 0xc000003e }, "15 00 01 00 3e 00 00 c0"],
    // BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_ALLOW)
    [{ code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 }, "06 00 00 00 00 00 ff 7f"],
    // BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_KILL_PROCESS)
    [{ code: 0x06, jt: 0, jf: 0, k: 0x80000000 }, "06 00 00 00 00 00 00 80"],
  ];
  for (const [insn, bytes] of cases) {
    assert.equal(hex(encode([insn])), bytes);
    assert.deepEqual(decode(encode([insn])), [insn]);
  }
});

Deno.test("assembler emits the right opcodes and resolves forward labels", () => {
  const insns = assemble([
    { op: "ld", offset: 4 },
    { op: "jeq", k: 0xc000003e, jt: null, jf: "deny" },
    { op: "ld", offset: 0 },
    { op: "jge", k: 0x40000000, jt: "deny", jf: null },
    { op: "jset", k: 1, jt: "allow", jf: null },
    { op: "label", name: "deny" },
    { op: "ret", k: SECCOMP_RET_TRAP },
    { op: "label", name: "allow" },
    { op: "ret", k: SECCOMP_RET_ALLOW },
  ]);
  assert.deepEqual(insns, [
    { code: 0x20, jt: 0, jf: 0, k: 4 },
    { code: 0x15, jt: 0, jf: 3, k: 0xc000003e },
    { code: 0x20, jt: 0, jf: 0, k: 0 },
    { code: 0x35, jt: 1, jf: 0, k: 0x40000000 },
    { code: 0x45, jt: 1, jf: 0, k: 1 },
    { code: 0x06, jt: 0, jf: 0, k: 0x00030000 },
    { code: 0x06, jt: 0, jf: 0, k: 0x7fff0000 },
  ]);
});

Deno.test("assembler rejects undefined, duplicate and out-of-range labels", () => {
  assert.throws(() => assemble([{ op: "jeq", k: 1, jt: "nowhere", jf: null }]), /not defined/);
  assert.throws(() => assemble([{ op: "label", name: "a" }, { op: "label", name: "a" }]), /twice/);
  const far = [
    { op: "jeq", k: 1, jt: "end", jf: null } as const,
    ...Array.from({ length: 256 }, () => ({ op: "ret", k: 0 } as const)),
    { op: "label", name: "end" } as const,
    { op: "ret", k: 0 } as const,
  ];
  assert.throws(() => assemble(far), /out of range/);
});

function run(program: Uint8Array, arch: number, nr: number): number {
  return runFilter(program, { arch, nr });
}

Deno.test("hvt filter allows exactly the allow-list, per architecture", () => {
  for (const arch of ["amd64", "arm64"] as const) {
    const table = SYSCALLS[arch];
    const p = hvtSeccompProgram(arch);
    const allowedNrs = new Set(HVT_ALLOWED.filter((n) => n in table).map((n) => table[n]));
    // + seccomp, prctl, the option load and one JEQ per prctl option
    assert.equal(p.instructions, allowedNrs.size + 5 + 3 + HVT_PRCTL_OPTIONS.length, arch);
    allowedNrs.add(table.seccomp);
    assert.equal(p.program.byteLength, p.instructions * 8);
    for (let nr = 0; nr < 500; nr++) {
      if (nr === table.prctl) continue;
      const want = allowedNrs.has(nr) ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP;
      assert.equal(run(p.program, AUDIT_ARCH[arch], nr), want, `${arch} nr ${nr}`);
    }
    // A newer tender installing its own filter: only the seccomp-related prctl options pass.
    for (let option = 0; option < 70; option++) {
      const want = (HVT_PRCTL_OPTIONS as readonly number[]).includes(option)
        ? SECCOMP_RET_ALLOW
        : SECCOMP_RET_TRAP;
      const got = runFilter(p.program, {
        arch: AUDIT_ARCH[arch],
        nr: table.prctl,
        args: [BigInt(option)],
      });
      assert.equal(got, want, `${arch} prctl option ${option}`);
    }
    // x32 syscalls (nr | 0x40000000) and a foreign audit arch trap.
    assert.equal(run(p.program, AUDIT_ARCH[arch], 0x40000000 | table.read), SECCOMP_RET_TRAP);
    assert.equal(run(p.program, 0x40000003, /* AUDIT_ARCH_I386 */ table.read), SECCOMP_RET_TRAP);
  }
});

Deno.test("hvt allow-list: 43 names on x86_64, arm64 drops the four it lacks", () => {
  assert.equal(HVT_ALLOWED.length, 43);
  assert.equal(new Set(HVT_ALLOWED).size, 43);
  assert.deepEqual(hvtSeccompProgram("amd64").absent, []);
  assert.deepEqual(hvtSeccompProgram("arm64").absent, ["open", "stat", "access", "arch_prctl"]);
  assert.equal(hvtSeccompProgram("amd64").instructions, 48 + 7);
  assert.equal(hvtSeccompProgram("arm64").instructions, 44 + 7);
  // spot-check numbers against the kernel headers
  assert.equal(SYSCALLS.amd64.execve, 59);
  assert.equal(SYSCALLS.arm64.execve, 221);
  assert.equal(SYSCALLS.amd64.rseq, 334);
  assert.equal(SYSCALLS.arm64.rseq, 293);
});
