import assert from "node:assert/strict";
import { dropPrivileges, readCapLastCap } from "../../../lib/host/privileges.ts";
import { CAPABILITIES, privilegePlan } from "../../../lib/plan/privileges.ts";
import { fromPrivilegeRecord, toPrivilegeRecord } from "../../../lib/plan/privilege_record.ts";
import type { OciSpec } from "../../../lib/oci/spec.ts";
import { failing, RecordingSyscalls } from "../../fakes/recording_syscalls.ts";
import { errorOf } from "../plan/helpers.ts";

const DEFAULT_CAPS = ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"];
// bits 0, 5 and 10
const MASK = (1n << 0n) | (1n << 5n) | (1n << 10n);

function spec(process: Record<string, unknown> = {}, linux: Record<string, unknown> = {}): OciSpec {
  return {
    ociVersion: "1.0.2",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, cwd: "/", ...process },
    linux,
  } as OciSpec;
}
const input = { arch: "amd64" as const, capLast: 40, seccompOverride: null };
const hvtFilter = { program: new Uint8Array(8), instructions: 1 };

Deno.test("privileges: capability names become masks; none in the spec means none", () => {
  const p = privilegePlan(
    spec({
      capabilities: {
        bounding: DEFAULT_CAPS,
        effective: DEFAULT_CAPS,
        permitted: DEFAULT_CAPS,
        inheritable: ["CAP_KILL"],
        ambient: ["CAP_KILL"],
      },
    }),
    input,
  );
  assert.deepEqual(p.capabilities, {
    bounding: MASK,
    effective: MASK,
    permitted: MASK,
    inheritable: 1n << 5n,
    ambient: [5],
    last: 40,
  });
  const none = privilegePlan(spec(), input).capabilities;
  assert.deepEqual([none.bounding, none.effective, none.permitted, none.ambient], [0n, 0n, 0n, []]);
  assert.equal(CAPABILITIES.length, 41);
  // A capability newer than the kernel is ignored, as runc does.
  const old = privilegePlan(spec({ capabilities: { bounding: ["CAP_BPF"] } }), {
    ...input,
    capLast: 37,
  });
  assert.equal(old.capabilities.bounding, 0n);
});

Deno.test("privileges: bad capabilities, rlimits and seccomp are refused with the field named", () => {
  const cases: [OciSpec, RegExp][] = [
    [
      spec({ capabilities: { bounding: ["CAP_FLY"] } }),
      /invalid process\.capabilities\.bounding: unknown capability "CAP_FLY"/,
    ],
    [
      spec({ capabilities: { effective: ["CAP_KILL"] } }),
      /effective CAP_KILL not in permitted/,
    ],
    [
      spec({ capabilities: { permitted: ["CAP_KILL"], ambient: ["CAP_KILL"] } }),
      /ambient CAP_KILL must also be in permitted and inheritable/,
    ],
    [
      spec({ rlimits: [{ type: "RLIMIT_FLY", soft: 1, hard: 1 }] }),
      /invalid process\.rlimits\.0\.type: unknown resource "RLIMIT_FLY"/,
    ],
    [
      spec({ rlimits: [{ type: "RLIMIT_NOFILE", soft: 2, hard: 1 }] }),
      /RLIMIT_NOFILE soft limit 2 is above the hard limit 1/,
    ],
    [
      spec({
        rlimits: [{ type: "RLIMIT_CORE", soft: 0, hard: 0 }, {
          type: "RLIMIT_CORE",
          soft: 0,
          hard: 0,
        }],
      }),
      /RLIMIT_CORE is listed twice/,
    ],
    [spec({}, { seccomp: { defaultAction: "NOPE" } }), /invalid linux\.seccomp/],
  ];
  for (const [s, want] of cases) assert.match(errorOf(() => privilegePlan(s, input)), want);
});

Deno.test("drop privileges, root: rlimits, early seccomp, bounding, user, sets, ambient, in runc's order", () => {
  const sys = new RecordingSyscalls();
  const p = privilegePlan(
    spec({
      capabilities: { bounding: DEFAULT_CAPS, effective: DEFAULT_CAPS, permitted: DEFAULT_CAPS },
      rlimits: [{ type: "RLIMIT_NOFILE", soft: 1024, hard: 4096 }],
    }, { seccomp: { defaultAction: "SCMP_ACT_ALLOW" } }),
    { ...input, capLast: 12 },
  );
  const late = dropPrivileges(sys, p, { uid: 0, gid: 0, additionalGids: [] }, hvtFilter);
  assert.deepEqual(sys.names(), [
    "setRlimit",
    "installSeccomp", // no_new_privs is off: installed while CAP_SYS_ADMIN is still there
    ...Array(10).fill("dropBoundingCap"), // 0..12 minus 0, 5, 10
    "setCredentials",
    "setCapabilities",
    "setAmbientCaps",
  ]);
  assert.deepEqual(sys.calls[0].args, [7, 1024n, 4096n, "RLIMIT_NOFILE"]);
  assert.deepEqual(
    sys.calls.filter((c) => c.call === "dropBoundingCap").map((c) => c.args[0]),
    [1, 2, 3, 4, 6, 7, 8, 9, 11, 12],
  );
  assert.deepEqual(late, [hvtFilter], "only urunc's own filter waits for execve");
});

Deno.test("drop privileges, non-root with no_new_privs: caps kept across setresuid, seccomp last", () => {
  const sys = new RecordingSyscalls();
  const p = privilegePlan(
    spec({
      capabilities: {
        bounding: DEFAULT_CAPS,
        permitted: ["CAP_NET_BIND_SERVICE"],
        inheritable: ["CAP_NET_BIND_SERVICE"],
        ambient: ["CAP_NET_BIND_SERVICE"],
      },
      noNewPrivileges: true,
    }, { seccomp: { defaultAction: "SCMP_ACT_ALLOW" } }),
    { ...input, capLast: 10 },
  );
  const late = dropPrivileges(sys, p, { uid: 1000, gid: 1000, additionalGids: [5] }, null);
  const names = sys.names().filter((n) => n !== "dropBoundingCap");
  assert.deepEqual(names, [
    "setKeepCaps",
    "setCredentials",
    "setKeepCaps",
    "setCapabilities",
    "setAmbientCaps",
    "setNoNewPrivs",
  ]);
  assert.deepEqual(sys.calls.find((c) => c.call === "setCapabilities")!.args[0], {
    effective: 0n,
    permitted: 1n << 10n,
    inheritable: 1n << 10n,
  });
  assert.deepEqual(sys.calls.find((c) => c.call === "setAmbientCaps")!.args[0], [10]);
  assert.equal(late.length, 1, "the spec's filter goes in right before execve");
  assert.equal(late[0], p.seccomp);
});

Deno.test("cap_last_cap is read and checked", () => {
  assert.equal(readCapLastCap(() => "40\n"), 40);
  assert.match(errorOf(() => readCapLastCap(() => "x")), /unexpected content/);
  assert.match(
    errorOf(() =>
      readCapLastCap(() => {
        throw new Error("gone");
      })
    ),
    /cannot read \/proc\/sys\/kernel\/cap_last_cap: gone/,
  );
});

Deno.test("privileges survive the trip through state.json", () => {
  const p = privilegePlan(
    spec({
      capabilities: {
        bounding: DEFAULT_CAPS,
        permitted: ["CAP_KILL"],
        inheritable: ["CAP_KILL"],
        ambient: ["CAP_KILL"],
      },
      rlimits: [{ type: "RLIMIT_NOFILE", soft: 2 ** 64, hard: 2 ** 64 }],
      oomScoreAdj: -5,
      noNewPrivileges: true,
    }, {
      seccomp: {
        defaultAction: "SCMP_ACT_ERRNO",
        syscalls: [{ names: ["read"], action: "SCMP_ACT_ALLOW" }],
      },
    }),
    input,
  );
  const back = fromPrivilegeRecord(JSON.parse(JSON.stringify(toPrivilegeRecord(p))));
  assert.deepEqual(back, p);
  assert.equal(back.rlimits[0].soft, 0xffffffffffffffffn, "RLIM_INFINITY stays exact");
});

Deno.test("drop privileges: capabilities urunc does not hold are named as the reason", () => {
  const sys = new RecordingSyscalls({ failOn: failing("setCapabilities", 1) });
  const p = privilegePlan(spec({ capabilities: { permitted: ["CAP_SYS_ADMIN"] } }), input);
  assert.throws(
    () => dropPrivileges(sys, p, { uid: 0, gid: 0, additionalGids: [] }, null),
    /cannot give the monitor the capabilities process\.capabilities asks for: urunc itself does not hold all of them/,
  );
});
