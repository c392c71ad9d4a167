// MirageOS: `ADDR GW ARGS` with ADDR/GW empty (but separated) without a network.
//
// How values reach the guest: arguments are joined with single spaces and the
// guest's boot-argument parser splits on whitespace (and interprets quotes), so
// such arguments are warned about. Env is not passed to MirageOS.

import { argsWarning, splitWords } from "./guest_words.ts";
import type { GuestCmdline, GuestContext, UnikernelModule } from "./unikernel.ts";

/** The arguments a MirageOS guest sees after our network options. */
export function mirageGuestArgs(cmdline: string, networked: boolean): string[] {
  const words = splitWords(cmdline);
  return networked ? words.slice(2) : words;
}

function guestCmdline(ctx: GuestContext): GuestCmdline {
  const net = ctx.network;
  const addr = net ? `--ipv4=${net.ip}/${net.prefix}` : "";
  const gw = net ? `--ipv4-gateway=${net.gateway}` : "";
  const cmdline = `${addr} ${gw} ${ctx.args.join(" ")}`;
  const warnings: string[] = [];
  if (!ctx.argsFromAnnotation && ctx.args.length > 0) {
    const seen = mirageGuestArgs(cmdline, net !== null);
    const w = argsWarning("mirage", "splits arguments on whitespace", ctx.args, seen);
    if (w !== null) warnings.push(w);
  }
  return { cmdline, warnings };
}

export const mirage: UnikernelModule = {
  type: "mirage",
  monitors: ["qemu", "hvt", "spt"],
  arches: ["amd64", "arm64"],
  supportsInitrd: false,
  supportsBlock: true,
  devmapperFs: [],
  sharedFs: [],
  volumes: false,
  initrdIsEarlyUserspace: false,
  guestCmdline,
  solo5: { net: "service", block: "storage" },
};
