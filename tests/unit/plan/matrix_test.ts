// Every cell of types × monitors × storage × network × seccomp × arch yields a
// plan or the specific "unsupported combination" error, and plans are coherent.

import assert from "node:assert/strict";
import { buildPlan } from "../../../lib/plan/build.ts";
import { UNIKERNELS } from "../../../lib/plan/unikernels/registry.ts";
import {
  type Arch,
  type LaunchPlan,
  MONITOR_KINDS,
  UNIKERNEL_TYPES,
  type UnikernelConfig,
} from "../../../lib/plan/types.ts";
import { input, NET } from "./helpers.ts";

const STORAGE = [
  "initrd",
  "block",
  "devmapper",
  "rootfs-dir",
  "rootfs-dir-virtiofs",
  "volumes",
  "none",
] as const;
type Storage = typeof STORAGE[number];
const ARCHES: Arch[] = ["amd64", "arm64"];

function storageConfig(s: Storage): Partial<UnikernelConfig> {
  switch (s) {
    case "initrd":
      return { initrd: "/.boot/rootfs" };
    case "block":
      return { block: "/disk.img" };
    case "devmapper":
    case "rootfs-dir":
    case "rootfs-dir-virtiofs":
      return { mountRootfs: true };
    case "volumes":
    case "none":
      return {};
  }
}

const BLOCK_ROOTFS = {
  mountpoint: "/r",
  device: "/dev/mapper/pool-snap-1",
  fstype: "ext2",
  isBlockDevice: true,
};
const DIR_ROOTFS = { mountpoint: "/r", device: "overlay", fstype: "overlay" };
const VOLUMES = [
  { destination: "/data", type: "bind", source: "/srv/data", options: ["rbind", "ro"] },
  { destination: "/disk", type: "bind", source: "/mnt/disk", options: ["rbind"] },
  { destination: "/proc", type: "proc", source: "proc", options: [] },
];

/** What each (type, monitor) must do with the container rootfs (the oracle of this matrix). */
function expectedRootfs(type: string, monitor: string, s: Storage): string {
  if (s === "devmapper") {
    if (type === "linux" || type === "rumprun") return "block";
    if (type === "unikraft" && monitor === "qemu") return "9p";
    return "error";
  }
  if (s === "rootfs-dir" || s === "rootfs-dir-virtiofs") {
    if (type === "linux" && monitor === "qemu") return s === "rootfs-dir" ? "9p" : "virtiofs";
    if (type === "unikraft" && monitor === "qemu") return "9p";
    return "error";
  }
  return "";
}

function checkCoherent(plan: LaunchPlan, cell: Record<string, unknown>) {
  const { monitor: m, guest } = plan;
  const label = JSON.stringify(cell);
  assert.equal(m.argv[0], m.path, label);
  assert.ok(m.argv.every((a) => typeof a === "string"), label);
  assert.equal(m.env.some((e) => e.startsWith("PATH=")), true, label);
  assert.equal(m.usesKvm, plan.jail.devices.includes("/dev/kvm"), label);
  assert.equal(plan.network !== null, plan.jail.devices.includes("/dev/net/tun"), label);
  assert.equal(m.seccomp !== null, m.kind === "hvt" && cell.seccomp === true, label);
  if (m.kind === "qemu") {
    assert.equal(m.argv.at(-2), "-append", label);
    assert.equal(m.argv.at(-1), guest.cmdline, label);
    assert.equal(m.argv.includes("--sandbox"), cell.seccomp === true, label);
    assert.equal(m.argv.includes("virt"), cell.arch === "arm64", label);
    assert.equal(m.argv.includes("-nic"), plan.network === null, label);
  }
  if (m.kind === "firecracker") {
    const cfg = JSON.parse(m.files[0].content);
    assert.equal(cfg["boot-source"].boot_args, guest.cmdline, label);
    assert.equal(cfg["network-interfaces"].length, plan.network === null ? 0 : 1, label);
    assert.equal(m.argv.includes("--no-seccomp"), cell.seccomp === false, label);
  }
  if (m.kind === "hvt" || m.kind === "spt") {
    assert.equal(m.argv.at(-1), guest.cmdline, label);
    assert.equal(m.argv.at(-2), guest.kernel, label);
    assert.equal(m.usesKvm, m.kind === "hvt", label);
  }
  if (cell.storage === "block" && UNIKERNELS[plan.unikernelType].supportsBlock) {
    assert.equal(plan.storage.block?.path, "/disk.img", label);
  }
  if (cell.storage === "devmapper" && plan.storage.devmapper !== null) {
    assert.ok(plan.jail.devices.includes("/dev/mapper/pool-snap-1"), label);
  }
  const st = plan.storage;
  if (st.rootfs === "9p") {
    assert.ok(m.argv.includes("virtio-9p-pci,fsdev=fs0,mount_tag=fs0"), label);
    assert.ok(plan.jail.shares.some((s) => s.source === null), label);
  }
  if (st.rootfs === "virtiofs") {
    assert.ok(m.argv.includes("vhost-user-fs-pci,queue-size=1024,chardev=chfs0,tag=fs0"), label);
    assert.equal(st.helpers[0].argv[0], "/usr/libexec/virtiofsd", label);
    assert.ok(plan.jail.binds.some((b) => b.path === "/usr/libexec/virtiofsd"), label);
  }
  if (cell.storage === "volumes") {
    const takes = plan.unikernelType === "linux";
    const shares = takes && m.kind === "qemu";
    assert.equal(st.volumes.some((v) => v.kind === "share"), shares, label);
    assert.equal(st.volumes.some((v) => v.kind === "disk"), takes, label);
    assert.equal(plan.jail.devices.includes("/dev/loop7"), takes, label);
    if (!takes) assert.match(plan.warnings.join("\n"), /cannot take volumes/, label);
    if (shares) {
      assert.ok(
        m.argv.includes("local,id=vol0,path=/tmp/urunc/vol0,security_model=none,readonly=on"),
      );
    }
  }
}

Deno.test("full matrix: a plan or the specific unsupported error in every cell", () => {
  let plans = 0;
  let unsupported = 0;
  let storageErrors = 0;
  for (const type of UNIKERNEL_TYPES) {
    for (const hypervisor of MONITOR_KINDS) {
      for (const storage of STORAGE) {
        for (const networked of [true, false]) {
          for (const seccomp of [true, false]) {
            for (const arch of ARCHES) {
              const cell = { type, hypervisor, storage, networked, seccomp, arch };
              const u = UNIKERNELS[type];
              const supported = u.monitors.includes(hypervisor) && u.arches.includes(arch);
              const i = input({
                spec: { seccomp, mounts: storage === "volumes" ? VOLUMES : [] },
                config: { unikernelType: type, hypervisor, ...storageConfig(storage) },
                facts: {
                  arch,
                  network: networked ? { ...NET } : null,
                  rootfsMount: storage.startsWith("rootfs-dir") ? DIR_ROOTFS : BLOCK_ROOTFS,
                  mountSources: {
                    "/srv/data": { kind: "dir" },
                    "/mnt/disk": { kind: "block", device: "/dev/loop7", fstype: "ext4" },
                  },
                },
                host: (h) => {
                  if (storage === "rootfs-dir-virtiofs") {
                    h.storage = { sharedFs: "virtiofs", virtiofsd: "/usr/libexec/virtiofsd" };
                  }
                },
              });
              const want = expectedRootfs(type, hypervisor, storage);
              let plan: LaunchPlan;
              try {
                plan = buildPlan(i);
              } catch (err) {
                assert.equal((err as Error).name, "UruncError", `${JSON.stringify(cell)}: ${err}`);
                if (supported && want === "error") {
                  assert.match(
                    (err as Error).message,
                    new RegExp(
                      `^cannot give the container rootfs \\(com.urunc.unikernel.mountRootfs\\) to a ${type} guest on ${hypervisor}: .*; ${type} on ${hypervisor} `,
                    ),
                  );
                  storageErrors++;
                  continue;
                }
                assert.ok(
                  !supported,
                  `${JSON.stringify(cell)} should plan but threw: ${(err as Error).message}`,
                );
                const what = u.monitors.includes(hypervisor) ? arch : hypervisor;
                const list = u.monitors.includes(hypervisor) ? u.arches : u.monitors;
                assert.equal(
                  (err as Error).message,
                  `unsupported combination: ${type} unikernels cannot run on ${what} (${type} supports: ${
                    list.join(", ")
                  })`,
                );
                unsupported++;
                continue;
              }
              assert.ok(supported, `${JSON.stringify(cell)} should be unsupported`);
              assert.notEqual(want, "error", `${JSON.stringify(cell)} should refuse the rootfs`);
              if (want !== "") assert.equal(plan.storage.rootfs, want, JSON.stringify(cell));
              checkCoherent(plan, cell);
              plans++;
            }
          }
        }
      }
    }
  }
  assert.equal(plans + unsupported + storageErrors, 5 * 4 * STORAGE.length * 2 * 2 * 2);
  assert.ok(plans > 0 && unsupported > 0 && storageErrors > 0);
});

Deno.test("supported combinations are the documented ones", () => {
  const table = Object.fromEntries(UNIKERNEL_TYPES.map((t) => [t, [...UNIKERNELS[t].monitors]]));
  assert.deepEqual(table, {
    unikraft: ["qemu", "firecracker"],
    rumprun: ["hvt", "spt"],
    mirage: ["qemu", "hvt", "spt"],
    mewz: ["qemu"],
    linux: ["qemu", "firecracker"],
  });
  const arches = Object.fromEntries(UNIKERNEL_TYPES.map((t) => [t, [...UNIKERNELS[t].arches]]));
  assert.deepEqual(arches, {
    unikraft: ["amd64", "arm64"],
    rumprun: ["amd64", "arm64"],
    mirage: ["amd64", "arm64"],
    mewz: ["amd64"], // its exit device (isa-debug-exit) is x86-only
    linux: ["amd64", "arm64"],
  });
});
