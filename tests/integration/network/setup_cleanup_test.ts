// Real kernel, real namespaces: what setup creates and cleanup removes, as `ip`/`tc` see it.
import assert from "node:assert/strict";
import { withNetns } from "../../../ffi/netns.ts";
import { realTun } from "../../../ffi/tun.ts";
import { cleanupNetwork, type NetResource, setupNetwork } from "../../../lib/host/network/mod.ts";
import { IS_ROOT, type Pod, withPod } from "./helpers.ts";

const plan = { mode: "dynamic" as const, tap: "tap0_urunc" };

function setup(pod: Pod, id: string, ledger: NetResource[] = [], tunPath?: string) {
  const info = withNetns(pod.path, () =>
    setupNetwork(
      {
        plan,
        containerId: id,
        uid: 1000,
        gid: 1001,
        record: (r) => ledger.push(structuredClone(r)),
      },
      tunPath === undefined ? {} : { tun: realTun(tunPath) },
    ));
  return { info, ledger };
}

const cleanup = (pod: Pod, ledger: NetResource[]) =>
  withNetns(pod.path, () => cleanupNetwork(ledger));

function assertClean(pod: Pod, links = ["eth0", "lo"]) {
  const o = pod.observe();
  assert.deepEqual(o.links, links);
  assert.deepEqual(o.ingress, []);
  assert.deepEqual(o.filters, {});
}

const test = (name: string, fn: () => void) => Deno.test({ name, ignore: !IS_ROOT, fn });

test("setup creates exactly the tap, two ingress qdiscs and two redirects; cleanup removes them all", () => {
  withPod({ mtu: 1400 }, (pod) => {
    const { info, ledger } = setup(pod, "c1");
    const mac =
      (JSON.parse(pod.ip("-j", "link", "show", "eth0"))[0] as { address: string }).address;
    assert.deepEqual(info, {
      ip: "10.99.0.2",
      mask: "255.255.255.0",
      gateway: "10.99.0.1",
      tap: "tap0_urunc",
      mac,
      mtu: 1400,
    });

    const o = pod.observe();
    assert.deepEqual(o.links, ["eth0", "lo", "tap0_urunc"]);
    assert.match(o.tap!, /<[^>]*\bUP\b[^>]*> mtu 1400 /);
    assert.match(o.tap!, /tun type tap pi off vnet_hdr on persist on user \S+ group 1001/);
    assert.match(o.tap!, /alias urunc:c1/);
    assert.deepEqual(o.ingress, ["eth0", "tap0_urunc"]);
    for (const [dev, to] of [["eth0", "tap0_urunc"], ["tap0_urunc", "eth0"]]) {
      const f = o.filters[dev];
      assert.match(
        f,
        /filter parent ffff: protocol all pref 49152 u32 chain 0 fh 800::800 .* terminal/,
      );
      assert.match(f, /match 00000000\/00000000 at 0/);
      assert.match(
        f,
        new RegExp(`action order 1: mirred \\(Egress Redirect to device ${to}\\) stolen`),
      );
      assert.equal(f.match(/fh 800::/g)?.length, 1, `exactly one filter node on ${dev}`);
    }
    assert.deepEqual(Object.keys(o.filters).sort(), ["eth0", "tap0_urunc"]);
    assert.equal(
      pod.ip("-4", "addr", "show", "dev", "tap0_urunc").trim(),
      "",
      "no IPv4 address on the tap",
    );

    assert.deepEqual(cleanup(pod, ledger), []);
    assertClean(pod);
    assert.match(
      pod.ip("-4", "addr", "show", "dev", "eth0"),
      /inet 10\.99\.0\.2\/24/,
      "eth0 keeps its address",
    );
    assert.deepEqual(cleanup(pod, ledger), [], "cleaning twice is harmless");
  });
});

test("the tap belongs to the container user: owner and group as given", () => {
  withPod({}, (pod) => {
    const { ledger } = setup(pod, "owned");
    const d = JSON.parse(pod.ip("-j", "-d", "link", "show", "tap0_urunc"))[0].linkinfo.info_data;
    assert.equal(d.type, "tap");
    assert.equal(d.persist, true);
    assert.equal(d.vnet_hdr, true);
    assert.equal(String(d.group), "1001");
    // iproute2 prints the user name when one exists for the uid
    assert.ok(["1000", userName(1000)].includes(String(d.user)), `user ${d.user}`);
    cleanup(pod, ledger);
  });
});

function userName(uid: number): string {
  try {
    const line = Deno.readTextFileSync("/etc/passwd").split("\n").find((l) =>
      l.split(":")[2] === String(uid)
    );
    return line?.split(":")[0] ?? String(uid);
  } catch {
    return String(uid);
  }
}

test("a second unikernel in the same netns is refused, naming the owner; it works after the first is deleted", () => {
  withPod({}, (pod) => {
    const first = setup(pod, "first");
    const before = pod.observe();
    const secondLedger: NetResource[] = [];
    assert.throws(() => setup(pod, "second", secondLedger), {
      message: 'network namespace already has a unikernel: tap0_urunc belongs to container "first"',
    });
    assert.deepEqual(secondLedger, []);
    assert.deepEqual(pod.observe(), before, "the refused setup changed nothing");
    assert.deepEqual(cleanup(pod, first.ledger), []);
    const second = setup(pod, "second");
    assert.equal(second.info?.ip, "10.99.0.2");
    assert.match(pod.observe().tap!, /alias urunc:second/);
    assert.deepEqual(cleanup(pod, second.ledger), []);
    assertClean(pod);
  });
});

test("50 setup → cleanup cycles in one netns leave nothing behind", () => {
  withPod({}, (pod) => {
    for (let i = 0; i < 50; i++) {
      const { ledger } = setup(pod, `loop-${i}`);
      assert.equal(ledger.length, 5);
      assert.deepEqual(cleanup(pod, ledger), [], `cycle ${i}`);
    }
    assertClean(pod);
  });
});

test("a netns with only loopback gives null and is left untouched", () => {
  withPod({ veth: false }, (pod) => {
    const { info, ledger } = setup(pod, "lonely");
    assert.equal(info, null);
    assert.deepEqual(ledger, []);
    assertClean(pod, ["lo"]);
  });
});

test("no usable interface: eth0 without an IPv4 address is an error, nothing is created", () => {
  withPod({ address: null }, (pod) => {
    assert.throws(() => setup(pod, "c"), {
      name: "NetworkUnusableError",
      message: "interface eth0 has no IPv4 address for the guest",
    });
    assertClean(pod);
  });
});

test("no default route and no eth0 is an error naming the interfaces", () => {
  withPod({ ifname: "net1", gateway: null }, (pod) => {
    assert.throws(() => setup(pod, "c"), {
      message: "no usable network interface: no IPv4 default route and no eth0 (interfaces: net1)",
    });
    assertClean(pod, ["lo", "net1"]);
  });
});

test("the interface carrying the default route is used even when it is not called eth0", () => {
  withPod({ ifname: "net1" }, (pod) => {
    const { info, ledger } = setup(pod, "c");
    assert.equal(info?.ip, "10.99.0.2");
    assert.match(pod.observe().filters["net1"], /Egress Redirect to device tap0_urunc/);
    assert.deepEqual(cleanup(pod, ledger), []);
    assertClean(pod, ["lo", "net1"]);
  });
});

test("a tap0_urunc that urunc did not create is refused and left exactly as it was", () => {
  withPod({}, (pod) => {
    pod.ip("tuntap", "add", "dev", "tap0_urunc", "mode", "tap");
    const before = pod.observe();
    assert.throws(() => setup(pod, "c"), {
      message:
        "network namespace already has an interface named tap0_urunc that urunc did not create",
    });
    assert.deepEqual(pod.observe(), before);
  });
});

test("/dev/net/tun missing is an error naming the open and ENOENT, with nothing left", () => {
  withPod({}, (pod) => {
    const ledger: NetResource[] = [];
    assert.throws(() => setup(pod, "c", ledger, "/nonexistent/net/tun"), {
      name: "NetworkSetupError",
      message:
        'network setup failed at "create tap tap0_urunc": open(/nonexistent/net/tun) failed: ENOENT (No such file or directory)',
    });
    assertClean(pod);
    assert.deepEqual(cleanup(pod, ledger), []);
    assertClean(pod);
  });
});

test("an ingress qdisc someone else put on eth0 is refused and kept", () => {
  withPod({}, (pod) => {
    pod.tc("qdisc", "add", "dev", "eth0", "ingress");
    assert.throws(
      () => setup(pod, "c"),
      /interface eth0 already has an ingress qdisc that urunc did not create/,
    );
    const o = pod.observe();
    assert.deepEqual([o.links, o.ingress], [["eth0", "lo"], ["eth0"]]);
  });
});

test("static mode is refused before anything is created", () => {
  withPod({}, (pod) => {
    assert.throws(
      () =>
        withNetns(
          pod.path,
          () =>
            setupNetwork({
              plan: { mode: "static", tap: "tap0_urunc" },
              containerId: "k",
              uid: 0,
              gid: 0,
              record: () => {},
            }),
        ),
      { name: "StaticNetworkUnsupportedError" },
    );
    assertClean(pod);
  });
});

test("cleanup leaves a tap whose alias is no longer ours and reports it", () => {
  withPod({}, (pod) => {
    const { ledger } = setup(pod, "mine");
    pod.ip("link", "set", "tap0_urunc", "alias", "hijacked");
    const problems = cleanup(pod, ledger);
    assert.deepEqual(problems, [
      'tap tap0_urunc: left in place: its alias is "hijacked", not "urunc:mine"',
    ]);
    const o = pod.observe();
    assert.deepEqual([o.links, o.ingress, o.filters], [["eth0", "lo", "tap0_urunc"], [], {}]);
  });
});
