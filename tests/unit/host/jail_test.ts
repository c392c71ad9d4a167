import assert from "node:assert/strict";
import {
  applyJail,
  type HostPaths,
  isolateMounts,
  propagationFlags,
  splitDev,
} from "../../../lib/host/jail.ts";
import { mountsBelow } from "../../../lib/host/jail_restrict.ts";
import type { Resource } from "../../../lib/ledger.ts";
import { MS } from "../../../ffi/constants.ts";
import { failing, RecordingSyscalls } from "../../fakes/recording_syscalls.ts";

/** A host with a few directories, files and devices, and a rootfs holding only /kernel. */
function fakeHost(): HostPaths & { made: string[]; written: Record<string, string> } {
  const dirs = new Set(["/usr/lib", "/usr/share/qemu", "/r"]);
  const files = new Set(["/usr/bin/qemu-system-x86_64", "/r/kernel"]);
  const devs: Record<string, { rdev: number; char: boolean }> = {
    "/dev/null": { rdev: (1 << 8) | 3, char: true },
    "/dev/kvm": { rdev: (10 << 8) | 232, char: true },
    "/dev/net/tun": { rdev: (10 << 8) | 200, char: true },
  };
  const made: string[] = [];
  const written: Record<string, string> = {};
  return {
    made,
    written,
    stat(p) {
      if (dirs.has(p)) {
        return { isDirectory: true, isFile: false, rdev: 0, mode: 0o40755, isChar: false };
      }
      if (files.has(p)) {
        return { isDirectory: false, isFile: true, rdev: 0, mode: 0o100755, isChar: false };
      }
      const d = devs[p];
      return d
        ? { isDirectory: false, isFile: false, rdev: d.rdev, mode: 0o20666, isChar: d.char }
        : null;
    },
    exists: (p) => dirs.has(p) || files.has(p) || made.includes(p),
    mkdir(p) {
      made.push(p);
    },
    createFile(p) {
      made.push(p);
    },
    writeFile(p, content) {
      written[p] = content;
    },
    // The image brought one mount of its own below the rootfs, and one under /tmp.
    mountinfo: () =>
      [
        "22 1 8:1 / / rw - ext4 /dev/sda1 rw",
        "90 22 0:50 / /r rw - overlay overlay rw",
        "91 90 0:51 / /r/data rw,nosuid - tmpfs tmpfs rw",
        "92 90 0:52 / /r/tmp/x rw - tmpfs tmpfs rw",
        "93 22 0:53 / /rx rw - tmpfs tmpfs rw",
      ].join("\n"),
  };
}

Deno.test("jail: mounts, devices and pivot_root in order, every created mount point recorded first", () => {
  const sys = new RecordingSyscalls();
  const host = fakeHost();
  const recorded: Resource[] = [];
  applyJail(
    sys,
    {
      binds: [
        { path: "/usr/bin/qemu-system-x86_64", optional: false },
        { path: "/usr/lib", optional: false },
        { path: "/lib64", optional: true },
        { path: "/usr/share/qemu", optional: false },
      ],
      devices: ["/dev/null", "/dev/kvm", "/dev/net/tun"],
      shares: [],
      proc: false,
      tmpExtraMiB: 0,
    },
    {
      rootfs: "/r",
      uid: 1000,
      gid: 1000,
      files: [{ path: "/tmp/fc.json", content: "{}", mode: 0o644 }],
      record: (r) => recorded.push(r),
    },
    host,
  );
  const calls = sys.calls.map((c) => `${c.call} ${JSON.stringify(c.args)}`);
  assert.deepEqual(calls, [
    `mount ["/r","/r",null,${MS.BIND | MS.REC},null]`,
    `mount ["tmpfs","/r/dev","tmpfs",${
      MS.NOSUID | MS.NOEXEC | MS.STRICTATIME
    },"mode=755,size=65536k"]`,
    `mknod ["/r/dev/null",${0o020000 | 0o666},1,3]`,
    `mknod ["/r/dev/kvm",${0o020000 | 0o660},10,232]`,
    `chown ["/r/dev/kvm",1000,1000]`,
    `mknod ["/r/dev/net/tun",${0o020000 | 0o660},10,200]`,
    `chown ["/r/dev/net/tun",1000,1000]`,
    `mount ["tmpfs","/r/tmp","tmpfs",${
      MS.NOSUID | MS.NODEV | MS.STRICTATIME
    },"mode=1777,size=65536k"]`,
    // binds after the tmpfs mounts, so none of them can be hidden by /dev or /tmp
    `mount ["/usr/bin/qemu-system-x86_64","/r/usr/bin/qemu-system-x86_64",null,${
      MS.BIND | MS.REC
    },null]`,
    `mount [null,"/r/usr/bin/qemu-system-x86_64",null,${
      MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV
    },null]`,
    `mount ["/usr/lib","/r/usr/lib",null,${MS.BIND | MS.REC},null]`,
    `mount [null,"/r/usr/lib",null,${
      MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV
    },null]`,
    `mount ["/usr/share/qemu","/r/usr/share/qemu",null,${MS.BIND | MS.REC},null]`,
    `mount [null,"/r/usr/share/qemu",null,${
      MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV
    },null]`,
    `chown ["/r/tmp/fc.json",1000,1000]`,
    // everything from the image: nosuid,nodev, keeping the flags it had (here: none)
    `mountFlags ["/r"]`,
    `mount [null,"/r",null,${MS.BIND | MS.REMOUNT | MS.NOSUID | MS.NODEV},null]`,
    `mountFlags ["/r/data"]`,
    `mount [null,"/r/data",null,${MS.BIND | MS.REMOUNT | MS.NOSUID | MS.NODEV},null]`,
    `chdir ["/r"]`,
    `pivotRoot [".","."]`,
    `umount [".",2]`,
    `chdir ["/"]`,
  ]);

  assert.deepEqual(recorded, [
    { kind: "path", path: "/r/dev", type: "dir" },
    { kind: "path", path: "/r/tmp", type: "dir" },
    { kind: "path", path: "/r/usr", type: "dir" },
    { kind: "path", path: "/r/usr/bin", type: "dir" },
    { kind: "path", path: "/r/usr/bin/qemu-system-x86_64", type: "file" },
    { kind: "path", path: "/r/usr/lib", type: "dir" },
    { kind: "path", path: "/r/usr/share", type: "dir" },
    { kind: "path", path: "/r/usr/share/qemu", type: "dir" },
  ]);

  assert.deepEqual(host.written, { "/r/tmp/fc.json": "{}" });
  assert.ok(host.made.includes("/r/dev/net"), "/dev/net is made on the tmpfs");
});

Deno.test("jail: a monitor under /tmp is bound after the tmpfs, and its mount points are not ledgered", () => {
  const sys = new RecordingSyscalls();
  const host = fakeHost();
  const base = host.stat;
  host.stat = (p) =>
    p === "/tmp/ci/.build/fake-monitor"
      ? { isDirectory: false, isFile: true, rdev: 0, mode: 0o100755, isChar: false }
      : base(p);
  const recorded: Resource[] = [];
  applyJail(
    sys,
    {
      binds: [{ path: "/tmp/ci/.build/fake-monitor", optional: false }],
      devices: [],
      shares: [],
      proc: false,
      tmpExtraMiB: 0,
    },
    {
      rootfs: "/r",
      uid: 0,
      gid: 0,
      files: [],
      record: (r) => recorded.push(r),
    },
    host,
  );
  const mounts = sys.calls.filter((c) => c.call === "mount").map((c) => c.args[1]);
  assert.deepEqual(mounts, [
    "/r",
    "/r/dev",
    "/r/tmp",
    "/r/tmp/ci/.build/fake-monitor",
    "/r/tmp/ci/.build/fake-monitor",
    "/r",
    "/r/data",
  ]);
  assert.deepEqual(recorded.map((r) => r.kind === "path" && r.path), ["/r/dev", "/r/tmp"]);
});

Deno.test("jail: a required host path that is missing is an error naming it", () => {
  assert.throws(
    () =>
      applyJail(new RecordingSyscalls(), {
        binds: [{ path: "/opt/missing", optional: false }],
        devices: [],
        shares: [],
        proc: false,
        tmpExtraMiB: 0,
      }, {
        rootfs: "/r",
        uid: 0,
        gid: 0,
        files: [],
        record: () => {},
      }, fakeHost()),
    /needs \/opt\/missing from the host/,
  );
});

Deno.test("jail: a monitor file outside /tmp is refused", () => {
  assert.throws(
    () =>
      applyJail(new RecordingSyscalls(), {
        binds: [],
        devices: [],
        shares: [],
        proc: false,
        tmpExtraMiB: 0,
      }, {
        rootfs: "/r",
        uid: 0,
        gid: 0,
        files: [{ path: "/etc/x", content: "", mode: 0o644 }],
        record: () => {},
      }, fakeHost()),
    /must live under \/tmp/,
  );
});

Deno.test("jail: a failing mount stops before pivot_root", () => {
  const sys = new RecordingSyscalls({
    failOn: failing("mount", 1, (args) => args[1] === "/r/usr/lib"),
  });
  assert.throws(
    () =>
      applyJail(sys, {
        binds: [{ path: "/usr/lib", optional: false }],
        devices: [],
        shares: [],
        proc: false,
        tmpExtraMiB: 0,
      }, {
        rootfs: "/r",
        uid: 0,
        gid: 0,
        files: [],
        record: () => {},
      }, fakeHost()),
    /mount\(\/usr\/lib\) failed: EPERM/,
  );
  assert.ok(!sys.calls.some((c) => c.call === "pivotRoot"));
});

Deno.test("isolateMounts: one recursive propagation change on /", () => {
  const sys = new RecordingSyscalls();
  isolateMounts(sys, undefined);
  assert.deepEqual(sys.calls, [{
    call: "mount",
    args: [null, "/", null, MS.SLAVE | MS.REC, null],
  }]);
});

const props: [string | undefined, number][] = [
  [undefined, MS.SLAVE | MS.REC],
  ["", MS.SLAVE | MS.REC],
  ["rprivate", MS.PRIVATE | MS.REC],
  ["shared", MS.SHARED],
  ["runbindable", MS.UNBINDABLE | MS.REC],
];
for (const [v, want] of props) {
  Deno.test(`rootfsPropagation ${JSON.stringify(v)}`, () =>
    assert.equal(propagationFlags(v), want));
}
Deno.test("rootfsPropagation: an unknown value is an error", () => {
  assert.throws(() => propagationFlags("sideways"), /invalid linux.rootfsPropagation "sideways"/);
});

const devs: [number, number, number][] = [[(1 << 8) | 3, 1, 3], [(10 << 8) | 232, 10, 232], [
  (259 << 8) | (0xab) | (0x12300 << 12),
  259,
  0x123ab,
]];
for (const [rdev, major, minor] of devs) {
  Deno.test(`splitDev(${rdev}) = ${major}:${minor}`, () =>
    assert.deepEqual(splitDev(rdev), { major, minor }));
}

Deno.test("jail: maskedPaths, readonlyPaths and root.readonly, existing paths only, flags kept", () => {
  const sys = new RecordingSyscalls({
    mountFlags: (p) => p === "/r" ? MS.NOEXEC | MS.RELATIME : 0,
  });
  const host = fakeHost();
  const base = host.stat;
  host.stat = (p) =>
    p === "/r/proc/kcore"
      ? { isDirectory: false, isFile: true, rdev: 0, mode: 0o100400, isChar: false }
      : p === "/r/usr/share/qemu"
      ? { isDirectory: true, isFile: false, rdev: 0, mode: 0o40755, isChar: false }
      : base(p);
  applyJail(sys, { binds: [], devices: [], shares: [], proc: false, tmpExtraMiB: 0 }, {
    rootfs: "/r",
    uid: 0,
    gid: 0,
    files: [],
    record: () => {},
    maskedPaths: ["/proc/kcore", "/usr/share/qemu", "/proc/acpi"],
    readonlyPaths: ["/kernel", "/proc/sys"],
    readonlyRoot: true,
  }, host);
  const calls = sys.calls.map((c) => `${c.call} ${JSON.stringify(c.args)}`);
  const from = calls.indexOf(`mount ["/r/dev/null","/r/proc/kcore",null,${MS.BIND},null]`);
  assert.ok(from > 0, calls.join("\n"));
  assert.deepEqual(calls.slice(from, -4), [
    `mount ["/r/dev/null","/r/proc/kcore",null,${MS.BIND},null]`,
    `mount ["tmpfs","/r/usr/share/qemu","tmpfs",${
      MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC
    },null]`,
    `mount ["/r/kernel","/r/kernel",null,${MS.BIND | MS.REC},null]`,
    `mountFlags ["/r/kernel"]`,
    `mount [null,"/r/kernel",null,${MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV},null]`,
    `mountFlags ["/r"]`,
    `mount [null,"/r",null,${
      MS.BIND | MS.REMOUNT | MS.NOEXEC | MS.RELATIME | MS.NOSUID | MS.NODEV | MS.RDONLY
    },null]`,
    `mountFlags ["/r/data"]`,
    `mount [null,"/r/data",null,${MS.BIND | MS.REMOUNT | MS.NOSUID | MS.NODEV | MS.RDONLY},null]`,
  ]);
});

Deno.test("mountsBelow: strictly below the root, escapes decoded, parents first, no duplicates", () => {
  const info = [
    "1 0 0:1 / /r rw - overlay o rw",
    "2 1 0:2 / /r/a\\040b/c rw - tmpfs t rw",
    "3 1 0:3 / /r/a\\040b rw - tmpfs t rw",
    "4 1 0:3 / /r/a\\040b rw - tmpfs t rw",
    "5 0 0:4 / /rr rw - tmpfs t rw",
    "",
  ].join("\n");
  assert.deepEqual(mountsBelow(info, "/r"), ["/r/a b", "/r/a b/c"]);
  assert.deepEqual(mountsBelow(info, "/r/"), ["/r/a b", "/r/a b/c"]);
});
