// The eBPF device program, run by a small interpreter of the few opcodes it
// uses, must decide every request exactly as the v1-semantics reference model.
import assert from "node:assert/strict";
import type { DeviceRule } from "../../../lib/oci/resources.ts";
import { deviceAllowed, deviceProgram } from "../../../lib/plan/cgroups/device_program.ts";

function run(prog: Uint8Array, ctx: [number, number, number]): number {
  const v = new DataView(prog.buffer, prog.byteOffset, prog.byteLength);
  const r = new Array<bigint>(11).fill(0n);
  const mask = (1n << 64n) - 1n;
  for (let pc = 0, steps = 0; steps < 10_000; pc++, steps++) {
    const code = v.getUint8(pc * 8), regs = v.getUint8(pc * 8 + 1);
    const dst = regs & 0xf, src = regs >> 4;
    const off = v.getInt16(pc * 8 + 2, true), imm = BigInt(v.getInt32(pc * 8 + 4, true));
    switch (code) {
      case 0x61: // ldx w: r1 is the context
        assert.equal(src, 1);
        r[dst] = BigInt(ctx[off / 4]);
        break;
      case 0xbf:
        r[dst] = r[src];
        break;
      case 0xb7:
        r[dst] = imm & mask;
        break;
      case 0x77:
        r[dst] = r[dst] >> imm;
        break;
      case 0x57:
        r[dst] = r[dst] & (imm & mask);
        break;
      case 0x55:
        if (r[dst] !== (imm & mask)) pc += off;
        break;
      case 0x15:
        if (r[dst] === (imm & mask)) pc += off;
        break;
      case 0x95:
        return Number(r[0]);
      default:
        throw new Error(`opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
  throw new Error("no exit");
}

const TYPES = { b: 1, c: 2 } as const;
const ACCESS = ["r", "w", "m", "rw", "rwm", "rm"];

function check(rules: DeviceRule[]) {
  const prog = deviceProgram(rules);
  for (const type of ["b", "c"] as const) {
    for (const [major, minor] of [[1, 3], [1, 5], [10, 200], [136, 4], [8, 0]]) {
      for (const access of ACCESS) {
        const bits = (access.includes("m") ? 1 : 0) | (access.includes("r") ? 2 : 0) |
          (access.includes("w") ? 4 : 0);
        const got = run(prog, [(bits << 16) | TYPES[type], major, minor]) === 1;
        const want = deviceAllowed(rules, { type, major, minor, access });
        assert.equal(
          got,
          want,
          `${type} ${major}:${minor} ${access} under ${JSON.stringify(rules)}`,
        );
      }
    }
  }
}

Deno.test("the device program matches the reference model on every request", () => {
  const cases: DeviceRule[][] = [
    [],
    [{ allow: false, access: "rwm" }],
    [
      { allow: false, access: "rwm" },
      { allow: true, type: "c", major: 1, minor: 3, access: "rwm" },
      { allow: true, type: "c", major: 136, access: "rw" },
      { allow: true, type: "c", major: 10, minor: 200, access: "rwm" },
    ],
    [{ allow: false, type: "c", major: 1, minor: 5, access: "w" }],
    [{ allow: false }, { allow: true, type: "b" }, { allow: false, type: "b", major: 8 }],
    [{ allow: false }, { allow: true, access: "r" }],
  ];
  for (const rules of cases) check(rules);
});

Deno.test("the reference model: last match wins, deny-all then allow-list", () => {
  const rules: DeviceRule[] = [
    { allow: false, access: "rwm" },
    { allow: true, type: "c", major: 1, minor: 3, access: "rw" },
  ];
  assert.equal(deviceAllowed(rules, { type: "c", major: 1, minor: 3, access: "rw" }), true);
  assert.equal(deviceAllowed(rules, { type: "c", major: 1, minor: 3, access: "m" }), false);
  assert.equal(deviceAllowed(rules, { type: "c", major: 1, minor: 5, access: "r" }), false);
  assert.equal(deviceAllowed([], { type: "b", major: 8, minor: 0, access: "rwm" }), true);
});

Deno.test("a rule matching every request ends the program (the verifier refuses dead code)", () => {
  // 6 loads, then deny-all's two instructions, and no default after it
  assert.equal(deviceProgram([{ allow: false }]).length / 8, 8);
  assert.equal(deviceProgram([{ allow: false }, { allow: true, type: "c" }]).length / 8, 11);
});
