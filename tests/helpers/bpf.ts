// A classic-BPF interpreter for the opcodes urunc's seccomp filters use, run
// over a struct seccomp_data, so tests can ask a compiled filter what it does.
import { decode } from "../../lib/plan/seccomp/bpf.ts";

export interface SeccompData {
  nr: number;
  arch: number;
  /** Up to six syscall arguments (u64). */
  args?: bigint[];
}

function load(d: SeccompData, offset: number): number {
  if (offset === 0) return d.nr >>> 0;
  if (offset === 4) return d.arch >>> 0;
  if (offset >= 16 && offset < 64 && offset % 4 === 0) {
    const a = d.args?.[(offset - 16) >> 3] ?? 0n;
    return Number(offset % 8 === 0 ? a & 0xffffffffn : (a >> 32n) & 0xffffffffn);
  }
  throw new Error(`load from unexpected offset ${offset}`);
}

/** The filter's return value (SECCOMP_RET_*) for one syscall. */
export function runFilter(program: Uint8Array, d: SeccompData): number {
  const insns = decode(program);
  let acc = 0;
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc];
    switch (i.code) {
      case 0x20: // ld w abs
        acc = load(d, i.k);
        break;
      case 0x54: // alu and k
        acc = (acc & i.k) >>> 0;
        break;
      case 0x15: // jeq k
        pc += acc === i.k ? i.jt : i.jf;
        break;
      case 0x25: // jgt k
        pc += acc > i.k ? i.jt : i.jf;
        break;
      case 0x35: // jge k
        pc += acc >= i.k ? i.jt : i.jf;
        break;
      case 0x45: // jset k
        pc += (acc & i.k) !== 0 ? i.jt : i.jf;
        break;
      case 0x06: // ret k
        return i.k >>> 0;
      default:
        throw new Error(`unexpected opcode 0x${i.code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("fell off the end of the program");
}
