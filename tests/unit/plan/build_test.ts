import assert from "node:assert/strict";
import { buildPlan } from "../../../lib/plan/build.ts";
import { errorOf, input, PATHS } from "./helpers.ts";

const argAfter = (argv: string[], flag: string) => argv[argv.indexOf(flag) + 1];

Deno.test("guest memory: MiB from the limit, host default when unset, zero or tiny", () => {
  const cases: [number | null, number, number][] = [
    [268435456, 256, 256],
    [536870912, 256, 512],
    [1073741824, 256, 1024],
    [300 * 1000 * 1000, 256, 286],
    [null, 256, 256],
    [null, 1024, 1024],
    [1000, 128, 128],
  ];
  for (const [limit, def, want] of cases) {
    const q = buildPlan(
      input({ spec: { memoryLimitBytes: limit }, host: (h) => (h.defaults.memoryMiB = def) }),
    );
    assert.equal(argAfter(q.monitor.argv, "-m"), `${want}M`, `qemu ${limit}`);
    const s = buildPlan(input({
      spec: { memoryLimitBytes: limit },
      config: { unikernelType: "mirage", hypervisor: "hvt" },
      host: (h) => (h.defaults.memoryMiB = def),
    }));
    assert.equal(s.monitor.argv[1], `--mem=${want}`, `solo5 ${limit}`);
    const f = buildPlan(input({
      spec: { memoryLimitBytes: limit },
      config: { hypervisor: "firecracker" },
      host: (h) => (h.defaults.memoryMiB = def),
    }));
    assert.equal(
      JSON.parse(f.monitor.files[0].content)["machine-config"].mem_size_mib,
      want,
      `firecracker ${limit}`,
    );
  }
  assert.match(buildPlan(input({ spec: { memoryLimitBytes: 1000 } })).warnings[0], /below 1 MiB/);
});

Deno.test("vCPUs: ceil(quota/period), -smp only above 1, solo5 clamps to 1 with a warning", () => {
  const cases: [number | null, number | null, number][] = [
    [null, null, 1],
    [100000, 100000, 1],
    [150000, 100000, 2],
    [400000, 100000, 4],
    [0, 100000, 1],
    [-1, 100000, 1],
    [50000, null, 1],
  ];
  for (const [quota, period, want] of cases) {
    const q = buildPlan(input({ spec: { cpuQuota: quota, cpuPeriod: period } }));
    assert.equal(q.guest.vcpus, want);
    assert.equal(q.monitor.argv.includes("-smp"), want > 1);
    if (want > 1) assert.equal(argAfter(q.monitor.argv, "-smp"), String(want));
    const f = buildPlan(
      input({
        spec: { cpuQuota: quota, cpuPeriod: period },
        config: { hypervisor: "firecracker" },
      }),
    );
    assert.equal(JSON.parse(f.monitor.files[0].content)["machine-config"].vcpu_count, want);
  }
  const s = buildPlan(
    input({
      spec: { cpuQuota: 200000, cpuPeriod: 100000 },
      config: { unikernelType: "rumprun", hypervisor: "hvt" },
    }),
  );
  assert.equal(s.guest.vcpus, 1);
  assert.match(s.warnings.join("\n"), /at most 1 vCPU/);
  assert.equal(buildPlan(input({ host: (h) => (h.defaults.vcpus = 3) })).guest.vcpus, 3);
});

Deno.test("qemu acceleration: KVM when usable, TCG otherwise or when forced", () => {
  const cases: {
    kvm: boolean;
    accel: "auto" | "kvm" | "tcg";
    arch: "amd64" | "arm64";
    uses: boolean;
    cpu: string | null;
  }[] = [
    { kvm: true, accel: "auto", arch: "amd64", uses: true, cpu: "host" },
    { kvm: false, accel: "auto", arch: "amd64", uses: false, cpu: null },
    { kvm: true, accel: "tcg", arch: "amd64", uses: false, cpu: null },
    { kvm: true, accel: "kvm", arch: "amd64", uses: true, cpu: "host" },
    { kvm: true, accel: "tcg", arch: "arm64", uses: false, cpu: "max" },
    { kvm: true, accel: "auto", arch: "arm64", uses: true, cpu: "host" },
  ];
  for (const c of cases) {
    const plan = buildPlan(input({
      facts: { kvm: c.kvm, arch: c.arch, monitorPaths: { qemu: "/usr/bin/qemu" } },
      host: (h) => (h.monitors.qemu.accel = c.accel),
    }));
    const argv = plan.monitor.argv;
    assert.equal(plan.monitor.usesKvm, c.uses, JSON.stringify(c));
    assert.equal(argv.includes("-enable-kvm"), c.uses, JSON.stringify(c));
    assert.equal(argv.includes("-cpu") ? argAfter(argv, "-cpu") : null, c.cpu, JSON.stringify(c));
    assert.equal(plan.jail.devices.includes("/dev/kvm"), c.uses);
  }
  assert.equal(
    errorOf(() =>
      buildPlan(input({ facts: { kvm: false }, host: (h) => (h.monitors.qemu.accel = "kvm") }))
    ),
    '[monitors.qemu] accel = "kvm" in the host config, but /dev/kvm is not usable on this host',
  );
});

Deno.test("firecracker and hvt need KVM; spt never uses it", () => {
  assert.equal(
    errorOf(() =>
      buildPlan(input({ config: { hypervisor: "firecracker" }, facts: { kvm: false } }))
    ),
    "firecracker needs KVM, but /dev/kvm is not usable on this host",
  );
  assert.equal(
    errorOf(() =>
      buildPlan(
        input({ config: { unikernelType: "mirage", hypervisor: "hvt" }, facts: { kvm: false } }),
      )
    ),
    "hvt needs KVM, but /dev/kvm is not usable on this host",
  );
  const spt = buildPlan(
    input({ config: { unikernelType: "mirage", hypervisor: "spt" }, facts: { kvm: false } }),
  );
  assert.equal(spt.monitor.usesKvm, false);
  assert.ok(!spt.jail.devices.includes("/dev/kvm"));
});

Deno.test("monitor path: from the facts (the probe prefers the host config); missing monitor is one clear error", () => {
  const fromFacts = buildPlan(
    input({ facts: { monitorPaths: { qemu: "/opt/qemu/bin/qemu-system-x86_64" } } }),
  );
  assert.equal(fromFacts.monitor.argv[0], "/opt/qemu/bin/qemu-system-x86_64");
  assert.equal(fromFacts.jail.binds[0].path, "/opt/qemu/bin/qemu-system-x86_64");
  assert.equal(
    errorOf(() =>
      buildPlan(
        input({ host: (h) => (h.monitors.qemu.path = "/nope/qemu"), facts: { monitorPaths: {} } }),
      )
    ),
    'monitor qemu is not installed: [monitors.qemu] path "/nope/qemu" in the host config is not an executable file',
  );
  assert.equal(
    errorOf(() => buildPlan(input({ facts: { monitorPaths: {} } }))),
    "monitor qemu is not installed: qemu-system-x86_64 is not in PATH and [monitors.qemu] path is not set in the host config",
  );
  assert.match(
    errorOf(() => buildPlan(input({ facts: { monitorPaths: {}, arch: "arm64" } }))),
    /qemu-system-aarch64 is not in PATH/,
  );
});

Deno.test("extra_args go before -append (qemu), after the flags (firecracker), before the kernel (solo5)", () => {
  const q = buildPlan(input({ host: (h) => (h.monitors.qemu.extraArgs = ["-d", "guest_errors"]) }));
  assert.deepEqual(q.monitor.argv.slice(-4, -2), ["-d", "guest_errors"]);
  const f = buildPlan(
    input({
      config: { hypervisor: "firecracker" },
      host: (h) => (h.monitors.firecracker.extraArgs = ["--level", "Debug"]),
    }),
  );
  assert.deepEqual(f.monitor.argv.slice(-2), ["--level", "Debug"]);
  const s = buildPlan(
    input({
      config: { unikernelType: "mirage", hypervisor: "hvt" },
      host: (h) => (h.monitors.hvt.extraArgs = ["--x"]),
    }),
  );
  assert.equal(s.monitor.argv.at(-3), "--x");
});

Deno.test("network: static mode for the Knative user container; invalid mask is an error", () => {
  const plan = buildPlan(input({
    spec: { annotations: { "io.kubernetes.cri.container-name": "user-container" } },
    facts: {
      network: {
        ip: "10.9.9.9",
        mask: "255.255.0.0",
        gateway: "10.9.0.1",
        tap: "tap0_urunc",
        mac: "aa:bb:cc:dd:ee:02",
      },
    },
  }));
  assert.equal(plan.network?.mode, "static");
  assert.deepEqual(plan.network?.guest, {
    ip: "172.16.1.2",
    mask: "255.255.255.0",
    prefix: 24,
    gateway: "172.16.1.1",
    mac: "aa:bb:cc:dd:ee:02",
  });
  assert.match(plan.guest.cmdline, /netdev\.ip=172\.16\.1\.2\/24:172\.16\.1\.1:8\.8\.8\.8/);
  const wide = buildPlan(
    input({
      facts: {
        network: { ip: "10.4.0.2", mask: "255.255.0.0", gateway: "10.4.0.1", tap: "t", mac: "" },
      },
    }),
  );
  assert.equal(wide.network?.mode, "dynamic");
  assert.match(wide.guest.cmdline, /netdev\.ip=10\.4\.0\.2\/16:/);
  assert.equal(
    errorOf(() =>
      buildPlan(
        input({
          facts: {
            network: { ip: "1.2.3.4", mask: "255.255.255", gateway: "", tap: "t", mac: "" },
          },
        }),
      )
    ),
    'invalid network mask "255.255.255": expected dotted decimal like 255.255.255.0',
  );
  const fcNoMac = buildPlan(
    input({
      config: { hypervisor: "firecracker" },
      facts: {
        network: { ip: "1.2.3.4", mask: "255.0.0.0", gateway: "1.0.0.1", tap: "tap9", mac: "" },
      },
    }),
  );
  assert.deepEqual(JSON.parse(fcNoMac.monitor.files[0].content)["network-interfaces"], [{
    iface_id: "net1",
    host_dev_name: "tap9",
  }]);
});

Deno.test("mountRootfs: block pass-through only for a real block device the type reads, else a shared fs, else one error", () => {
  const dm = (
    o: {
      type: "linux" | "rumprun" | "mirage";
      device: string;
      fstype: string;
      isBlockDevice?: boolean;
      block?: string;
    },
  ) =>
    buildPlan(input({
      config: {
        unikernelType: o.type,
        hypervisor: o.type === "linux" ? "qemu" : "hvt",
        mountRootfs: true,
        block: o.block ?? "",
        initrd: o.type === "linux" ? "/.boot/rootfs" : "",
      },
      facts: {
        rootfsMount: {
          mountpoint: "/r",
          device: o.device,
          fstype: o.fstype,
          isBlockDevice: o.isBlockDevice,
        },
      },
    }));
  const yes = dm({ type: "linux", device: "/dev/mapper/snap-1", fstype: "ext4" });
  assert.deepEqual(yes.storage, {
    rootfs: "block",
    block: { path: "/dev/mapper/snap-1", source: "devmapper" },
    devmapper: {
      device: "/dev/mapper/snap-1",
      fstype: "ext4",
      keep: ["/.boot/kernel", "/.boot/rootfs"],
    },
    shared: null,
    volumes: [],
    helpers: [],
  });
  assert.ok(yes.jail.devices.includes("/dev/mapper/snap-1"));
  assert.ok(yes.guest.cmdline.includes("root=/dev/vda rw"));
  // the initrd stays, as the guest's early userspace
  assert.equal(argAfter(yes.monitor.argv, "-initrd"), "/.boot/rootfs");
  assert.deepEqual(yes.warnings, []);

  // a directory rootfs: linux on qemu shares it through 9p (host default)
  const overlay = dm({ type: "linux", device: "overlay", fstype: "overlay" });
  assert.equal(overlay.storage.rootfs, "9p");
  assert.deepEqual(overlay.storage.shared, {
    fs: "9p",
    jailPath: "/tmp/urunc/rootfs",
    readonly: false,
  });
  assert.match(overlay.guest.cmdline, / root=fs0 rw rootfstype=9p rootflags=trans=virtio,/);
  assert.ok(overlay.guest.cmdline.includes(" init=/bin/app -- "));
  assert.equal(
    argAfter(overlay.monitor.argv, "-fsdev"),
    "local,id=fs0,path=/tmp/urunc/rootfs,security_model=none",
  );
  assert.deepEqual(overlay.jail.shares, [
    { source: null, target: "/tmp/urunc/rootfs", readonly: false },
  ]);

  // /dev/mapper/x that is not a block node is not passed through: shared instead
  assert.equal(
    dm({ type: "linux", device: "/dev/mapper/x", fstype: "ext4", isBlockDevice: false }).storage
      .rootfs,
    "9p",
  );
  assert.equal(
    dm({ type: "rumprun", device: "/dev/mapper/x", fstype: "ext2" }).storage.devmapper?.device,
    "/dev/mapper/x",
  );
  assert.equal(
    errorOf(() => dm({ type: "rumprun", device: "/dev/mapper/x", fstype: "ext4" })),
    "cannot give the container rootfs (com.urunc.unikernel.mountRootfs) to a rumprun guest on hvt: the rootfs is ext4 on the block device /dev/mapper/x; rumprun on hvt takes a rootfs on a ext2 block device (devmapper snapshotter)",
  );
  assert.equal(
    errorOf(() => dm({ type: "mirage", device: "overlay", fstype: "overlay" })),
    "cannot give the container rootfs (com.urunc.unikernel.mountRootfs) to a mirage guest on hvt: the rootfs is a directory (overlay from overlay); mirage on hvt cannot take the container rootfs at all (try another monitor: qemu, spt); package the root filesystem as an initrd or the block annotation",
  );
  // a block annotation wins over the container rootfs, saying so
  const ann = dm({ type: "linux", device: "/dev/mapper/x", fstype: "ext4", block: "/disk.img" });
  assert.deepEqual(ann.storage.block, { path: "/disk.img", source: "annotation" });
  assert.match(ann.warnings.join("\n"), /the block annotation names the guest's root/);
  // unikraft on qemu: 9pfs root via vfs.fstab; with an initrd the initrd wins (upstream)
  const uk = buildPlan(
    input({
      spec: { args: ["/app"] },
      config: { mountRootfs: true },
      facts: { rootfsMount: { mountpoint: "/r", device: "/dev/sda", fstype: "ext4" } },
    }),
  );
  assert.equal(uk.storage.rootfs, "9p");
  assert.ok(uk.guest.cmdline.includes(`vfs.fstab=[ "fs0:/:9pfs:::" ]`));
  const ukInitrd = buildPlan(
    input({ spec: { args: ["/app"] }, config: { mountRootfs: true, initrd: "/i" } }),
  );
  assert.equal(ukInitrd.storage.rootfs, "initrd");
  assert.match(ukInitrd.warnings.join("\n"), /unikraft boots from its initrd \/i/);
});

Deno.test("initrd/block a type cannot use are dropped with a warning", () => {
  const m = buildPlan(
    input({ spec: { args: ["--x"] }, config: { unikernelType: "mirage", initrd: "/i" } }),
  );
  assert.equal(m.guest.initrd, null);
  assert.ok(!m.monitor.argv.includes("-initrd"));
  assert.match(m.warnings.join("\n"), /mirage does not boot from an initrd/);
  const u = buildPlan(input({ config: { block: "/disk.img" } }));
  assert.equal(u.guest.block, null);
  assert.match(u.warnings.join("\n"), /unikraft does not support block devices/);
});

Deno.test("linux without any init program is an error", () => {
  assert.equal(
    errorOf(() => buildPlan(input({ spec: { args: [] }, config: { unikernelType: "linux" } }))),
    "linux guests need an init program: process.args is empty and com.urunc.unikernel.cmdline is unset",
  );
  for (const first of ["", "  "]) {
    assert.equal(
      errorOf(() =>
        buildPlan(input({ spec: { args: [first, "x"] }, config: { unikernelType: "linux" } }))
      ),
      `linux guests need an init program: the first argument is ${JSON.stringify(first)}`,
    );
  }
});

Deno.test("qemu option values double their commas", () => {
  const plan = buildPlan(
    input({ spec: { args: ["/x"] }, config: { unikernelType: "mirage", block: "/a,b.img" } }),
  );
  assert.equal(argAfter(plan.monitor.argv, "-drive"), "format=raw,if=none,id=hd0,file=/a,,b.img");
});

Deno.test("monitor env is clean, jail lists binary, libs, qemu data and devices", () => {
  const q = buildPlan(input());
  // Literal on purpose: anything added here (LD_PRELOAD, a urunc variable) must fail a test.
  assert.deepEqual(q.monitor.env, [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/",
  ]);
  assert.deepEqual(q.jail, {
    binds: [
      { path: PATHS.qemu, optional: false },
      { path: "/lib", optional: true },
      { path: "/lib64", optional: true },
      { path: "/usr/lib", optional: true },
      { path: "/usr/lib64", optional: true },
      { path: "/usr/share/qemu", optional: true },
      { path: "/usr/share/seabios", optional: true },
      { path: "/usr/lib/ipxe/qemu", optional: true },
    ],
    devices: ["/dev/null", "/dev/urandom", "/dev/kvm", "/dev/net/tun"],
    shares: [],
    proc: false,
    tmpExtraMiB: 0,
  });
  const f = buildPlan(input({ config: { hypervisor: "firecracker" }, facts: { network: null } }));
  assert.equal(f.jail.binds.some((b) => b.path.includes("qemu")), false);
  assert.deepEqual(f.jail.devices, ["/dev/null", "/dev/urandom", "/dev/kvm"]);
});

Deno.test("unikraft version selects the command-line syntax", () => {
  const cases: [string, RegExp, boolean][] = [
    ["", /netdev\.ip=/, false],
    ["0.16.1", /netdev\.ip=/, false],
    ["v0.17.0", /netdev\.ip=/, false],
    ["0.16.1-rc1", /netdev\.ipv4_addr=/, false],
    ["0.15.0", /netdev\.ipv4_addr=/, false],
    ["latest", /netdev\.ip=/, true],
  ];
  for (const [version, re, warns] of cases) {
    const plan = buildPlan(input({ config: { unikernelVersion: version } }));
    assert.match(plan.guest.cmdline, re, version);
    assert.equal(plan.warnings.some((w) => w.includes("not a version number")), warns, version);
  }
  const compatNoNet = buildPlan(
    input({ config: { unikernelVersion: "0.15.0" }, facts: { network: null } }),
  );
  assert.equal(
    compatNoNet.guest.cmdline,
    "/bin/app env.vars=[ PATH=/usr/bin:/bin FOO=bar ] netdev.ipv4_addr= netdev.ipv4_gw_addr= netdev.ipv4_subnet_mask=  -- --flag two words",
  );
});
