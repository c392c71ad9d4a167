// The cgroup v2 device controller is an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE)
// attached to the cgroup; this builds it from the OCI device rules (pure).
// Semantics follow cgroup v1's devices.allow/deny: the last rule that matches a
// request decides, a request matches an allow rule only if all its access bits
// are allowed and a deny rule if any bit is denied, and with no match the
// request is allowed (a v1 cgroup starts by allowing everything; specs begin
// with a deny-all rule).

import type { DeviceRule } from "../../oci/resources.ts";

// struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; };
// access_type = (access << 16) | type
const DEV_BLOCK = 1, DEV_CHAR = 2;
const ACC_MKNOD = 1, ACC_READ = 2, ACC_WRITE = 4;

// opcodes (linux/bpf.h): class | op | source
const LDX_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
const MOV64_REG = 0xbf; // BPF_ALU64 | BPF_MOV | BPF_X
const MOV64_IMM = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
const RSH64_IMM = 0x77; // BPF_ALU64 | BPF_RSH | BPF_K
const AND64_IMM = 0x57; // BPF_ALU64 | BPF_AND | BPF_K
const JNE_IMM = 0x55; // BPF_JMP | BPF_JNE | BPF_K
const JEQ_IMM = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const EXIT = 0x95; // BPF_JMP | BPF_EXIT

interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

const insn = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({
  code,
  dst,
  src,
  off,
  imm,
});

export function accessBits(access: string | undefined): number {
  const a = access || "rwm";
  return (a.includes("m") ? ACC_MKNOD : 0) | (a.includes("r") ? ACC_READ : 0) |
    (a.includes("w") ? ACC_WRITE : 0);
}

/** One rule as a block that jumps past itself when the request does not match. */
function ruleBlock(d: DeviceRule): Insn[] {
  const block: Insn[] = [];
  // Each jump is fixed up below to land on the next block.
  const skip = (code: number, reg: number, imm: number) => block.push(insn(code, reg, 0, -1, imm));
  if (d.type === "b" || d.type === "c") skip(JNE_IMM, 2, d.type === "b" ? DEV_BLOCK : DEV_CHAR);
  const bits = accessBits(d.access);
  if (d.allow && bits !== 7) {
    block.push(insn(MOV64_REG, 1, 3, 0, 0));
    block.push(insn(AND64_IMM, 1, 0, 0, ~bits & 7));
    skip(JNE_IMM, 1, 0); // asks for something not allowed here
  } else if (!d.allow && bits !== 7) {
    block.push(insn(MOV64_REG, 1, 3, 0, 0));
    block.push(insn(AND64_IMM, 1, 0, 0, bits));
    skip(JEQ_IMM, 1, 0); // asks for nothing denied here
  }
  if (d.major !== undefined && d.major !== null && d.major >= 0) skip(JNE_IMM, 4, d.major);
  if (d.minor !== undefined && d.minor !== null && d.minor >= 0) skip(JNE_IMM, 5, d.minor);
  block.push(insn(MOV64_IMM, 0, 0, 0, d.allow ? 1 : 0));
  block.push(insn(EXIT, 0, 0, 0, 0));
  return block.map((x, i) => x.off === -1 ? { ...x, off: block.length - i - 1 } : x);
}

/** The program's instructions (8 bytes each, little-endian struct bpf_insn). */
export function deviceProgram(rules: readonly DeviceRule[]): Uint8Array {
  const prog: Insn[] = [
    insn(LDX_W, 2, 1, 0, 0), // r2 = access_type
    insn(MOV64_REG, 3, 2, 0, 0),
    insn(RSH64_IMM, 3, 0, 0, 16), // r3 = access
    insn(AND64_IMM, 2, 0, 0, 0xffff), // r2 = type
    insn(LDX_W, 4, 1, 4, 0), // r4 = major
    insn(LDX_W, 5, 1, 8, 0), // r5 = minor
  ];
  let decided = false;
  for (const d of [...rules].reverse()) {
    const block = ruleBlock(d);
    prog.push(...block);
    // A rule matching every request ends the program: the verifier refuses unreachable code.
    decided = block.length === 2;
    if (decided) break;
  }
  if (!decided) prog.push(insn(MOV64_IMM, 0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0));
  const out = new Uint8Array(prog.length * 8);
  const v = new DataView(out.buffer);
  prog.forEach((x, i) => {
    v.setUint8(i * 8, x.code);
    v.setUint8(i * 8 + 1, (x.src << 4) | x.dst);
    v.setInt16(i * 8 + 2, x.off, true);
    v.setInt32(i * 8 + 4, x.imm, true);
  });
  return out;
}

/** What the program decides for one request: a reference model for tests. */
export function deviceAllowed(
  rules: readonly DeviceRule[],
  req: { type: "b" | "c"; major: number; minor: number; access: string },
): boolean {
  const want = accessBits(req.access);
  for (const d of [...rules].reverse()) {
    if ((d.type === "b" || d.type === "c") && d.type !== req.type) continue;
    const bits = accessBits(d.access);
    if (d.allow ? (want & ~bits) !== 0 : (want & bits) === 0) continue;
    if (d.major !== undefined && d.major !== null && d.major >= 0 && d.major !== req.major) {
      continue;
    }
    if (d.minor !== undefined && d.minor !== null && d.minor >= 0 && d.minor !== req.minor) {
      continue;
    }
    return d.allow;
  }
  return true;
}
