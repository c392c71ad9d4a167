// An in-memory network namespace implementing Rtnl and TunDriver: enough kernel
// behaviour (EEXIST, EBUSY, ENODEV, fd-bound taps, qdisc-owned filters) to test
// setup/cleanup logic without root, with a call log and fault injection.

import {
  ARPHRD_ETHER,
  ARPHRD_LOOPBACK,
  IFF_LOOPBACK,
  IFF_UP,
  TC_H_INGRESS,
} from "../../../ffi/netlink/constants.ts";
import type {
  Address,
  Filter,
  FilterKey,
  Link,
  LinkChange,
  LinkRef,
  Qdisc,
  RedirectFilterSpec,
  Route,
  Rtnl,
} from "../../../ffi/netlink/rtnl.ts";
import { NetlinkError } from "../../../ffi/netlink/socket.ts";
import { SyscallError } from "../../../ffi/libc.ts";
import type { TapHandle, TapOptions, TunDriver } from "../../../ffi/tun.ts";

export const ENOENT = 2, EBUSY = 16, EEXIST = 17, ENODEV = 19, EINVAL = 22, EPERM = 1;

export interface NetState {
  links: Link[];
  addrs: Address[];
  routes: Route[];
  qdiscs: Qdisc[];
  filters: Filter[];
}

const clone = <T>(x: T): T => structuredClone(x);

export function link(index: number, name: string, extra: Partial<Link> = {}): Link {
  return {
    index,
    name,
    type: ARPHRD_ETHER,
    flags: IFF_UP,
    mtu: 1500,
    mac: `02:00:00:00:00:${index.toString(16).padStart(2, "0")}`,
    alias: null,
    kind: "veth",
    tun: null,
    ...extra,
  };
}

export const LO = link(1, "lo", {
  type: ARPHRD_LOOPBACK,
  flags: IFF_UP | IFF_LOOPBACK,
  mtu: 65536,
  kind: null,
  mac: "00:00:00:00:00:00",
});

export function addr(index: number, cidr: string, extra: Partial<Address> = {}): Address {
  const [address, p] = cidr.split("/");
  return {
    family: 4,
    index,
    address,
    prefixlen: Number(p),
    flags: 0x80,
    scope: 0,
    label: null,
    ...extra,
  };
}

export function defaultRoute(oif: number, gateway: string | null): Route {
  return {
    family: 4,
    table: 254,
    dst: null,
    dstLen: 0,
    gateway,
    oif,
    priority: 0,
    type: 1,
    scope: 0,
  };
}

/** lo + eth0 (10.0.0.5/20, mtu 1450) with a default route via 10.0.0.1. */
export function podState(): NetState {
  return {
    links: [LO, link(2, "eth0", { mtu: 1450, mac: "0a:58:0a:00:00:05" })],
    addrs: [addr(1, "127.0.0.1/8", { scope: 254 }), addr(2, "10.0.0.5/20")],
    routes: [defaultRoute(2, "10.0.0.1")],
    qdiscs: [],
    filters: [],
  };
}

export class FakeNet implements Rtnl, TunDriver {
  state: NetState;
  /** Every call, and every `note()` from the test (e.g. ledger records), in order. */
  log: string[] = [];
  /** Mutating calls made so far (what `failAt` counts). */
  mutations = 0;
  /** Throw `errno` at the n-th mutating call (1-based). */
  failAt: { n: number; errno: number } | null = null;
  /** What the state was right before the injected failure: a "crash" snapshot. */
  crashSnapshot: NetState | null = null;
  #openTaps = new Set<string>();
  #nextIndex = 10;

  constructor(state: NetState = podState()) {
    this.state = clone(state);
  }

  note(s: string) {
    this.log.push(s);
  }

  #mutate(call: string, subject: string, kind: "netlink" | "syscall" = "netlink") {
    this.log.push(call);
    this.mutations++;
    if (this.failAt !== null && this.mutations === this.failAt.n) {
      this.crashSnapshot = clone(this.state);
      // A crash closes our fds: taps that are not yet persistent vanish with them.
      this.crashSnapshot.links = this.crashSnapshot.links.filter((l) =>
        l.tun === null || l.tun.persist
      );
      throw kind === "netlink"
        ? new NetlinkError(call, subject, this.failAt.errno)
        : new SyscallError("ioctl", this.failAt.errno, call);
    }
  }

  #dev(index: number, op: string): Link {
    const l = this.state.links.find((x) => x.index === index);
    if (l === undefined) throw new NetlinkError(op, `ifindex ${index}`, ENODEV);
    return l;
  }

  #removeDevice(index: number) {
    this.state.links = this.state.links.filter((l) => l.index !== index);
    this.state.addrs = this.state.addrs.filter((a) => a.index !== index);
    this.state.qdiscs = this.state.qdiscs.filter((q) => q.ifindex !== index);
    this.state.filters = this.state.filters.filter((f) => f.ifindex !== index);
    // mirred forgets a vanished target device (the kernel reports ifindex 0)
    for (const f of this.state.filters) {
      for (const a of f.actions) if ("ifindex" in a && a.ifindex === index) a.ifindex = 0;
    }
  }

  // ---------------------------------------------------------------- TunDriver
  createTap(opts: TapOptions): TapHandle {
    this.#mutate(`createTap ${opts.name}`, opts.name, "syscall");
    if (this.state.links.some((l) => l.name === opts.name)) {
      throw new SyscallError("ioctl", EBUSY, `TUNSETIFF, ${opts.name}`);
    }
    const tap = link(this.#nextIndex++, opts.name, {
      flags: 0,
      kind: "tun",
      tun: {
        owner: null,
        group: null,
        type: 2,
        pi: false,
        vnetHdr: opts.vnetHdr,
        persist: false,
        multiQueue: false,
      },
    });
    this.state.links.push(tap);
    this.#openTaps.add(opts.name);
    const find = () => this.state.links.find((l) => l.name === opts.name)!;
    return {
      name: opts.name,
      setOwner: (uid) => {
        this.#mutate(`setOwner ${uid}`, opts.name, "syscall");
        find().tun!.owner = uid;
      },
      setGroup: (gid) => {
        this.#mutate(`setGroup ${gid}`, opts.name, "syscall");
        find().tun!.group = gid;
      },
      setPersist: (on) => {
        this.#mutate(`setPersist ${on}`, opts.name, "syscall");
        find().tun!.persist = on;
      },
      close: () => {
        this.log.push(`closeTap ${opts.name}`);
        this.#openTaps.delete(opts.name);
        const l = this.state.links.find((x) => x.name === opts.name);
        if (l !== undefined && !l.tun!.persist) this.#removeDevice(l.index);
      },
    };
  }

  // --------------------------------------------------------------------- Rtnl
  links(): Link[] {
    return clone(this.state.links);
  }
  link(key: string | number): Link | null {
    const l = this.state.links.find((
      x,
    ) => (typeof key === "number" ? x.index === key : x.name === key));
    return l === undefined ? null : clone(l);
  }
  setLink(dev: LinkRef, change: LinkChange): void {
    const what = Object.entries(change).map(([k, v]) => `${k}=${v}`).join(",");
    this.#mutate(`setLink ${dev.name} ${what}`, dev.name);
    const l = this.#dev(dev.index, "RTM_SETLINK");
    if (change.mtu !== undefined) l.mtu = change.mtu;
    if (change.alias !== undefined) l.alias = change.alias === "" ? null : change.alias;
    if (change.up !== undefined) l.flags = change.up ? l.flags | IFF_UP : l.flags & ~IFF_UP;
  }
  deleteLink(dev: LinkRef): void {
    this.#mutate(`deleteLink ${dev.name}`, dev.name);
    this.#dev(dev.index, "RTM_DELLINK");
    this.#removeDevice(dev.index);
  }
  addresses(family?: 4 | 6): Address[] {
    return clone(this.state.addrs.filter((a) => family === undefined || a.family === family));
  }
  address(): void {
    throw new Error("not used by network setup");
  }
  routes(family: 4 | 6): Route[] {
    return clone(this.state.routes.filter((r) => r.family === family));
  }
  qdiscs(): Qdisc[] {
    return clone(this.state.qdiscs);
  }
  ingressQdisc(op: "add" | "delete", dev: LinkRef): void {
    this.#mutate(`ingressQdisc ${op} ${dev.name}`, dev.name);
    this.#dev(dev.index, "RTM_NEWQDISC");
    const has = this.state.qdiscs.some((q) => q.ifindex === dev.index && q.parent === TC_H_INGRESS);
    if (op === "add") {
      if (has) throw new NetlinkError("RTM_NEWQDISC ingress", `on ${dev.name}`, EEXIST);
      this.state.qdiscs.push({
        ifindex: dev.index,
        handle: 0xffff0000,
        parent: TC_H_INGRESS,
        kind: "ingress",
      });
    } else {
      if (!has) throw new NetlinkError("RTM_DELQDISC ingress", `on ${dev.name}`, EINVAL);
      this.state.qdiscs = this.state.qdiscs.filter((q) =>
        !(q.ifindex === dev.index && q.parent === TC_H_INGRESS)
      );
      this.state.filters = this.state.filters.filter((f) => f.ifindex !== dev.index);
    }
  }
  filters(dev: LinkRef, parent: number): Filter[] {
    this.#dev(dev.index, "RTM_GETTFILTER");
    return clone(this.state.filters.filter((f) => f.ifindex === dev.index && f.parent === parent));
  }
  addRedirectFilter(spec: RedirectFilterSpec): void {
    this.#mutate(`addRedirectFilter ${spec.dev.name}->${spec.to.name}`, spec.dev.name);
    this.#dev(spec.dev.index, "RTM_NEWTFILTER");
    if (!this.state.qdiscs.some((q) => q.ifindex === spec.dev.index && q.parent === TC_H_INGRESS)) {
      throw new NetlinkError("RTM_NEWTFILTER", `on ${spec.dev.name}`, EINVAL);
    }
    this.state.filters.push({
      ifindex: spec.dev.index,
      parent: spec.parent,
      prio: spec.prio,
      protocol: spec.protocol ?? 3,
      handle: 0x80000800,
      kind: "u32",
      chain: 0,
      u32Keys: [{ mask: 0, value: 0, off: 0 }],
      actions: [{ kind: "mirred", action: 4, eaction: 1, ifindex: spec.to.index }],
    });
  }
  deleteFilter(key: FilterKey): void {
    this.#mutate(`deleteFilter ${key.dev.name} prio ${key.prio}`, key.dev.name);
    const match = (f: Filter) =>
      f.ifindex === key.dev.index && f.parent === key.parent && f.prio === key.prio &&
      f.protocol === (key.protocol ?? 3);
    if (!this.state.filters.some(match)) {
      throw new NetlinkError("RTM_DELTFILTER", `on ${key.dev.name}`, ENOENT);
    }
    this.state.filters = this.state.filters.filter((f) => !match(f));
  }
  close(): void {
    this.log.push("close");
  }

  /** Taps left with an open fd (should be none after setup). */
  get openTaps(): string[] {
    return [...this.#openTaps];
  }
}
