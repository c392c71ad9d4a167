// Block hand-over on a recording Syscalls and fake host facts: the device is verified
// against mountinfo, every step is ledgered before it happens, and undo is idempotent.
import assert from "node:assert/strict";
import {
  type DeviceFacts,
  handOverBlockMount,
  remountArgs,
  undoHandOver,
  verifyBlockMount,
} from "../../../lib/host/block_handover.ts";
import { parseMountinfo } from "../../../lib/host/mountinfo.ts";
import type { Resource } from "../../../lib/ledger.ts";
import { failing, RecordingSyscalls } from "../../fakes/recording_syscalls.ts";

const LOOP3 = (7 << 8) | 3; // rdev of 7:3
const MOUNTINFO = [
  "22 1 254:0 / / rw,relatime - ext4 /dev/vda rw",
  "90 22 7:3 / /run/c/rootfs rw,nosuid,nodev,noatime - ext4 /dev/loop3 rw,errors=remount-ro",
].join("\n");

function facts(mountinfo: string, nodes: Record<string, number> = { "/dev/loop3": LOOP3 }) {
  let text = mountinfo;
  const f: DeviceFacts & { set(t: string): void } = {
    statDevice: (p) => p in nodes ? { isBlock: true, rdev: nodes[p] } : null,
    mountinfo: () => text,
    set: (t) => text = t,
  };
  return f;
}

Deno.test("mountinfo: fields, escapes and the options to mount it again", () => {
  const e = parseMountinfo(MOUNTINFO + "\n36 22 7:4 / /a\\040b ro - ext2 /dev/loop4 ro")
    .at(-1)!;
  assert.deepEqual(e, {
    mountpoint: "/a b",
    devno: "7:4",
    mountOptions: ["ro"],
    fstype: "ext2",
    source: "/dev/loop4",
    superOptions: ["ro"],
  });
  assert.deepEqual(remountArgs(parseMountinfo(MOUNTINFO)[1]), {
    flags: 0x2 | 0x4 | 0x400,
    data: "errors=remount-ro",
  });
});

Deno.test("verify: only the exact device of that mount, mounted nowhere else", () => {
  const ok = facts(MOUNTINFO);
  assert.equal(
    verifyBlockMount(parseMountinfo(MOUNTINFO), "/run/c/rootfs", "/dev/loop3", ok).devno,
    "7:3",
  );
  const cases: [string, string, string, DeviceFacts, RegExp][] = [
    [MOUNTINFO, "/run/c/other", "/dev/loop3", ok, /\/run\/c\/other is not a mount point/],
    [MOUNTINFO, "/run/c/rootfs", "/dev/sda", ok, /mounted from \/dev\/loop3, not \/dev\/sda/],
    [MOUNTINFO, "/run/c/rootfs", "/dev/loop3", facts(MOUNTINFO, {}), /not a block device/],
    [
      MOUNTINFO,
      "/run/c/rootfs",
      "/dev/loop3",
      facts(MOUNTINFO, { "/dev/loop3": (8 << 8) | 1 }),
      /\/dev\/loop3 is 8:1, but the filesystem at \/run\/c\/rootfs is on 7:3/,
    ],
    [
      MOUNTINFO + "\n91 22 7:3 / /mnt/x rw - ext4 /dev/loop3 rw",
      "/run/c/rootfs",
      "/dev/loop3",
      ok,
      /\/dev\/loop3 is also mounted at \/mnt\/x; urunc hands a guest only/,
    ],
  ];
  for (const [mi, mp, dev, f, re] of cases) {
    assert.throws(() => verifyBlockMount(parseMountinfo(mi), mp, dev, f), re);
  }
});

/** What handing over /dev/loop3 mounted on /run/c/rootfs ledgers, in order. */
const LOOP3_LEDGER: Extract<Resource, { kind: "unmount" | "loop-autoclear" }>[] = [
  { kind: "loop-autoclear", device: "/dev/loop3" },
  {
    kind: "unmount",
    target: "/run/c/rootfs",
    device: "/dev/loop3",
    devno: "7:3",
    fstype: "ext4",
    flags: 0x2 | 0x4 | 0x400,
    data: "errors=remount-ro",
  },
];

Deno.test("hand-over: autoclear cleared and unmount done, each ledgered first; undo restores", () => {
  const sys = new RecordingSyscalls({ loopAutoclear: () => true });
  const order: string[] = [];
  const ledger: Resource[] = [];
  const f = facts(MOUNTINFO);
  handOverBlockMount(sys, {
    mountpoint: "/run/c/rootfs",
    device: "/dev/loop3",
    record: (r) => {
      ledger.push(r);
      // how many syscalls had happened when this step was ledgered
      order.push(`${r.kind} after ${sys.calls.length}`);
    },
  }, f);
  // autoclear is read (1 call), ledgered, cleared; the unmount is ledgered before umount
  assert.deepEqual(order, ["loop-autoclear after 1", "unmount after 2"]);
  assert.deepEqual(sys.calls.map((c) => [c.call, ...c.args]), [
    ["loopAutoclear", "/dev/loop3"],
    ["loopAutoclear", "/dev/loop3", false],
    ["umount", "/run/c/rootfs", 0],
  ]);
  assert.deepEqual(ledger, LOOP3_LEDGER);

  // delete: gone from mountinfo -> mounted again; autoclear set again
  f.set(MOUNTINFO.split("\n")[0]);
  const undo = new RecordingSyscalls();
  for (const r of [...ledger].reverse()) {
    assert.equal(undoHandOver(undo, r as Extract<Resource, { kind: "unmount" }>, f), null);
  }
  assert.deepEqual(undo.calls.map((c) => [c.call, ...c.args]), [
    ["mount", "/dev/loop3", "/run/c/rootfs", "ext4", 0x2 | 0x4 | 0x400, "errors=remount-ro"],
    ["loopAutoclear", "/dev/loop3", true],
  ]);
  // already back (a second delete): nothing to do
  f.set(MOUNTINFO);
  const again = new RecordingSyscalls();
  assert.equal(undoHandOver(again, ledger[1] as Extract<Resource, { kind: "unmount" }>, f), null);
  assert.deepEqual(again.calls, []);
});

Deno.test("hand-over: a block device that is not a loop device has no autoclear to touch", () => {
  const mi =
    "22 1 254:0 / / rw - ext4 /dev/vda rw\n90 22 253:7 / /r rw - ext4 /dev/mapper/snap-7 rw";
  const sys = new RecordingSyscalls();
  const ledger: Resource[] = [];
  handOverBlockMount(sys, {
    mountpoint: "/r",
    device: "/dev/mapper/snap-7",
    record: (r) => ledger.push(r),
  }, facts(mi, { "/dev/mapper/snap-7": (253 << 8) | 7 }));
  assert.deepEqual(sys.calls.map((c) => c.call), ["umount"]);
  assert.deepEqual(ledger.map((r) => r.kind), ["unmount"]);
});

Deno.test("undo: a device that cannot be mounted back keeps autoclear cleared, for a retry", () => {
  const ledger = LOOP3_LEDGER;
  const f = facts(MOUNTINFO.split("\n")[0]); // not mounted
  const failed = new Set<string>();
  const sys = new RecordingSyscalls({ failOn: failing("mount", 16) }); // EBUSY
  const problems = [...ledger].reverse().map((r) => undoHandOver(sys, r, f, failed));
  assert.match(problems[0] ?? "", /cannot restore the mount of \/dev\/loop3 on \/run\/c\/rootfs/);
  assert.equal(problems[1], null);
  assert.deepEqual(sys.calls.map((c) => c.call), ["mount", "mount"], "no autoclear set");
  // The retry mounts it back, then restores autoclear.
  const retry = new RecordingSyscalls({ loopAutoclear: () => true });
  const later = new Set<string>();
  for (const r of [...ledger].reverse()) assert.equal(undoHandOver(retry, r, f, later), null);
  assert.deepEqual(retry.calls.map((c) => c.call), ["mount", "loopAutoclear"]);
});
