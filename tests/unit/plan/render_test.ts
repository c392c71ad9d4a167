import assert from "node:assert/strict";
import { buildPlan } from "../../../lib/plan/build.ts";
import { planToJson, planToText, shellQuote } from "../../../lib/plan/render.ts";
import { decode } from "../../../lib/plan/seccomp/bpf.ts";
import { input } from "./helpers.ts";

Deno.test("shellQuote leaves safe words and single-quotes the rest", () => {
  const cases: [string, string][] = [
    ["-m", "-m"],
    ["/usr/bin/qemu", "/usr/bin/qemu"],
    ["tap,script=no", "tap,script=no"],
    ["", "''"],
    ["two words", "'two words'"],
    ["it's", `'it'\\''s'`],
    ['{"a":1}', `'{"a":1}'`],
  ];
  for (const [arg, want] of cases) assert.equal(shellQuote(arg), want);
});

Deno.test("plan JSON carries argv as an array and the seccomp program as base64", () => {
  const plan = buildPlan(
    input({ spec: { args: ["--x"] }, config: { unikernelType: "mirage", hypervisor: "hvt" } }),
  );
  const json = JSON.parse(JSON.stringify(planToJson(plan)));
  assert.deepEqual(json.monitor.argv, plan.monitor.argv);
  const bytes = Uint8Array.from(atob(json.monitor.seccomp.programBase64), (c) => c.charCodeAt(0));
  assert.deepEqual(decode(bytes), decode(plan.monitor.seccomp!.program));
  assert.equal(json.monitor.seccomp.instructions, 55);
  const text = planToText(plan);
  assert.ok(text.includes("urunc BPF filter, 55 instructions"));
  assert.ok(text.includes("--net:service=tap0_urunc"));
});
