// Rumprun: the guest command line is a compact JSON document (Go encoding/json
// escaping, fixed key order). The netmask is always "1" (128.0.0.0) so NetBSD
// accepts an off-link gateway, and a block device is always expected at /data.
//
// How values reach the guest: JSON carries any string intact, but rumprun splits
// "cmdline" on whitespace into argv, so arguments with whitespace, empty ones or
// ones with quotes do not survive; that is warned about. Env is not passed.

import { goJsonStringify } from "../go_compat.ts";
import { argsWarning, splitWords } from "./guest_words.ts";
import type { GuestCmdline, GuestContext, UnikernelModule } from "./unikernel.ts";

/** The argv rumprun builds from its JSON configuration. */
export function rumprunGuestArgs(cmdline: string): string[] {
  const doc = JSON.parse(cmdline) as { cmdline: string };
  return splitWords(doc.cmdline);
}

function guestCmdline(ctx: GuestContext): GuestCmdline {
  const doc: Record<string, unknown> = { cmdline: ctx.args.join(" ") };
  const net = ctx.network;
  if (net !== null) {
    doc.net = {
      if: "ukvmif0",
      cloner: "True",
      type: "inet",
      method: "static",
      addr: net.ip,
      mask: "1",
      gw: net.gateway,
    };
  }
  doc.blk = { source: "etfs", path: "/dev/ld0a", fstype: "blk", mountpoint: "/data" };
  const cmdline = goJsonStringify(doc);
  const warnings: string[] = [];
  if (!ctx.argsFromAnnotation && ctx.args.length > 0) {
    const w = argsWarning(
      "rumprun",
      "splits its cmdline on whitespace",
      ctx.args,
      rumprunGuestArgs(cmdline),
    );
    if (w !== null) warnings.push(w);
  }
  return { cmdline, warnings };
}

export const rumprun: UnikernelModule = {
  type: "rumprun",
  monitors: ["hvt", "spt"],
  arches: ["amd64", "arm64"],
  supportsInitrd: false,
  supportsBlock: true,
  devmapperFs: ["ext2"],
  sharedFs: [],
  volumes: false,
  initrdIsEarlyUserspace: false,
  guestCmdline,
  solo5: { net: "tap", block: "rootfs" },
};
