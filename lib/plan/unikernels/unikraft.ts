// Unikraft: `APP ENV ADDR GW MASK VFS -- ARGS`, seven space-separated fields
// where empty fields keep their separators (runs of spaces are part of the
// contract). Unikraft ≥ 0.16.1 takes netdev.ip=; older releases the ipv4_* keys.
//
// How values reach the guest: arguments are joined with single spaces and the
// guest splits on whitespace, so an argument with whitespace becomes several and
// an empty one disappears; env is written as `env.vars=[ K=V ... ]`, split the
// same way. Those cases keep the upstream text and produce one warning line.

import { compareGoVersions, parseGoVersion } from "../go_compat.ts";
import { argsWarning, envWarning, hasQuoting, splitWords } from "./guest_words.ts";
import type { GuestCmdline, GuestContext, UnikernelModule } from "./unikernel.ts";

const FIRST_CURRENT_SYNTAX = parseGoVersion("0.16.1")!;
/** Unikraft's resolver when the guest is not told otherwise (upstream constant). */
const DNS = "8.8.8.8";

type Syntax = "current" | "compat";

export function unikraftSyntax(version: string): { syntax: Syntax; warning: string | null } {
  if (version === "") return { syntax: "current", warning: null };
  const v = parseGoVersion(version);
  if (v === null) {
    return {
      syntax: "current",
      warning: `unikraft version ${
        JSON.stringify(version)
      } is not a version number; using the ≥0.16.1 command-line syntax`,
    };
  }
  return {
    syntax: compareGoVersions(v, FIRST_CURRENT_SYNTAX) < 0 ? "compat" : "current",
    warning: null,
  };
}

/** The argument list a Unikraft guest parses out of its command line: [app, ...args]. */
export function unikraftGuestArgs(cmdline: string): string[] {
  const words = splitWords(cmdline);
  const sep = words.indexOf("--");
  return sep < 0 ? words.slice(0, 1) : [words[0], ...words.slice(sep + 1)];
}

function guestCmdline(ctx: GuestContext): GuestCmdline {
  const warnings: string[] = [];
  const { syntax, warning } = unikraftSyntax(ctx.version);
  if (warning !== null) warnings.push(warning);
  const app = ctx.args[0] ?? "";
  const rest = ctx.args.slice(1).join(" ");
  const env = ctx.env.length > 0 ? `env.vars=[ ${ctx.env.join(" ")} ]` : "";
  const net = ctx.network;
  let addr: string, gw: string, mask: string, vfs: string;
  if (syntax === "current") {
    // Without a network the parameter is still written with empty slots and /24 (golden).
    addr = `netdev.ip=${net?.ip ?? ""}/${net?.prefix ?? 24}:${net?.gateway ?? ""}:${DNS}`;
    gw = "";
    mask = "";
    vfs = ctx.rootfs === "initrd"
      ? `vfs.fstab=[ "initrd0:/:extract:::" ]`
      : ctx.rootfs === "9p"
      ? `vfs.fstab=[ "fs0:/:9pfs:::" ]`
      : "";
  } else {
    addr = `netdev.ipv4_addr=${net?.ip ?? ""}`;
    gw = `netdev.ipv4_gw_addr=${net?.gateway ?? ""}`;
    mask = `netdev.ipv4_subnet_mask=${net?.mask ?? ""}`;
    vfs = ctx.rootfs === "initrd" ? "vfs.rootfs=initrd" : "";
  }
  const cmdline = `${app} ${env} ${addr} ${gw} ${mask} ${vfs} -- ${rest}`;

  if (!ctx.argsFromAnnotation && ctx.args.length > 0) {
    const w = argsWarning(
      "unikraft",
      "splits arguments on whitespace",
      ctx.args,
      unikraftGuestArgs(cmdline),
    );
    if (w !== null) warnings.push(w);
  }
  const badEnv = ctx.env.filter((e) =>
    e === "" || splitWords(e).length !== 1 || hasQuoting([e]) || e === "]"
  );
  const w = envWarning(
    "unikraft",
    "splits env.vars on whitespace",
    badEnv,
    badEnv.flatMap(splitWords),
  );
  if (w !== null) warnings.push(w);
  return { cmdline, warnings };
}

export const unikraft: UnikernelModule = {
  type: "unikraft",
  monitors: ["qemu", "firecracker"],
  arches: ["amd64", "arm64"],
  supportsInitrd: true,
  supportsBlock: false,
  devmapperFs: [],
  sharedFs: ["9p"],
  volumes: false,
  initrdIsEarlyUserspace: false,
  guestCmdline,
};
