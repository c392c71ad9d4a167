// Give the unikernel the container's network: a persistent tap owned by the
// container user, and tc ingress redirects both ways between the tap and the
// container interface, so the guest and the pod network are one L2 segment.
//
// The tap gets no IP address (upstream puts 172.16.1.2/24 on it): mirred
// redirects frames at ingress, before the netns IP stack sees them, so an
// address would only add a connected route that may collide with the pod's.

import { ETH_P_ALL, TC_H_INGRESS, TC_H_INGRESS_HANDLE } from "../../../ffi/netlink/constants.ts";
import { prefixToMask } from "../../../ffi/netlink/codec.ts";
import { type Link, openRtnl, type Rtnl } from "../../../ffi/netlink/rtnl.ts";
import { realTun, type TunDriver } from "../../../ffi/tun.ts";
import { UruncError } from "../../errors.ts";
import type { NetworkInfo, NetworkPlan } from "../../plan/types.ts";
import { cleanupNetwork } from "./cleanup.ts";
import { type ContainerInterface, discoverContainerInterface } from "./discover.ts";
import {
  NetworkSetupError,
  NetworkUnusableError,
  StaticNetworkUnsupportedError,
} from "./errors.ts";
import { aliasFor, FILTER_PRIO, type NetResource, ownerOf } from "./resources.ts";

const EEXIST = 17;

export interface SetupOptions {
  plan: NetworkPlan;
  containerId: string;
  /** The container user: owner of the tap, so a non-root monitor can open it. */
  uid: number;
  gid: number;
  /** Called before each object is created; must persist synchronously (crash safety). */
  record: (r: NetResource) => void;
}

export interface NetDeps {
  rtnl?: Rtnl;
  /** How to open rtnetlink when `rtnl` is absent (Host.netlink); default: a real socket. */
  openRtnl?: () => Rtnl;
  tun?: TunDriver;
}

const IFALIASZ = 256;

/** Refuse a tap name that exists already, naming its owner when it is another unikernel. */
function checkTapFree(rtnl: Rtnl, tap: string): void {
  const existing = rtnl.link(tap);
  if (existing === null) return;
  const owner = ownerOf(existing.alias);
  if (owner !== null) {
    throw new NetworkUnusableError(
      `network namespace already has a unikernel: ${tap} belongs to container ${
        JSON.stringify(owner)
      }`,
    );
  }
  throw new NetworkUnusableError(
    `network namespace already has an interface named ${tap} that urunc did not create` +
      (existing.alias === null ? "" : ` (alias ${JSON.stringify(existing.alias)})`),
  );
}

function checkNoIngress(rtnl: Rtnl, iface: Link): void {
  if (rtnl.qdiscs().some((q) => q.ifindex === iface.index && q.parent === TC_H_INGRESS)) {
    throw new NetworkUnusableError(
      `interface ${iface.name} already has an ingress qdisc that urunc did not create; refusing to share it`,
    );
  }
}

/** Run one step; errors become NetworkSetupError naming the step (ours pass through). */
function step<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UruncError) throw e;
    throw new NetworkSetupError(name, e);
  }
}

function createTap(
  rtnl: Rtnl,
  tun: TunDriver,
  o: SetupOptions,
  iface: ContainerInterface,
  alias: string,
): Link {
  const name = o.plan.tap;
  const h = step(`create tap ${name}`, () => tun.createTap({ name, vnetHdr: true }));
  try {
    step(`set owner of ${name} to uid ${o.uid}`, () => h.setOwner(o.uid));
    step(`set group of ${name} to gid ${o.gid}`, () => h.setGroup(o.gid));
    const link = step(`look up ${name}`, () => rtnl.link(name));
    if (link === null) {
      throw new NetworkSetupError(`look up ${name}`, new Error("the new tap is not visible"));
    }
    step(`set alias and mtu of ${name}`, () => rtnl.setLink(link, { alias, mtu: iface.mtu }));
    // Persist last: until here the tap dies with our fd if anything fails or we crash.
    step(`make ${name} persistent`, () => h.setPersist(true));
    return link;
  } finally {
    h.close();
  }
}

/**
 * Set up the network in the current netns for one unikernel. Returns what the
 * guest must be told, or null when the netns has nothing but loopback.
 */
export function setupNetwork(o: SetupOptions, deps: NetDeps = {}): NetworkInfo | null {
  if (o.plan.mode === "static") throw new StaticNetworkUnsupportedError();
  const alias = aliasFor(o.containerId);
  if (new TextEncoder().encode(alias).length >= IFALIASZ) {
    throw new NetworkUnusableError(
      `container id too long to mark the tap as ours (${alias.length} bytes)`,
    );
  }
  const rtnl = deps.rtnl ?? step("open rtnetlink socket", deps.openRtnl ?? openRtnl);
  const tun = deps.tun ?? realTun();
  const created: NetResource[] = [];
  const make = (r: NetResource, what: string, fn: () => void) => {
    o.record(r);
    try {
      step(what, fn);
    } catch (err) {
      // Someone else made it between our check and our add: it is theirs, and
      // the ledger must say so, or delete would remove it.
      if ((err as { errno?: number }).errno === EEXIST) o.record({ kind: "not-created", of: r });
      throw err;
    }
    created.push(r);
  };
  try {
    step("check for an existing tap", () => checkTapFree(rtnl, o.plan.tap));
    const iface = step(
      "find the container interface",
      () => discoverContainerInterface(rtnl, o.plan.tap),
    );
    if (iface === null) return null;
    const dev = iface.link;
    step(`check ingress qdisc on ${dev.name}`, () => checkNoIngress(rtnl, dev));

    const tapRecord: NetResource = { kind: "tap", name: o.plan.tap, alias };
    o.record(tapRecord);
    const tap = createTap(rtnl, tun, o, iface, alias);
    created.push(tapRecord);

    make(
      { kind: "qdisc-ingress", dev: tap.name, ifindex: tap.index },
      `add ingress qdisc on ${tap.name}`,
      () => rtnl.ingressQdisc("add", tap),
    );
    make(
      { kind: "qdisc-ingress", dev: dev.name, ifindex: dev.index },
      `add ingress qdisc on ${dev.name}`,
      () => rtnl.ingressQdisc("add", dev),
    );
    // Up before any redirect points at it: mirred drops frames sent to a down device.
    step(`set ${tap.name} up`, () => rtnl.setLink(tap, { up: true }));
    for (const [from, to] of [[tap, dev], [dev, tap]]) {
      make(
        {
          kind: "filter",
          dev: from.name,
          ifindex: from.index,
          parent: TC_H_INGRESS_HANDLE,
          prio: FILTER_PRIO,
          protocol: ETH_P_ALL,
          to: to.name,
          toIfindex: to.index,
        },
        `redirect ${from.name} ingress to ${to.name}`,
        () =>
          rtnl.addRedirectFilter({ dev: from, to, parent: TC_H_INGRESS_HANDLE, prio: FILTER_PRIO }),
      );
    }
    return {
      ip: iface.ipv4.address,
      mask: prefixToMask(iface.ipv4.prefixlen),
      gateway: iface.gateway,
      tap: tap.name,
      mac: iface.mac,
      mtu: iface.mtu,
    };
  } catch (e) {
    if (created.length === 0) throw e;
    const problems = cleanupNetwork(created, { rtnl });
    if (e instanceof NetworkSetupError && problems.length > 0) {
      throw new NetworkSetupError(e.step, e.cause, problems);
    }
    throw e;
  } finally {
    if (deps.rtnl === undefined) rtnl.close();
  }
}
