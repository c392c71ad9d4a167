// Linux with the urunit init: kernel parameters, then env as KEY=VALUE
// parameters (the kernel hands unknown ones to init's environment), then
// `init=APP -- ARGS` (`rdinit=` when booting from an initrd). When the init's
// path names urunit (upstream ≥0.7), env, user, cwd and the mount table go in
// urunit's config file instead (urunit_config.ts); other images keep the old contract.
//
// How values reach the guest: the kernel splits on whitespace; an argument with
// a space is wrapped in single quotes and urunit re-joins the quoted words, so
// "two words" survives. Not intact (warned): empty arguments, leading/trailing or
// repeated whitespace, tabs/newlines, quote characters; env entries without "="
// or whose value contains whitespace or double quotes.

import { UruncError } from "../../errors.ts";
import { goTrimSpace } from "../go_compat.ts";
import { argsWarning, envWarning, splitWords } from "./guest_words.ts";
import type { GuestCmdline, GuestContext, UnikernelModule } from "./unikernel.ts";
import {
  URUNIT_CONF_IN_INITRD,
  URUNIT_CONF_RETAINED,
  urunitConfig,
  usesUrunit,
} from "./urunit_config.ts";

/** urunit's convention: an argument with an inner space travels as '…'. */
export function urunitQuote(arg: string): string {
  const trimmed = goTrimSpace(arg);
  return trimmed.indexOf(" ") > 0 ? `'${trimmed}'` : arg;
}

/** What init receives: the words after `--`, with '…' groups re-joined by urunit. */
export function linuxGuestArgs(cmdline: string): string[] {
  const words = splitWords(cmdline);
  const sep = words.indexOf("--");
  const init = words.slice(0, sep < 0 ? words.length : sep).reverse()
    .find((w) => w.startsWith("init=") || w.startsWith("rdinit="));
  const app = init === undefined ? [] : [init.slice(init.indexOf("=") + 1)];
  const out: string[] = [];
  let group: string[] | null = null;
  for (const w of [...app, ...(sep < 0 ? [] : words.slice(sep + 1))]) {
    if (group === null && w.startsWith("'")) group = [];
    if (group === null) {
      out.push(w);
      continue;
    }
    group.push(w);
    if (w.endsWith("'") && (group.length > 1 || w.length > 1)) {
      out.push(group.join(" ").slice(1, -1));
      group = null;
    }
  }
  if (group !== null) out.push(...group);
  return out;
}

function envIntact(entry: string): boolean {
  return entry.includes("=") && !entry.startsWith("=") && splitWords(entry).length === 1 &&
    splitWords(entry)[0] === entry && !entry.includes('"');
}

/** Kernel parameters for each root the guest can get (upstream's words for 9p/virtiofs). */
const ROOT_PARAMS: Record<GuestContext["rootfs"], string> = {
  block: " root=/dev/vda rw",
  initrd: " root=/dev/ram0 rw",
  "9p":
    " root=fs0 rw rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=5000000,cache=mmap,posixacl",
  virtiofs: " root=fs0 rw rootfstype=virtiofs",
  none: "",
};

/** Kernel ip= with the container's nameservers in the dns0/dns1 fields when known. */
function ipParam(ctx: GuestContext): string {
  const net = ctx.network;
  if (net === null) return "";
  const dns = ctx.dns.slice(0, 2).map((d) => `:${d}`).join("");
  return ` ip=${net.ip}::${net.gateway}:${net.mask}:urunc:eth0:off${dns}`;
}

function guestCmdline(ctx: GuestContext): GuestCmdline {
  if (ctx.args.length === 0) {
    throw new UruncError(
      "linux guests need an init program: process.args is empty and com.urunc.unikernel.cmdline is unset",
    );
  }
  if (goTrimSpace(ctx.args[0]) === "") {
    // "init= -- ..." would boot the kernel's default init with our args: say so instead.
    throw new UruncError(
      `linux guests need an init program: the first argument is ${JSON.stringify(ctx.args[0])}`,
    );
  }
  const quoted = ctx.args.map(urunitQuote);
  const urunit = usesUrunit(ctx.args[0]);
  let cmdline = "panic=-1 console=ttyS0" + ROOT_PARAMS[ctx.rootfs] + ipParam(ctx);
  const initKey = ctx.rootfs === "initrd" ? "rdinit" : "init";
  let urunitConfigFile: GuestCmdline["urunitConfig"];
  if (urunit) {
    // The new contract: env, user, cwd and mounts in a file, not on the command line.
    urunitConfigFile = {
      content: urunitConfig({ ...ctx, monitor: ctx.monitor }),
      inInitrd: ctx.initrd,
    };
    cmdline += ctx.initrd
      ? ` URUNIT_CONFIG=${URUNIT_CONF_IN_INITRD}`
      : ` retain_initrd URUNIT_CONFIG=${URUNIT_CONF_RETAINED}`;
  } else {
    for (const e of ctx.env) cmdline += ` ${e}`;
  }
  cmdline += ` ${initKey}=${quoted[0]} -- ${quoted.slice(1).join(" ")}`;

  const warnings: string[] = [];
  if (!ctx.argsFromAnnotation) {
    const w = argsWarning(
      "linux",
      "passes init arguments through the kernel command line",
      ctx.args,
      linuxGuestArgs(cmdline),
    );
    if (w !== null) warnings.push(w);
  }
  if (urunit) {
    const badEnv = ctx.env.filter((e) => e.includes("\n") || !e.includes("="));
    if (badEnv.length > 0) {
      warnings.push(
        `linux (urunit) takes env one line each: ${JSON.stringify(badEnv)} do not arrive intact`,
      );
    }
  } else {
    const badEnv = ctx.env.filter((e) => !envIntact(e));
    const w = envWarning(
      "linux",
      "passes env as kernel parameters",
      badEnv,
      badEnv.flatMap(splitWords),
    );
    if (w !== null) warnings.push(w);
    if (ctx.volumes.length > 0) {
      warnings.push(
        `volumes reach a linux guest only through urunit's config (the init's path must name urunit, e.g. /urunit): ${
          ctx.volumes.map((v) => v.destination).join(", ")
        } are attached but the guest's init is not told to mount them`,
      );
    }
  }
  return { cmdline, warnings, urunitConfig: urunitConfigFile };
}

export const linux: UnikernelModule = {
  type: "linux",
  monitors: ["qemu", "firecracker"],
  arches: ["amd64", "arm64"],
  supportsInitrd: true,
  supportsBlock: true,
  devmapperFs: "any",
  sharedFs: ["9p", "virtiofs"],
  volumes: true,
  initrdIsEarlyUserspace: true,
  guestCmdline,
  qemu: {
    block: (
      path,
    ) => [
      "-device",
      "virtio-blk-pci,id=blk0,drive=hd0",
      "-drive",
      `format=raw,if=none,id=hd0,file=${path}`,
    ],
    tail: ["-no-reboot", "-serial", "stdio", "-nodefaults"],
  },
};
