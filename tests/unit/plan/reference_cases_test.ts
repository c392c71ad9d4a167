// Upstream reference cases (upstream-urunc.md §13) that have no fixture file,
// with our intended differences applied: MiB memory, solo5 guest string as one
// argv entry, no firecracker NIC without a network.

import assert from "node:assert/strict";
import { buildPlan } from "../../../lib/plan/build.ts";
import { linuxGuestArgs } from "../../../lib/plan/unikernels/linux.ts";
import { unikraftGuestArgs } from "../../../lib/plan/unikernels/unikraft.ts";
import { input, PATHS } from "./helpers.ts";

const QEMU_HEAD = [
  PATHS.qemu,
  "-m",
  "256M",
  "-L",
  "/usr/share/qemu",
  "-cpu",
  "host",
  "-enable-kvm",
  "-nographic",
  "-vga",
  "none",
  "--sandbox",
  "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
];
const LINUX_TAIL = "PATH=/usr/bin:/bin FOO=bar init=/bin/app -- --flag 'two words'";

const cases: {
  name: string;
  i: ReturnType<typeof input>;
  argv?: string[];
  cmdline: string;
  fc?: string;
}[] = [
  {
    name: "G02 unikraft-qemu-initrd-net-compat-0.15.0",
    i: input({ config: { unikernelVersion: "0.15.0", initrd: "/.boot/rootfs" } }),
    cmdline:
      "/bin/app env.vars=[ PATH=/usr/bin:/bin FOO=bar ] netdev.ipv4_addr=10.4.0.2 netdev.ipv4_gw_addr=10.4.0.1 netdev.ipv4_subnet_mask=255.255.255.0 vfs.rootfs=initrd -- --flag two words",
  },
  {
    name: "G05 unikraft-firecracker-initrd-nonet-unconfined",
    i: input({
      spec: { seccomp: false },
      config: { hypervisor: "firecracker", initrd: "/.boot/rootfs" },
      facts: { network: null },
    }),
    argv: [PATHS.firecracker, "--no-api", "--config-file", "/tmp/fc.json", "--no-seccomp"],
    cmdline:
      '/bin/app env.vars=[ PATH=/usr/bin:/bin FOO=bar ] netdev.ip=/24::8.8.8.8   vfs.fstab=[ "initrd0:/:extract:::" ] -- --flag two words',
    fc:
      '{"boot-source":{"kernel_image_path":"/.boot/kernel","boot_args":"/bin/app env.vars=[ PATH=/usr/bin:/bin FOO=bar ] netdev.ip=/24::8.8.8.8   vfs.fstab=[ \\"initrd0:/:extract:::\\" ] -- --flag two words","initrd_path":"/.boot/rootfs"},"machine-config":{"vcpu_count":1,"mem_size_mib":256,"smt":false,"track_dirty_pages":false},"drives":[],"network-interfaces":[]}',
  },
  {
    name: "G09 rumprun-spt-devmapper-net",
    i: input({
      config: {
        unikernelType: "rumprun",
        hypervisor: "spt",
        binary: "/unikernel/redis.spt",
        mountRootfs: true,
      },
      facts: {
        rootfsMount: {
          mountpoint: "/r",
          device: "/dev/mapper/containerd-pool-snap-7",
          fstype: "ext2",
        },
      },
    }),
    argv: [
      PATHS.spt,
      "--mem=256",
      "--net:tap=tap0_urunc",
      "--block:rootfs=/dev/mapper/containerd-pool-snap-7",
      "/unikernel/redis.spt",
      '{"cmdline":"/bin/app --flag two words","net":{"if":"ukvmif0","cloner":"True","type":"inet","method":"static","addr":"10.4.0.2","mask":"1","gw":"10.4.0.1"},"blk":{"source":"etfs","path":"/dev/ld0a","fstype":"blk","mountpoint":"/data"}}',
    ],
    cmdline:
      '{"cmdline":"/bin/app --flag two words","net":{"if":"ukvmif0","cloner":"True","type":"inet","method":"static","addr":"10.4.0.2","mask":"1","gw":"10.4.0.1"},"blk":{"source":"etfs","path":"/dev/ld0a","fstype":"blk","mountpoint":"/data"}}',
  },
  {
    name: "G12 mirage-spt-block-nonet",
    i: input({
      spec: { args: ["--hello=hola"] },
      config: {
        unikernelType: "mirage",
        hypervisor: "spt",
        binary: "/unikernel/block.spt",
        block: "/disk.img",
      },
      facts: { network: null },
    }),
    argv: [
      PATHS.spt,
      "--mem=256",
      "--block:storage=/disk.img",
      "/unikernel/block.spt",
      "  --hello=hola",
    ],
    cmdline: "  --hello=hola",
  },
  {
    name: "G15 mewz-qemu-nonet",
    i: input({
      spec: { memoryLimitBytes: 536870912 },
      config: { unikernelType: "mewz" },
      facts: { network: null },
    }),
    argv: [
      PATHS.qemu,
      "-m",
      "512M",
      ...QEMU_HEAD.slice(3),
      "-kernel",
      "/.boot/kernel",
      "-nic",
      "none",
      "-no-reboot",
      "-device",
      "isa-debug-exit,iobase=0x501,iosize=2",
      "-append",
      "ip=/24 gateway= ",
    ],
    cmdline: "ip=/24 gateway= ",
  },
  {
    name: "G20 linux-qemu-annotation-cmdline-initrd",
    i: input({
      spec: { args: [] },
      config: {
        unikernelType: "linux",
        cmdline: "/bin/app --flag 'two words'",
        initrd: "/.boot/rootfs",
      },
    }),
    cmdline:
      `panic=-1 console=ttyS0 root=/dev/ram0 rw ip=10.4.0.2::10.4.0.1:255.255.255.0:urunc:eth0:off PATH=/usr/bin:/bin FOO=bar rdinit=/bin/app -- --flag 'two words'`,
  },
  {
    name: "G21 linux-qemu-initrd-and-block",
    i: input({ config: { unikernelType: "linux", initrd: "/.boot/rootfs", block: "/disk.ext4" } }),
    argv: [
      ...QEMU_HEAD,
      "-kernel",
      "/.boot/kernel",
      "-net",
      "nic,model=virtio",
      "-net",
      "tap,script=no,downscript=no,ifname=tap0_urunc",
      "-device",
      "virtio-blk-pci,id=blk0,drive=hd0",
      "-drive",
      "format=raw,if=none,id=hd0,file=/disk.ext4",
      "-initrd",
      "/.boot/rootfs",
      "-no-reboot",
      "-serial",
      "stdio",
      "-nodefaults",
      "-append",
      `panic=-1 console=ttyS0 root=/dev/vda rw ip=10.4.0.2::10.4.0.1:255.255.255.0:urunc:eth0:off ${LINUX_TAIL}`,
    ],
    cmdline:
      `panic=-1 console=ttyS0 root=/dev/vda rw ip=10.4.0.2::10.4.0.1:255.255.255.0:urunc:eth0:off ${LINUX_TAIL}`,
  },
  {
    name: "G23 linux-firecracker-initrd-net-arm64",
    i: input({
      config: {
        unikernelType: "linux",
        hypervisor: "firecracker",
        binary: "/kernel",
        initrd: "/rootfs.initrd",
      },
      facts: { arch: "arm64" },
    }),
    argv: [PATHS.firecracker, "--no-api", "--config-file", "/tmp/fc.json"],
    cmdline:
      "panic=-1 console=ttyS0 root=/dev/ram0 rw ip=10.4.0.2::10.4.0.1:255.255.255.0:urunc:eth0:off PATH=/usr/bin:/bin FOO=bar rdinit=/bin/app -- --flag 'two words' console=ttyS0",
    fc:
      `{"boot-source":{"kernel_image_path":"/kernel","boot_args":"panic=-1 console=ttyS0 root=/dev/ram0 rw ip=10.4.0.2::10.4.0.1:255.255.255.0:urunc:eth0:off PATH=/usr/bin:/bin FOO=bar rdinit=/bin/app -- --flag 'two words' console=ttyS0","initrd_path":"/rootfs.initrd"},"machine-config":{"vcpu_count":1,"mem_size_mib":256,"smt":false,"track_dirty_pages":false},"drives":[],"network-interfaces":[{"iface_id":"net1","guest_mac":"aa:bb:cc:dd:ee:01","host_dev_name":"tap0_urunc"}]}`,
  },
];

for (const c of cases) {
  Deno.test(`reference ${c.name}`, () => {
    const plan = buildPlan(c.i);
    assert.equal(plan.guest.cmdline, c.cmdline);
    if (c.argv) assert.deepEqual(plan.monitor.argv, c.argv);
    if (c.fc) assert.equal(plan.monitor.files[0].content, c.fc, "fc.json byte for byte");
  });
}

Deno.test("guest parse models recover the golden arguments", () => {
  assert.deepEqual(
    unikraftGuestArgs(
      '/bin/app env.vars=[ PATH=/usr/bin:/bin FOO=bar ] netdev.ip=10.4.0.2/24:10.4.0.1:8.8.8.8   vfs.fstab=[ "initrd0:/:extract:::" ] -- --flag two words',
    ),
    ["/bin/app", "--flag", "two", "words"],
  );
  assert.deepEqual(
    linuxGuestArgs(
      `panic=-1 console=ttyS0 root=/dev/ram0 rw PATH=/usr/bin:/bin FOO=bar rdinit=/bin/app -- --flag 'two words'`,
    ),
    ["/bin/app", "--flag", "two words"],
  );
});
