// A small classic-BPF assembler for seccomp filters: symbolic forward jumps are
// resolved to the 8-bit relative offsets the kernel wants, and the result is
// encoded as struct sock_filter { u16 code; u8 jt; u8 jf; u32 k } (little endian).

// Opcode parts from linux/bpf_common.h.
export const BPF_LD = 0x00;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_W = 0x00;
export const BPF_ABS = 0x20;
export const BPF_K = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_AND = 0x50;

// Return values from linux/seccomp.h.
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_KILL_THREAD = 0x00000000;
export const SECCOMP_RET_TRAP = 0x00030000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_LOG = 0x7ffc0000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;

// Offsets in struct seccomp_data.
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
/** args[i] is a u64 at 16 + 8i; both supported architectures are little endian. */
export const seccompArgLow = (i: number) => 16 + 8 * i;
export const seccompArgHigh = (i: number) => 20 + 8 * i;

export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A jump target: a label defined later, or null for "the next instruction". */
export type Target = string | null;

export type Op =
  | { op: "ld"; offset: number }
  | { op: "jeq" | "jgt" | "jge" | "jset"; k: number; jt: Target; jf: Target }
  | { op: "and"; k: number }
  | { op: "ret"; k: number }
  | { op: "label"; name: string };

const JUMP_CODES = { jeq: BPF_JEQ, jgt: BPF_JGT, jge: BPF_JGE, jset: BPF_JSET } as const;

/** Resolve labels; classic BPF only jumps forward, by at most 255 instructions. */
export function assemble(ops: readonly Op[]): Insn[] {
  const labels = new Map<string, number>();
  let pc = 0;
  for (const o of ops) {
    if (o.op !== "label") pc++;
    else if (labels.has(o.name)) throw new Error(`BPF label ${o.name} defined twice`);
    else labels.set(o.name, pc);
  }
  const out: Insn[] = [];
  const offset = (from: number, t: Target): number => {
    if (t === null) return 0;
    const to = labels.get(t);
    if (to === undefined) throw new Error(`BPF label ${t} is not defined`);
    const d = to - from - 1;
    if (d < 0 || d > 255) throw new Error(`BPF jump to ${t} out of range (${d})`);
    return d;
  };
  for (const o of ops) {
    const here = out.length;
    switch (o.op) {
      case "label":
        break;
      case "ld":
        out.push({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k: o.offset });
        break;
      case "and":
        out.push({ code: BPF_ALU | BPF_AND | BPF_K, jt: 0, jf: 0, k: o.k >>> 0 });
        break;
      case "ret":
        out.push({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k: o.k >>> 0 });
        break;
      default:
        out.push({
          code: BPF_JMP | JUMP_CODES[o.op] | BPF_K,
          jt: offset(here, o.jt),
          jf: offset(here, o.jf),
          k: o.k >>> 0,
        });
    }
  }
  return out;
}

/** The bytes of a struct sock_filter array. */
export function encode(insns: readonly Insn[]): Uint8Array {
  const buf = new Uint8Array(insns.length * 8);
  const view = new DataView(buf.buffer);
  insns.forEach((i, n) => {
    view.setUint16(n * 8, i.code, true);
    view.setUint8(n * 8 + 2, i.jt);
    view.setUint8(n * 8 + 3, i.jf);
    view.setUint32(n * 8 + 4, i.k, true);
  });
  return buf;
}

/** Inverse of encode, for tests and `urunc plan` output. */
export function decode(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o + 8 <= bytes.byteLength; o += 8) {
    out.push({
      code: view.getUint16(o, true),
      jt: view.getUint8(o + 2),
      jf: view.getUint8(o + 3),
      k: view.getUint32(o + 4, true),
    });
  }
  return out;
}
