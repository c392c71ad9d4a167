import assert from "node:assert/strict";
import { IFF_UP } from "../../../ffi/netlink/constants.ts";
import {
  cleanupNetwork,
  describeResource,
  type NetResource,
  NetworkSetupError,
  NetworkUnusableError,
  setupNetwork,
  StaticNetworkUnsupportedError,
} from "../../../lib/host/network/mod.ts";
import {
  addr,
  defaultRoute,
  EPERM,
  FakeNet,
  link,
  LO,
  type NetState,
  podState,
} from "./fake_net.ts";

const plan = { mode: "dynamic" as const, tap: "tap0_urunc" };

function run(net: FakeNet, id = "c1") {
  const ledger: NetResource[] = [];
  const info = setupNetwork(
    {
      plan,
      containerId: id,
      uid: 1000,
      gid: 1001,
      record: (r) => {
        ledger.push(structuredClone(r));
        net.note(
          `record ${r.kind} ${"dev" in r ? r.dev : "name" in r ? r.name : describeResource(r)}`,
        );
      },
    },
    { rtnl: net, tun: net },
  );
  return { info, ledger };
}

const snapshot = (s: NetState) => structuredClone(s);

Deno.test("setup returns the container interface as the guest must see it", () => {
  const net = new FakeNet();
  const { info } = run(net);
  assert.deepEqual(info, {
    ip: "10.0.0.5",
    mask: "255.255.240.0",
    gateway: "10.0.0.1",
    tap: "tap0_urunc",
    mac: "0a:58:0a:00:00:05",
    mtu: 1450,
  });
});

Deno.test("setup creates a persistent, owned, aliased tap with eth0's MTU, ingress qdiscs and redirects both ways", () => {
  const net = new FakeNet();
  run(net);
  const tap = net.state.links.find((l) => l.name === "tap0_urunc")!;
  assert.deepEqual(tap.tun, {
    owner: 1000,
    group: 1001,
    type: 2,
    pi: false,
    vnetHdr: true,
    persist: true,
    multiQueue: false,
  });
  assert.equal(tap.alias, "urunc:c1");
  assert.equal(tap.mtu, 1450);
  assert.equal(tap.flags & IFF_UP, IFF_UP);
  assert.deepEqual(net.state.qdiscs.map((q) => [q.ifindex, q.kind]), [[tap.index, "ingress"], [
    2,
    "ingress",
  ]]);
  assert.deepEqual(
    net.state.filters.map((f) => [f.ifindex, f.prio, f.protocol, f.actions]),
    [
      [tap.index, 49152, 3, [{ kind: "mirred", action: 4, eaction: 1, ifindex: 2 }]],
      [2, 49152, 3, [{ kind: "mirred", action: 4, eaction: 1, ifindex: tap.index }]],
    ],
  );
  assert.deepEqual(net.openTaps, [], "the creating fd is closed");
  assert.deepEqual(
    net.state.addrs.filter((a) => a.index === tap.index),
    [],
    "the tap gets no address",
  );
});

Deno.test("every object is recorded before the call that creates it, and persisting the tap is the last tap step", () => {
  const net = new FakeNet();
  run(net);
  assert.deepEqual(net.log.filter((l) => l !== "close"), [
    "record tap tap0_urunc",
    "createTap tap0_urunc",
    "setOwner 1000",
    "setGroup 1001",
    "setLink tap0_urunc alias=urunc:c1,mtu=1450",
    "setPersist true",
    "closeTap tap0_urunc",
    "record qdisc-ingress tap0_urunc",
    "ingressQdisc add tap0_urunc",
    "record qdisc-ingress eth0",
    "ingressQdisc add eth0",
    "setLink tap0_urunc up=true",
    "record filter tap0_urunc",
    "addRedirectFilter tap0_urunc->eth0",
    "record filter eth0",
    "addRedirectFilter eth0->tap0_urunc",
  ]);
});

Deno.test("the ledger is plain JSON that names devices, indexes and the owner alias", () => {
  const net = new FakeNet();
  const { ledger } = run(net);
  assert.deepEqual(JSON.parse(JSON.stringify(ledger)), ledger);
  assert.deepEqual(ledger[0], { kind: "tap", name: "tap0_urunc", alias: "urunc:c1" });
  assert.deepEqual(ledger[4], {
    kind: "filter",
    dev: "eth0",
    ifindex: 2,
    parent: 0xffff0000,
    prio: 49152,
    protocol: 3,
    to: "tap0_urunc",
    toIfindex: 10,
  });
});

Deno.test("cleanup of the ledger restores the namespace exactly, and a second cleanup is a no-op", () => {
  const net = new FakeNet();
  const before = snapshot(net.state);
  const { ledger } = run(net);
  assert.deepEqual(cleanupNetwork(ledger, { rtnl: net }), []);
  assert.deepEqual(net.state, before);
  const calls = net.mutations;
  assert.deepEqual(cleanupNetwork(ledger, { rtnl: net }), []);
  assert.equal(net.mutations, calls);
});

Deno.test("cleanup removes the container interface's redirect before deleting the tap", () => {
  const net = new FakeNet();
  const { ledger } = run(net);
  net.log = [];
  cleanupNetwork(ledger, { rtnl: net });
  assert.deepEqual(net.log.filter((l) => !l.startsWith("close")), [
    "deleteFilter eth0 prio 49152",
    "deleteFilter tap0_urunc prio 49152",
    "ingressQdisc delete eth0",
    "ingressQdisc delete tap0_urunc",
    "deleteLink tap0_urunc",
  ]);
});

const MUTATING_STEPS = 10;

Deno.test("a failure injected at each step is rolled back: nothing is left, and the error names the step and errno", () => {
  for (let n = 1; n <= MUTATING_STEPS; n++) {
    const net = new FakeNet();
    const before = snapshot(net.state);
    net.failAt = { n, errno: EPERM };
    let ledger: NetResource[] = [];
    assert.throws(
      () => {
        const r = { ledger: [] as NetResource[] };
        ledger = r.ledger;
        setupNetwork(
          { plan, containerId: "c1", uid: 1000, gid: 1001, record: (x) => ledger.push(x) },
          { rtnl: net, tun: net },
        );
      },
      (e: unknown) =>
        e instanceof NetworkSetupError && e.errno === EPERM && e.rollbackProblems.length === 0 &&
        /^network setup failed at ".+": .*EPERM \(Operation not permitted\)/.test(e.message),
      `step ${n}`,
    );
    assert.deepEqual(net.state, before, `step ${n}: rollback left something`);
    assert.deepEqual(net.openTaps, [], `step ${n}: fd left open`);
    assert.deepEqual(
      cleanupNetwork(ledger, { rtnl: net }),
      [],
      `step ${n}: cleanup after rollback`,
    );
    assert.deepEqual(net.state, before);
  }
});

Deno.test("a crash at each step (no rollback) is repaired by cleaning up the ledger", () => {
  for (let n = 1; n <= MUTATING_STEPS; n++) {
    const net = new FakeNet();
    const before = snapshot(net.state);
    net.failAt = { n, errno: EPERM };
    const ledger: NetResource[] = [];
    assert.throws(() =>
      setupNetwork(
        {
          plan,
          containerId: "c1",
          uid: 1000,
          gid: 1001,
          record: (x) => ledger.push(structuredClone(x)),
        },
        { rtnl: net, tun: net },
      )
    );
    // What the namespace looked like when the process "died" at step n:
    const crashed = new FakeNet(net.crashSnapshot!);
    assert.deepEqual(cleanupNetwork(ledger, { rtnl: crashed }), [], `step ${n}`);
    assert.deepEqual(crashed.state, before, `step ${n}: ledger cleanup left something`);
  }
});

Deno.test("the injected failure message names the failing step", () => {
  const net = new FakeNet();
  net.failAt = { n: 7, errno: 17 };
  assert.throws(
    () => run(net),
    {
      name: "NetworkSetupError",
      message:
        'network setup failed at "add ingress qdisc on eth0": ingressQdisc add eth0 eth0 failed: EEXIST (File exists)',
    },
  );
});

Deno.test("a second unikernel in the netns gets an error naming the owner, and works once the first is cleaned up", () => {
  const net = new FakeNet();
  const first = run(net, "first");
  const mutations = net.mutations;
  assert.throws(() => run(net, "second"), {
    name: "NetworkUnusableError",
    message: 'network namespace already has a unikernel: tap0_urunc belongs to container "first"',
  });
  assert.equal(net.mutations, mutations, "the refused setup changed nothing");
  assert.deepEqual(cleanupNetwork(first.ledger, { rtnl: net }), []);
  assert.equal(run(net, "second").info?.ip, "10.0.0.5");
});

Deno.test("a tap name taken by a device urunc did not create is refused and left alone", () => {
  const s = podState();
  s.links.push(link(5, "tap0_urunc", { kind: "tun", alias: "someone else's" }));
  const net = new FakeNet(s);
  assert.throws(() => run(net), {
    message:
      'network namespace already has an interface named tap0_urunc that urunc did not create (alias "someone else\'s")',
  });
  assert.equal(net.mutations, 0);
});

Deno.test("a netns with only loopback (or the kernel's fallback tunnels) gets no network and no changes", () => {
  for (const links of [[LO], [LO, link(2, "tunl0", { type: 768, kind: "ipip" })]]) {
    const net = new FakeNet({ links, addrs: [], routes: [], qdiscs: [], filters: [] });
    const { info, ledger } = run(net);
    assert.equal(info, null);
    assert.deepEqual(ledger, []);
    assert.equal(net.mutations, 0);
  }
});

Deno.test("unusable namespaces are errors that say what is missing, with nothing created", () => {
  const cases: [string, (s: NetState) => void, RegExp][] = [
    [
      "no IPv4 address",
      (s) => (s.addrs = s.addrs.filter((a) => a.index !== 2)),
      /interface eth0 has no IPv4 address/,
    ],
    [
      "no default route",
      (s) => (s.routes = []),
      /no IPv4 default gateway for interface eth0 \(10\.0\.0\.5\/20\)/,
    ],
    [
      "no default route and no eth0",
      (s) => {
        s.links[1].name = "net1";
        s.routes = [];
      },
      /no usable network interface: no IPv4 default route and no eth0 \(interfaces: net1\)/,
    ],
    [
      "default route via a non-Ethernet device",
      (s) => {
        s.links[1] = { ...s.links[1], type: 65534, mac: null, name: "wg0" };
      },
      /interface wg0 is not an Ethernet device/,
    ],
    [
      "an ingress qdisc someone else put on eth0",
      (s) => s.qdiscs.push({ ifindex: 2, handle: 0xffff0000, parent: 0xfffffff1, kind: "ingress" }),
      /interface eth0 already has an ingress qdisc that urunc did not create/,
    ],
  ];
  for (const [what, mutate, re] of cases) {
    const s = podState();
    mutate(s);
    const net = new FakeNet(s);
    assert.throws(
      () => run(net),
      (e: unknown) => e instanceof NetworkUnusableError && re.test(e.message),
      what,
    );
    assert.equal(net.mutations, 0, what);
  }
});

Deno.test("the interface carrying the default route wins over eth0; primary addresses over secondary", () => {
  const s = podState();
  s.links.push(link(3, "net1", { mtu: 9000, mac: "0a:00:00:00:00:03" }));
  s.addrs.push(addr(3, "192.168.7.9/24", { flags: 0x81 }), addr(3, "192.168.7.8/24"));
  s.routes = [defaultRoute(3, "192.168.7.1"), { ...defaultRoute(2, "10.0.0.1"), priority: 100 }];
  const { info } = run(new FakeNet(s));
  assert.deepEqual(info, {
    ip: "192.168.7.8",
    mask: "255.255.255.0",
    gateway: "192.168.7.1",
    tap: "tap0_urunc",
    mac: "0a:00:00:00:00:03",
    mtu: 9000,
  });
});

Deno.test("static (Knative) mode is refused up front with a specific error", () => {
  const net = new FakeNet();
  assert.throws(
    () =>
      setupNetwork(
        {
          plan: { mode: "static", tap: "tap0_urunc" },
          containerId: "c",
          uid: 0,
          gid: 0,
          record: () => {},
        },
        { rtnl: net, tun: net },
      ),
    StaticNetworkUnsupportedError,
  );
  assert.equal(net.mutations, 0);
});

Deno.test("cleanup leaves objects that are no longer ours and says why", () => {
  const net = new FakeNet();
  const { ledger } = run(net);
  const tap = net.state.links.find((l) => l.name === "tap0_urunc")!;
  tap.alias = "urunc:other";
  // someone replaced our eth0 filter with their own, at the same priority
  const f = net.state.filters.find((x) => x.ifindex === 2)!;
  f.actions = [{ kind: "gact" }];
  const problems = cleanupNetwork(ledger, { rtnl: net });
  assert.deepEqual(problems, [
    "filter prio 49152 on eth0 (redirect to tap0_urunc): left in place: the filter at prio 49152 on eth0 is not the one urunc created",
    "ingress qdisc on eth0: left in place: it has filters urunc did not create (prio 49152)",
    'tap tap0_urunc: left in place: its alias is "urunc:other", not "urunc:c1"',
  ]);
  assert.ok(net.state.links.some((l) => l.name === "tap0_urunc"));
  assert.ok(net.state.qdiscs.some((q) => q.ifindex === 2));
});

Deno.test("cleanup tolerates objects that are already gone, including a vanished tap behind a redirect", () => {
  const net = new FakeNet();
  const before = snapshot(net.state);
  const { ledger } = run(net);
  const tap = net.state.links.find((l) => l.name === "tap0_urunc")!;
  net.deleteLink(tap); // mirred on eth0 now points at ifindex 0
  assert.deepEqual(cleanupNetwork(ledger, { rtnl: net }), []);
  assert.deepEqual(net.state, before);
  assert.deepEqual(cleanupNetwork([], { rtnl: net }), []);
});

Deno.test("cleanup does not touch a device that now has another name at the recorded index", () => {
  const net = new FakeNet();
  const { ledger } = run(net);
  net.state.links.find((l) => l.index === 2)!.name = "renamed";
  const problems = cleanupNetwork(ledger, { rtnl: net });
  assert.deepEqual(problems, []);
  assert.ok(
    net.state.qdiscs.some((q) => q.ifindex === 2),
    "the renamed device's qdisc is not ours to judge",
  );
});

Deno.test("an ingress qdisc someone else adds between our check and our add is ledgered as not ours, and cleanup leaves it", () => {
  const net = new FakeNet();
  net.failAt = { n: 7, errno: 17 }; // "add ingress qdisc on eth0" answers EEXIST
  const ledger: NetResource[] = [];
  assert.throws(() =>
    setupNetwork({
      plan,
      containerId: "c1",
      uid: 0,
      gid: 0,
      record: (r) => ledger.push(structuredClone(r)),
    }, {
      rtnl: net,
      tun: net,
    })
  );
  net.failAt = null;
  const eth0 = net.link("eth0")!;
  net.ingressQdisc("add", eth0); // the other party's qdisc, the reason for EEXIST
  const eth0Qdisc = { kind: "qdisc-ingress", dev: "eth0", ifindex: eth0.index };
  assert.deepEqual(ledger.at(-1), { kind: "not-created", of: eth0Qdisc });
  assert.deepEqual(cleanupNetwork(ledger, { rtnl: net }), []);
  assert.ok(net.qdiscs().some((q) => q.ifindex === eth0.index), "their qdisc is still there");
});
