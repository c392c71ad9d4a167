// How argument and env values reach each guest. Property: when the plan has no
// warning about args, the guest's parse of the command line gives back exactly
// process.args; when the guest would see something else, there is exactly one
// warning line naming what it will see.

import assert from "node:assert/strict";
import { buildPlan } from "../../../lib/plan/build.ts";
import { linuxGuestArgs, urunitQuote } from "../../../lib/plan/unikernels/linux.ts";
import { mirageGuestArgs } from "../../../lib/plan/unikernels/mirage.ts";
import { rumprunGuestArgs } from "../../../lib/plan/unikernels/rumprun.ts";
import { unikraftGuestArgs } from "../../../lib/plan/unikernels/unikraft.ts";
import type { MonitorKind, UnikernelType } from "../../../lib/plan/types.ts";
import { input } from "./helpers.ts";

// Deterministic PRNG (mulberry32) so failures reproduce.
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "a",
  "b",
  "x1",
  "--flag",
  "=",
  "/",
  " ",
  "  ",
  "\t",
  "'",
  '"',
  "\\",
  "é",
  "日本",
  "😀",
  "\u00a0",
  "-",
  "--",
];

function randomArg(r: () => number): string {
  const n = Math.floor(r() * 4);
  let s = "";
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(r() * PIECES.length)];
  return s;
}

const GUESTS: {
  type: UnikernelType;
  monitor: MonitorKind;
  parse: (cmdline: string, networked: boolean) => string[];
}[] = [
  { type: "unikraft", monitor: "qemu", parse: (c) => unikraftGuestArgs(c) },
  { type: "linux", monitor: "qemu", parse: (c) => linuxGuestArgs(c) },
  { type: "mirage", monitor: "hvt", parse: (c, net) => mirageGuestArgs(c, net) },
  { type: "rumprun", monitor: "hvt", parse: (c) => rumprunGuestArgs(c) },
];

for (const g of GUESTS) {
  Deno.test(`${g.type}: args reach the guest intact or a warning says what it sees (property)`, () => {
    const r = rng(0x5eed + g.type.length);
    let intact = 0;
    let warned = 0;
    for (let iter = 0; iter < 400; iter++) {
      const args = [
        "/bin/app",
        ...Array.from({ length: 1 + Math.floor(r() * 3) }, () => randomArg(r)),
      ];
      if (g.type === "mirage") args.shift();
      const networked = r() < 0.5;
      const plan = buildPlan(input({
        spec: { args, env: [] },
        config: { unikernelType: g.type, hypervisor: g.monitor },
        facts: networked ? {} : { network: null },
      }));
      const argWarnings = plan.warnings.filter((w) => w.includes("process.args"));
      assert.ok(argWarnings.length <= 1, "at most one line");
      const seen = g.parse(plan.guest.cmdline, networked);
      if (argWarnings.length === 0) {
        assert.deepEqual(seen, args, `no warning, so the guest must see ${JSON.stringify(args)}`);
        intact++;
      } else {
        assert.ok(
          argWarnings[0].includes(JSON.stringify(seen)),
          `warning names what the guest sees: ${argWarnings[0]}`,
        );
        warned++;
      }
    }
    assert.ok(
      intact > 20 && warned > 20,
      `both outcomes exercised (${intact} intact, ${warned} warned)`,
    );
  });
}

Deno.test("values each guest carries intact produce no warning", () => {
  const cases: [UnikernelType, MonitorKind, string[]][] = [
    ["unikraft", "qemu", ["/bin/app", "--name=日本", "😀", "a=b", "x\u00a0y"]],
    ["linux", "qemu", ["/bin/app", "two words", "three little words", "ünï cödé", "--x=1"]],
    ["mirage", "hvt", ["--hello=hola", "--name=日本"]],
    ["rumprun", "hvt", ["/bin/app", "<tag>&amp;", "é"]],
  ];
  for (const [type, monitor, args] of cases) {
    const plan = buildPlan(
      input({ spec: { args, env: ["A=1"] }, config: { unikernelType: type, hypervisor: monitor } }),
    );
    assert.deepEqual(plan.warnings, [], `${type} ${JSON.stringify(args)}`);
  }
});

Deno.test("values a guest cannot carry keep the golden text and warn once", () => {
  const cases: [UnikernelType, string[], string, RegExp][] = [
    [
      "unikraft",
      ["/bin/app", "--flag", "two words"],
      "-- --flag two words",
      /\["\/bin\/app","--flag","two","words"\]/,
    ],
    ["unikraft", ["/bin/app", "", "x"], "--  x", /\["\/bin\/app","x"\]/],
    ["linux", ["/bin/app", ""], "rdinit=/bin/app -- ", /\["\/bin\/app"\]/],
    ["linux", ["/bin/app", "a  b"], "-- 'a  b'", /\["\/bin\/app","a b"\]/],
    ["linux", ["/bin/app", "it's"], "-- it's", /quote characters/],
    ["linux", ["/bin/app", "tab\there"], "-- tab\there", /"tab","here"/],
  ];
  for (const [type, args, fragment, warning] of cases) {
    const plan = buildPlan(input({
      spec: { args, env: [] },
      config: { unikernelType: type, initrd: "/.boot/rootfs" },
    }));
    assert.ok(
      plan.guest.cmdline.includes(fragment),
      `${JSON.stringify(plan.guest.cmdline)} has ${JSON.stringify(fragment)}`,
    );
    assert.equal(plan.warnings.length, 1, JSON.stringify(plan.warnings));
    assert.match(plan.warnings[0], warning);
  }
});

Deno.test("env values with spaces: unikraft and linux warn, golden text kept", () => {
  for (const type of ["unikraft", "linux"] as const) {
    const plan = buildPlan(
      input({ spec: { env: ["GREETING=hello world", "OK=1"] }, config: { unikernelType: type } }),
    );
    assert.ok(plan.guest.cmdline.includes("GREETING=hello world OK=1"), plan.guest.cmdline);
    const envWarnings = plan.warnings.filter((w) => w.includes("env"));
    assert.equal(envWarnings.length, 1, JSON.stringify(plan.warnings));
    assert.match(envWarnings[0], /\["GREETING=hello","world"\]/);
  }
  // linux: an entry without "=" would become an init argument
  const plan = buildPlan(input({ spec: { env: ["NOVALUE"] }, config: { unikernelType: "linux" } }));
  assert.equal(plan.warnings.length, 1);
});

Deno.test("annotation cmdline is split like Go strings.Fields and not re-checked", () => {
  const plan = buildPlan(input({
    spec: { args: [] },
    config: { unikernelType: "linux", cmdline: "/bin/app\u00a0--flag  'two words'", initrd: "/i" },
  }));
  assert.ok(
    plan.guest.cmdline.endsWith("rdinit=/bin/app -- --flag 'two words'"),
    plan.guest.cmdline,
  );
  assert.deepEqual(plan.warnings, []);
});

Deno.test("urunitQuote follows the urunit convention", () => {
  const cases: [string, string][] = [
    ["plain", "plain"],
    ["two words", "'two words'"],
    ["  padded words ", "'padded words'"],
    [" lead", " lead"],
    ["", ""],
    ["tab\tsep", "tab\tsep"],
  ];
  for (const [arg, want] of cases) assert.equal(urunitQuote(arg), want, JSON.stringify(arg));
});

Deno.test("mewz ignores args with a warning; solo5 passes the guest string as one argv entry", () => {
  const plan = buildPlan(input({ config: { unikernelType: "mewz" } }));
  assert.equal(plan.guest.cmdline, "ip=10.4.0.2/24 gateway=10.4.0.1 ");
  assert.match(plan.warnings[0], /mewz ignores process args/);
  const m = buildPlan(
    input({
      spec: { args: ["--a=1", "--b=2"] },
      config: { unikernelType: "mirage", hypervisor: "spt" },
    }),
  );
  assert.equal(m.monitor.argv.at(-1), "--ipv4=10.4.0.2/24 --ipv4-gateway=10.4.0.1 --a=1 --b=2");
});
