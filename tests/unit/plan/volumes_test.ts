// spec.mounts → guest volumes: each kind of mount, the read-only flag, and the types and
// monitors that cannot take volumes (one warning naming them).
import assert from "node:assert/strict";
import { buildPlan } from "../../../lib/plan/build.ts";
import type { MountSource, PlanMount } from "../../../lib/plan/types.ts";
import { errorOf, input } from "./helpers.ts";

const bind = (destination: string, source: string, ro = false): PlanMount => ({
  destination,
  type: "bind",
  source,
  options: ["rbind", ro ? "ro" : "rw"],
});

const SOURCES: Record<string, MountSource> = {
  "/srv/dir": { kind: "dir" },
  "/srv/file": { kind: "file" },
  "/mnt/ext4": { kind: "block", device: "/dev/loop7", fstype: "ext4" },
  "/mnt/xfs": { kind: "block", device: "/dev/sdb1", fstype: "xfs" },
  "/srv/fifo": { kind: "other" },
  "/run/resolv.conf": { kind: "file" },
};

function plan(
  mounts: PlanMount[],
  o: { type?: "linux" | "unikraft"; monitor?: "qemu" | "firecracker" } = {},
) {
  return buildPlan(input({
    spec: { args: ["/urunit", "/app"], mounts },
    config: { unikernelType: o.type ?? "linux", hypervisor: o.monitor ?? "qemu" },
    facts: { mountSources: SOURCES },
  }));
}

Deno.test("volumes: directories shared, block filesystems as disks, container-only mounts skipped", () => {
  const p = plan([
    { destination: "/proc", type: "proc", source: "proc", options: [] },
    { destination: "/dev/shm", type: "tmpfs", source: "shm", options: [] },
    { destination: "/dev/pts", type: "devpts", source: "devpts", options: [] },
    { destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: [] },
    { destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup", options: [] },
    bind("/etc/resolv.conf", "/run/resolv.conf", true),
    bind("/data", "/srv/dir", true),
    bind("/disk", "/mnt/ext4"),
  ]);
  assert.deepEqual(p.storage.volumes, [
    {
      kind: "share",
      id: "vol6",
      fs: "9p",
      source: "/srv/dir",
      destination: "/data",
      readonly: true,
      jailPath: "/tmp/urunc/vol6",
    },
    {
      kind: "disk",
      id: "vol7",
      source: "/mnt/ext4",
      device: "/dev/loop7",
      fstype: "ext4",
      destination: "/disk",
      readonly: false,
    },
  ]);
  assert.deepEqual(p.warnings, []);
  assert.deepEqual(p.jail.shares, [{
    source: "/srv/dir",
    target: "/tmp/urunc/vol6",
    readonly: true,
  }]);
  assert.ok(p.jail.devices.includes("/dev/loop7"));
  assert.equal(p.jail.proc, true, "qemu's 9p server needs /proc/self/fd");
});

Deno.test("volumes: what cannot be passed is one warning naming it", () => {
  const p = plan([
    bind("/f", "/srv/file"),
    bind("/x", "/mnt/xfs"),
    bind("/o", "/srv/fifo"),
    { destination: "/n", type: "nfs", source: "srv:/export", options: [] },
  ]);
  assert.deepEqual(p.storage.volumes, []);
  assert.deepEqual(p.warnings, [
    "volume /f: /srv/file is a single file, which cannot be shared with the guest; it is not passed",
    "volume /x: /mnt/xfs is a xfs filesystem on /dev/sdb1; the guest mounts only ext2/ext3/ext4 disks, so it is not passed",
    "volume /o: /srv/fifo is neither a directory nor a block-device filesystem; it is not passed",
    'volume /n (type "nfs") is not passed to the guest: only bind mounts are',
  ]);
  const fc = plan([bind("/data", "/srv/dir"), bind("/disk", "/mnt/ext4")], {
    monitor: "firecracker",
  });
  assert.deepEqual(fc.storage.volumes.map((v) => v.kind), ["disk"]);
  assert.match(
    fc.warnings.join("\n"),
    /linux on firecracker cannot take volumes .*: \/data not passed/,
  );
  const uk = plan([bind("/data", "/srv/dir")], { type: "unikraft" });
  assert.deepEqual(uk.storage.volumes, []);
  assert.match(uk.warnings.join("\n"), /unikraft on qemu cannot take volumes/);
  assert.equal(
    errorOf(() =>
      buildPlan(input({
        spec: { args: ["/urunit"], mounts: [bind("/gone", "/srv/missing")] },
        config: { unikernelType: "linux" },
        facts: { mountSources: { "/srv/missing": { kind: "missing" } } },
      }))
    ),
    "invalid spec.mounts entry /gone: source /srv/missing does not exist",
  );
});

Deno.test("volumes: an init that is not urunit is told nothing, which is a warning", () => {
  const p = buildPlan(input({
    spec: { args: ["/bin/app"], mounts: [bind("/data", "/srv/dir")] },
    config: { unikernelType: "linux" },
    facts: { mountSources: SOURCES },
  }));
  assert.match(p.warnings.join("\n"), /volumes reach a linux guest only through urunit's config/);
});
