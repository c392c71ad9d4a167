// Typed rtnetlink operations over one socket. An Rtnl works in the network
// namespace it was opened in, whatever the thread does afterwards.

import type { NlMessage } from "./codec.ts";
import {
  addRedirectFilter,
  type Address,
  address,
  type AddressOp,
  deleteFilter,
  deleteLink,
  dumpAddresses,
  dumpFilters,
  dumpLinks,
  dumpQdiscs,
  dumpRoutes,
  type Filter,
  getLink,
  ingressQdisc,
  type Link,
  type LinkChange,
  type LinkRef,
  parseAddress,
  parseFilter,
  parseLink,
  parseQdisc,
  parseRoute,
  type Qdisc,
  type RedirectFilterSpec,
  type Route,
  setLink,
} from "./messages.ts";

import { NetlinkError, NetlinkSocket } from "./socket.ts";
import { RTM } from "./constants.ts";
import { ERRNO } from "../errno.ts";

export type {
  Address,
  AddressOp,
  Filter,
  Link,
  LinkChange,
  LinkRef,
  Qdisc,
  RedirectFilterSpec,
  Route,
};

export interface FilterKey {
  dev: LinkRef;
  parent: number;
  prio: number;
  protocol?: number;
  kind?: string;
}

/** The rtnetlink operations urunc needs; host code takes this so tests can pass a recorder. */
export interface Rtnl {
  links(): Link[];
  /** One link by name or index; null when it does not exist. */
  link(key: string | number): Link | null;
  setLink(dev: LinkRef, change: LinkChange): void;
  deleteLink(dev: LinkRef): void;
  addresses(family?: 4 | 6): Address[];
  address(op: AddressOp, dev: LinkRef, cidr: string): void;
  routes(family: 4 | 6): Route[];
  qdiscs(): Qdisc[];
  ingressQdisc(op: "add" | "delete", dev: LinkRef): void;
  filters(dev: LinkRef, parent: number): Filter[];
  addRedirectFilter(spec: RedirectFilterSpec): void;
  deleteFilter(key: FilterKey): void;
  close(): void;
}

const { ENODEV } = ERRNO;

const replies = (ms: NlMessage[], type: number) =>
  ms.filter((m) => m.type === type).map((m) => m.payload);

export class SocketRtnl implements Rtnl {
  constructor(private readonly sock: NetlinkSocket) {}

  links(): Link[] {
    return replies(this.sock.dump(dumpLinks()), RTM.NEWLINK).map(parseLink);
  }

  link(key: string | number): Link | null {
    try {
      const r = replies(this.sock.request(getLink(key)), RTM.NEWLINK);
      return r.length === 0 ? null : parseLink(r[0]);
    } catch (e) {
      if (e instanceof NetlinkError && e.errno === ENODEV) return null;
      throw e;
    }
  }

  setLink(dev: LinkRef, change: LinkChange): void {
    this.sock.request(setLink(dev, change));
  }

  deleteLink(dev: LinkRef): void {
    this.sock.request(deleteLink(dev));
  }

  addresses(family?: 4 | 6): Address[] {
    return replies(this.sock.dump(dumpAddresses(family ?? 0)), RTM.NEWADDR)
      .map(parseAddress)
      .filter((a): a is Address => a !== null);
  }

  address(op: AddressOp, dev: LinkRef, cidr: string): void {
    this.sock.request(address(op, dev, cidr));
  }

  routes(family: 4 | 6): Route[] {
    return replies(this.sock.dump(dumpRoutes(family)), RTM.NEWROUTE)
      .map(parseRoute)
      .filter((r): r is Route => r !== null);
  }

  qdiscs(): Qdisc[] {
    return replies(this.sock.dump(dumpQdiscs()), RTM.NEWQDISC).map(parseQdisc);
  }

  ingressQdisc(op: "add" | "delete", dev: LinkRef): void {
    this.sock.request(ingressQdisc(op, dev));
  }

  filters(dev: LinkRef, parent: number): Filter[] {
    return replies(this.sock.dump(dumpFilters(dev, parent)), RTM.NEWTFILTER).map(parseFilter);
  }

  addRedirectFilter(spec: RedirectFilterSpec): void {
    this.sock.request(addRedirectFilter(spec));
  }

  deleteFilter(key: FilterKey): void {
    this.sock.request(deleteFilter(key));
  }

  close(): void {
    this.sock.close();
  }
}

/** rtnetlink in the calling thread's current network namespace. */
export function openRtnl(): Rtnl {
  return new SocketRtnl(NetlinkSocket.open());
}
