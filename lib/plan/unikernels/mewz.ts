// Mewz: `ip=<IP>/<prefix> gateway=<GW> ` (trailing space included). Apps are
// linked into the kernel, so process args and env never reach the guest; args
// given anyway produce a warning. The exit device is an x86 ISA port: amd64 only.

import type { GuestCmdline, GuestContext, UnikernelModule } from "./unikernel.ts";

function guestCmdline(ctx: GuestContext): GuestCmdline {
  const net = ctx.network;
  const cmdline = `ip=${net?.ip ?? ""}/${net?.prefix ?? 24} gateway=${net?.gateway ?? ""} `;
  const warnings = ctx.args.length > 0
    ? [
      `mewz ignores process args (the app is linked into the kernel): ${
        JSON.stringify(ctx.args)
      } are not passed`,
    ]
    : [];
  return { cmdline, warnings };
}

export const mewz: UnikernelModule = {
  type: "mewz",
  monitors: ["qemu"],
  arches: ["amd64"],
  supportsInitrd: false,
  supportsBlock: false,
  devmapperFs: [],
  sharedFs: [],
  volumes: false,
  initrdIsEarlyUserspace: false,
  guestCmdline,
  qemu: {
    net: (tap) => [
      "-device",
      "virtio-net-pci,netdev=net0,disable-legacy=on,disable-modern=off",
      "-netdev",
      `tap,script=no,downscript=no,id=net0,ifname=${tap}`,
    ],
    tail: ["-no-reboot", "-device", "isa-debug-exit,iobase=0x501,iosize=2"],
  },
};
