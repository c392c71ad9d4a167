// The spec's linux.seccomp compiled to a classic BPF program for the monitor,
// without libseccomp: native architecture only (a syscall through another ABI,
// x32 or ia32, kills the process, so a deny rule cannot be bypassed that way),
// rules grouped per syscall, argument rules tried in spec order before an
// unconditional one, anything unmatched gets defaultAction. Names this
// architecture lacks are skipped, as runc does.

import { z } from "zod";
import { quote, UruncError } from "../../errors.ts";
import type { Arch } from "../types.ts";
import {
  assemble,
  encode,
  type Op,
  SECCOMP_DATA_ARCH,
  SECCOMP_DATA_NR,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RET_KILL_THREAD,
  SECCOMP_RET_LOG,
  SECCOMP_RET_TRACE,
  SECCOMP_RET_TRAP,
  seccompArgHigh,
  seccompArgLow,
} from "./bpf.ts";
import { AUDIT_ARCH, SYSCALLS } from "./syscalls.ts";
import { ERRNO } from "../../../ffi/errno.ts";

/** A filter ready for seccomp(SECCOMP_SET_MODE_FILTER, flags, prog). */
export interface SeccompFilter {
  program: Uint8Array;
  instructions: number;
  /** SECCOMP_FILTER_FLAG_* bits. */
  flags: number;
}

/** BPF_MAXINSNS: the kernel refuses longer programs. */
const MAX_INSTRUCTIONS = 4096;
const { EPERM } = ERRNO;
const X32_SYSCALL_BIT = 0x40000000;

export const SECCOMP_ACTIONS = [
  "SCMP_ACT_KILL",
  "SCMP_ACT_KILL_THREAD",
  "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_TRAP",
  "SCMP_ACT_ERRNO",
  "SCMP_ACT_TRACE",
  "SCMP_ACT_ALLOW",
  "SCMP_ACT_LOG",
  "SCMP_ACT_NOTIFY",
] as const;
type Action = typeof SECCOMP_ACTIONS[number];

export const SECCOMP_OPERATORS = [
  "SCMP_CMP_NE",
  "SCMP_CMP_LT",
  "SCMP_CMP_LE",
  "SCMP_CMP_EQ",
  "SCMP_CMP_GE",
  "SCMP_CMP_GT",
  "SCMP_CMP_MASKED_EQ",
] as const;
type CmpOp = typeof SECCOMP_OPERATORS[number];

// TSYNC would filter Deno's other threads before execve ends them; the monitor
// is single-threaded at exec, so the flag has nothing left to do and is dropped.
export const SECCOMP_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 0,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

const SECCOMP_ARCHES = [
  "SCMP_ARCH_X86",
  "SCMP_ARCH_X86_64",
  "SCMP_ARCH_X32",
  "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",
  "SCMP_ARCH_MIPS",
  "SCMP_ARCH_MIPS64",
  "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",
  "SCMP_ARCH_MIPSEL64",
  "SCMP_ARCH_MIPSEL64N32",
  "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",
  "SCMP_ARCH_PPC64LE",
  "SCMP_ARCH_S390",
  "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",
  "SCMP_ARCH_PARISC64",
  "SCMP_ARCH_RISCV64",
  "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",
  "SCMP_ARCH_SH",
  "SCMP_ARCH_SHEB",
] as const;

const u64 = z.number().nonnegative().refine(Number.isInteger, "expected an integer")
  .refine((n) => n <= 2 ** 64, "expected at most 2^64-1");
const errnoRet = z.number().int().min(0).max(0xffff);

const argSchema = z.looseObject({
  index: z.number().int().min(0).max(5),
  value: u64,
  valueTwo: u64.optional(),
  op: z.enum(SECCOMP_OPERATORS),
});

const ruleSchema = z.looseObject({
  names: z.array(z.string()).nullable().optional(),
  action: z.enum(SECCOMP_ACTIONS),
  errnoRet: errnoRet.nullable().optional(),
  args: z.array(argSchema).nullable().optional(),
});

const profileSchema = z.looseObject({
  defaultAction: z.enum(SECCOMP_ACTIONS),
  defaultErrnoRet: errnoRet.nullable().optional(),
  architectures: z.array(z.enum(SECCOMP_ARCHES)).nullable().optional(),
  flags: z.array(z.string()).nullable().optional(),
  listenerPath: z.string().optional(),
  listenerMetadata: z.string().optional(),
  syscalls: z.array(ruleSchema).nullable().optional(),
});

type Rule = z.infer<typeof ruleSchema>;
type Arg = z.infer<typeof argSchema>;

/** Extra syscalls one monitor needs, allowed whatever the profile says (host config). */
export interface SeccompOverride {
  allow: readonly string[];
  /** Where the list comes from, for errors: `[monitors.qemu] seccomp_allow in FILE`. */
  where: string;
}

function fail(msg: string): never {
  throw new UruncError(`invalid linux.seccomp: ${msg}`);
}

function actionValue(action: Action, errno: number | null | undefined, field: string): number {
  const data = (errno ?? EPERM) & 0xffff;
  switch (action) {
    case "SCMP_ACT_KILL":
    case "SCMP_ACT_KILL_THREAD":
      return SECCOMP_RET_KILL_THREAD;
    case "SCMP_ACT_KILL_PROCESS":
      return SECCOMP_RET_KILL_PROCESS;
    case "SCMP_ACT_TRAP":
      return SECCOMP_RET_TRAP;
    case "SCMP_ACT_ERRNO":
      return (SECCOMP_RET_ERRNO | data) >>> 0;
    case "SCMP_ACT_TRACE":
      return (SECCOMP_RET_TRACE | data) >>> 0;
    case "SCMP_ACT_ALLOW":
      return SECCOMP_RET_ALLOW;
    case "SCMP_ACT_LOG":
      return SECCOMP_RET_LOG;
    case "SCMP_ACT_NOTIFY":
      return fail(
        `${field}: SCMP_ACT_NOTIFY is not supported (urunc has no seccomp agent to hand the listener to)`,
      );
  }
}

function halves(v: number): { hi: number; lo: number } {
  let b = BigInt(v);
  if (b > 0xffffffffffffffffn) b = 0xffffffffffffffffn;
  return { hi: Number(b >> 32n), lo: Number(b & 0xffffffffn) };
}

/** Ops that fall through when `a` holds and jump to `fail` when it does not. */
function argCheck(a: Arg, fail: string, label: () => string): Op[] {
  const v = halves(a.value);
  const hi = seccompArgHigh(a.index), lo = seccompArgLow(a.index);
  const ok = label();
  const op: CmpOp = a.op;
  switch (op) {
    case "SCMP_CMP_EQ":
      return [
        { op: "ld", offset: hi },
        { op: "jeq", k: v.hi, jt: null, jf: fail },
        { op: "ld", offset: lo },
        { op: "jeq", k: v.lo, jt: null, jf: fail },
      ];
    case "SCMP_CMP_NE":
      return [
        { op: "ld", offset: hi },
        { op: "jeq", k: v.hi, jt: null, jf: ok },
        { op: "ld", offset: lo },
        { op: "jeq", k: v.lo, jt: fail, jf: null },
        { op: "label", name: ok },
      ];
    case "SCMP_CMP_MASKED_EQ": {
      // value is the mask, valueTwo what the masked argument must equal.
      const want = halves(a.valueTwo ?? 0);
      return [
        { op: "ld", offset: hi },
        { op: "and", k: v.hi },
        { op: "jeq", k: want.hi, jt: null, jf: fail },
        { op: "ld", offset: lo },
        { op: "and", k: v.lo },
        { op: "jeq", k: want.lo, jt: null, jf: fail },
      ];
    }
    case "SCMP_CMP_GT":
    case "SCMP_CMP_GE": {
      const low = op === "SCMP_CMP_GT" ? "jgt" : "jge";
      return [
        { op: "ld", offset: hi },
        { op: "jgt", k: v.hi, jt: ok, jf: null },
        { op: "jeq", k: v.hi, jt: null, jf: fail },
        { op: "ld", offset: lo },
        { op: low, k: v.lo, jt: ok, jf: fail },
        { op: "label", name: ok },
      ];
    }
    case "SCMP_CMP_LT":
    case "SCMP_CMP_LE": {
      // LT is "not GE", LE is "not GT".
      const low = op === "SCMP_CMP_LT" ? "jge" : "jgt";
      return [
        { op: "ld", offset: hi },
        { op: "jgt", k: v.hi, jt: fail, jf: null },
        { op: "jeq", k: v.hi, jt: null, jf: ok },
        { op: "ld", offset: lo },
        { op: low, k: v.lo, jt: fail, jf: ok },
        { op: "label", name: ok },
      ];
    }
  }
}

interface CompiledRule {
  ret: number;
  args: Arg[];
}

/**
 * Compile linux.seccomp (already parsed JSON) for `arch`. `override` names
 * syscalls that are allowed outright for this monitor.
 */
export function compileSeccomp(
  raw: unknown,
  arch: Arch,
  override: SeccompOverride | null = null,
): SeccompFilter {
  const r = profileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const field = issue.path.length ? issue.path.join(".") : "(top level)";
    fail(`field "${field}": ${issue.message}`);
  }
  const p = r.data;
  if (p.listenerPath) {
    fail(
      `listenerPath ${quote(p.listenerPath)} is not supported (urunc has no seccomp agent support)`,
    );
  }
  let flags = 0;
  for (const f of p.flags ?? []) {
    const bit = SECCOMP_FLAGS[f];
    if (bit === undefined) {
      fail(
        `unsupported flag ${quote(f)}; expected any of ${Object.keys(SECCOMP_FLAGS).join(", ")}`,
      );
    }
    flags |= bit;
  }
  const defaultRet = actionValue(p.defaultAction, p.defaultErrnoRet, "defaultAction");
  const table = SYSCALLS[arch];
  const groups = new Map<number, CompiledRule[]>();
  (p.syscalls ?? []).forEach((rule: Rule, i) => {
    const ret = actionValue(rule.action, rule.errnoRet, `syscalls.${i}.action`);
    // A rule that returns the default changes nothing.
    if (ret === defaultRet) return;
    for (const name of rule.names ?? []) {
      const nr = table[name];
      if (nr === undefined) continue;
      const list = groups.get(nr) ?? [];
      list.push({ ret, args: rule.args ?? [] });
      groups.set(nr, list);
    }
  });
  for (const name of override?.allow ?? []) {
    const nr = table[name];
    if (nr === undefined) {
      throw new UruncError(`invalid ${override!.where}: unknown syscall ${quote(name)} on ${arch}`);
    }
    groups.set(nr, [{ ret: SECCOMP_RET_ALLOW, args: [] }]);
  }

  let labels = 0;
  const label = () => `l${labels++}`;
  // The kills sit next to their checks: classic BPF jumps at most 255 forward.
  const ops: Op[] = [
    { op: "ld", offset: SECCOMP_DATA_ARCH },
    { op: "jeq", k: AUDIT_ARCH[arch], jt: "native", jf: null },
    { op: "ret", k: SECCOMP_RET_KILL_PROCESS },
    { op: "label", name: "native" },
    { op: "ld", offset: SECCOMP_DATA_NR },
  ];
  if (arch === "amd64") {
    ops.push(
      { op: "jge", k: X32_SYSCALL_BIT, jt: null, jf: "nr" },
      { op: "ret", k: SECCOMP_RET_KILL_PROCESS },
      { op: "label", name: "nr" },
    );
  }
  for (const nr of [...groups.keys()].sort((a, b) => a - b)) {
    const rules = groups.get(nr)!;
    const skip = label();
    ops.push({ op: "jeq", k: nr, jt: null, jf: skip });
    // Argument rules first, in spec order; an unconditional rule catches the rest.
    const conditional = rules.filter((x) => x.args.length > 0);
    const plain = rules.find((x) => x.args.length === 0);
    for (const rule of conditional) {
      const next = label();
      for (const a of rule.args) ops.push(...argCheck(a, next, label));
      ops.push({ op: "ret", k: rule.ret }, { op: "label", name: next });
    }
    // The argument checks clobbered the accumulator: return here, never fall through.
    ops.push({ op: "ret", k: plain?.ret ?? defaultRet }, { op: "label", name: skip });
  }
  ops.push({ op: "ret", k: defaultRet });
  let insns;
  try {
    insns = assemble(ops);
  } catch (err) {
    fail(`too complex to compile: ${(err as Error).message}`);
  }
  if (insns.length > MAX_INSTRUCTIONS) {
    fail(
      `compiles to ${insns.length} BPF instructions, more than the kernel's limit of ${MAX_INSTRUCTIONS}`,
    );
  }
  return { program: encode(insns), instructions: insns.length, flags };
}
