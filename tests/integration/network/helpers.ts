// Test network namespaces: a "container" netns with eth0 (one end of a veth)
// and a "peer" netns with the other end, made with `ip` (tests only), and
// observation with `ip`/`tc` so assertions do not trust our own netlink code.

import type { NetResource } from "../../../lib/host/network/mod.ts";
import type { Rtnl } from "../../../ffi/netlink/rtnl.ts";
import type { TapHandle, TunDriver } from "../../../ffi/tun.ts";

export const IS_ROOT = Deno.uid() === 0;
if (!IS_ROOT) {
  console.warn(
    "network integration tests SKIPPED: they need root (they create network namespaces, taps, tc rules)",
  );
}

const dec = new TextDecoder();

/** Run a command synchronously; throw with its stderr on failure. */
export function sh(...argv: string[]): string {
  const out = new Deno.Command(argv[0], { args: argv.slice(1), stdout: "piped", stderr: "piped" })
    .outputSync();
  if (!out.success) {
    throw new Error(`${argv.join(" ")} failed (${out.code}): ${dec.decode(out.stderr).trim()}`);
  }
  return dec.decode(out.stdout);
}

let counter = 0;

export interface PodOptions {
  /** Create the veth pair (false: the netns has only loopback). */
  veth?: boolean;
  /** Name of the container end (default eth0). */
  ifname?: string;
  address?: string | null;
  gateway?: string | null;
  mtu?: number;
}

/** A container netns (`ns`) wired to a peer netns (`peer`) by a veth pair. */
export class Pod {
  readonly ns: string;
  readonly peer: string;

  constructor(opts: PodOptions = {}) {
    const id = `${Deno.pid}-${++counter}`;
    this.ns = `urunc-c-${id}`;
    this.peer = `urunc-p-${id}`;
    sh("ip", "netns", "add", this.ns);
    sh("ip", "netns", "add", this.peer);
    try {
      sh("ip", "-n", this.ns, "link", "set", "lo", "up");
      if (opts.veth === false) return;
      const ifname = opts.ifname ?? "eth0";
      sh(
        "ip",
        "link",
        "add",
        ifname,
        "netns",
        this.ns,
        "type",
        "veth",
        "peer",
        "name",
        "veth0",
        "netns",
        this.peer,
      );
      if (opts.mtu !== undefined) {
        sh("ip", "-n", this.ns, "link", "set", ifname, "mtu", String(opts.mtu));
        sh("ip", "-n", this.peer, "link", "set", "veth0", "mtu", String(opts.mtu));
      }
      const address = opts.address === undefined ? "10.99.0.2/24" : opts.address;
      if (address !== null) sh("ip", "-n", this.ns, "addr", "add", address, "dev", ifname);
      sh("ip", "-n", this.peer, "addr", "add", "10.99.0.1/24", "dev", "veth0");
      sh("ip", "-n", this.ns, "link", "set", ifname, "up");
      sh("ip", "-n", this.peer, "link", "set", "veth0", "up");
      const gw = opts.gateway === undefined ? "10.99.0.1" : opts.gateway;
      if (gw !== null && address !== null) {
        sh("ip", "-n", this.ns, "route", "add", "default", "via", gw);
      }
    } catch (e) {
      this.destroy();
      throw e;
    }
  }

  get path(): string {
    return `/run/netns/${this.ns}`;
  }

  ip(...args: string[]): string {
    return sh("ip", "-n", this.ns, ...args);
  }

  tc(...args: string[]): string {
    return sh("tc", "-n", this.ns, ...args);
  }

  /** Everything urunc could have created, as `ip`/`tc` show it. */
  observe(): {
    links: string[];
    ingress: string[];
    filters: Record<string, string>;
    tap: string | null;
  } {
    const links = (JSON.parse(this.ip("-j", "link", "show")) as { ifname: string }[]).map((l) =>
      l.ifname
    ).sort();
    const ingress = this.tc("qdisc", "show").split("\n").filter((l) => l.includes("ingress"))
      .map((l) => l.split(" ")[4]).sort();
    const filters: Record<string, string> = {};
    for (const dev of links) {
      if (dev === "lo") continue;
      const f = this.tc("filter", "show", "dev", dev, "ingress").trim();
      if (f !== "") filters[dev] = f;
    }
    const tap = links.includes("tap0_urunc") ? this.ip("-d", "link", "show", "tap0_urunc") : null;
    return { links, ingress, filters, tap };
  }

  destroy(): void {
    for (const n of [this.ns, this.peer]) {
      try {
        sh("ip", "netns", "del", n);
      } catch {
        // already gone
      }
    }
  }
}

/** Run `fn` with a fresh pod, always destroying it. */
export function withPod<T>(opts: PodOptions, fn: (pod: Pod) => T): T {
  const pod = new Pod(opts);
  try {
    return fn(pod);
  } finally {
    pod.destroy();
  }
}

export class InjectedFault extends Error {
  constructor(readonly at: number, readonly call: string) {
    super(`injected fault at mutating call ${at} (${call})`);
    this.name = "InjectedFault";
  }
}

/**
 * Wrap the real Rtnl and TunDriver so that the n-th mutating call runs
 * `onFault` instead (throw = a failing step, SIGKILL = a crash).
 */
export function faulty(
  rtnl: Rtnl,
  tun: TunDriver,
  n: number,
  onFault: (at: number, call: string) => never,
): { rtnl: Rtnl; tun: TunDriver; calls: string[] } {
  const calls: string[] = [];
  const hit = (call: string) => {
    calls.push(call);
    if (calls.length === n) onFault(n, call);
  };
  const MUTATING = new Set([
    "setLink",
    "deleteLink",
    "address",
    "ingressQdisc",
    "addRedirectFilter",
    "deleteFilter",
  ]);
  const wrapped = new Proxy(rtnl, {
    get(target, prop, recv) {
      const v = Reflect.get(target, prop, recv);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        if (MUTATING.has(String(prop))) hit(String(prop));
        return v.apply(target, args);
      };
    },
  });
  const wrapHandle = (h: TapHandle): TapHandle => ({
    name: h.name,
    setOwner: (uid) => (hit("setOwner"), h.setOwner(uid)),
    setGroup: (gid) => (hit("setGroup"), h.setGroup(gid)),
    setPersist: (on) => (hit("setPersist"), h.setPersist(on)),
    close: () => h.close(),
  });
  return {
    rtnl: wrapped,
    tun: {
      createTap: (o) => {
        hit("createTap");
        return wrapHandle(tun.createTap(o));
      },
    },
    calls,
  };
}

/** The number of mutating calls a successful setup makes (createTap … last filter). */
export const SETUP_MUTATIONS = 10;

export type Ledger = NetResource[];
