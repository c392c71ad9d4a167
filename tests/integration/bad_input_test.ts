// Bad input: one specific error line in the --log file, a non-zero exit, nothing
// on the container's stdio, and nothing left behind (no state dir, no process).
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { isRoot } from "../helpers/subreaper.ts";
import { lastLogError, urunc } from "../helpers/urunc.ts";

const ready = isRoot();

interface Case {
  name: string;
  id?: string;
  bundle?: Parameters<typeof makeBundle>[1];
  /** Mutate the bundle after it is written. */
  mutate?: (bundle: string) => void;
  hostConfig?: string;
  want: RegExp;
}

const cases: Case[] = [
  {
    name: "config.json is not JSON",
    mutate: (b) => Deno.writeTextFileSync(join(b, "config.json"), "{not json"),
    want: /^invalid .*config\.json: not JSON/,
  },
  {
    name: "config.json field of the wrong type",
    bundle: { extra: { process: { cwd: "/", user: { uid: "root", gid: 0 }, args: ["/init"] } } },
    want: /^invalid .*config\.json: field "process\.user\.uid": .*expected number/,
  },
  {
    name: "config.json without root",
    bundle: { extra: { root: undefined } },
    want: /field "root"/,
  },
  {
    name: "unknown hypervisor annotation",
    bundle: { annotations: { ...LINUX_QEMU, "com.urunc.unikernel.hypervisor": "qemux" } },
    want: /com\.urunc\.unikernel\.hypervisor.*qemux/,
  },
  {
    name: "unknown unikernel type annotation",
    bundle: { annotations: { ...LINUX_QEMU, "com.urunc.unikernel.unikernelType": "osv" } },
    want: /com\.urunc\.unikernel\.unikernelType.*osv/,
  },
  {
    name: "kernel path escaping the rootfs",
    bundle: { annotations: { ...LINUX_QEMU, "com.urunc.unikernel.binary": "/../../etc/passwd" } },
    want: /com\.urunc\.unikernel\.binary/,
  },
  {
    name: "relative initrd path",
    bundle: { annotations: { ...LINUX_QEMU, "com.urunc.unikernel.initrd": "initrd" } },
    want: /com\.urunc\.unikernel\.initrd/,
  },
  {
    name: "urunc.json that is not JSON",
    bundle: { annotations: {}, uruncJson: "{oops" },
    want: /urunc\.json/,
  },
  {
    name: "kernel missing from the image",
    bundle: { files: { "/initrd": "fake initrd\n" } },
    want:
      /^invalid annotation "com\.urunc\.unikernel\.binary": \/kernel does not exist in the rootfs /,
  },
  {
    name: "initrd named in urunc.json is a directory",
    bundle: {
      annotations: {},
      uruncJson: {
        "com.urunc.unikernel.unikernelType": "linux",
        "com.urunc.unikernel.hypervisor": "qemu",
        "com.urunc.unikernel.binary": "/kernel",
        "com.urunc.unikernel.initrd": "/boot",
      },
      files: { "/kernel": "k", "/boot/x": "x" },
    },
    want:
      /^invalid key "com\.urunc\.unikernel\.initrd" in \S+\/urunc\.json: \/boot is a directory, expected a regular file/,
  },
  {
    name: "block image that is a device node (a host disk)",
    mutate: (b) => {
      const out = new Deno.Command("mknod", { args: [join(b, "rootfs", "disk"), "b", "7", "0"] })
        .outputSync();
      if (!out.success) throw new Error("mknod failed");
    },
    bundle: { annotations: { ...LINUX_QEMU, "com.urunc.unikernel.block": "/disk" } },
    want:
      /^invalid annotation "com\.urunc\.unikernel\.block": \/disk is a block device, expected a regular file/,
  },
  {
    name: "kernel symlink pointing out of the image resolves inside it",
    mutate: (b) => {
      Deno.removeSync(join(b, "rootfs", "kernel"));
      Deno.symlinkSync("/etc/passwd", join(b, "rootfs", "kernel"));
    },
    want: /^invalid annotation "com\.urunc\.unikernel\.binary": \/kernel does not exist/,
  },
  {
    name: "unsupported combination",
    bundle: {
      annotations: {
        ...LINUX_QEMU,
        "com.urunc.unikernel.unikernelType": "unikraft",
        "com.urunc.unikernel.hypervisor": "spt",
      },
    },
    want: /unikraft.*spt|spt.*unikraft/,
  },
  {
    name: "Knative static network mode (not implemented) fails at create, not at start",
    bundle: {
      annotations: { ...LINUX_QEMU, "io.kubernetes.cri.container-name": "user-container" },
    },
    want: /static network mode \(Knative user-container\) is not supported/,
  },
  {
    name: "user namespace requested",
    bundle: { namespaces: [{ type: "pid" }, { type: "mount" }, { type: "user" }] },
    want: /user namespace is not supported/,
  },
  {
    name: "time namespace requested",
    bundle: { namespaces: [{ type: "pid" }, { type: "mount" }, { type: "time" }] },
    want: /time namespace is not supported/,
  },
  {
    name: "no mount namespace (the jail would pivot the host's root)",
    bundle: { namespaces: [{ type: "pid" }, { type: "network" }] },
    want: /a "mount" namespace is required/,
  },
  {
    name: "a mount namespace joined by path",
    bundle: { namespaces: [{ type: "mount", path: "/proc/self/ns/mnt" }] },
    want: /mount namespace must be a new one/,
  },
  {
    name: "namespace path that does not exist",
    bundle: {
      namespaces: [{ type: "mount" }, { type: "network", path: "/var/run/netns/does-not-exist" }],
    },
    want: /network namespace path \/var\/run\/netns\/does-not-exist/,
  },
  {
    name: "terminal without a console socket",
    bundle: { terminal: true },
    want: /--console-socket/,
  },
  { name: "container id with a slash", id: "a/b", want: /invalid container id "a\/b"/ },
  { name: "container id ..", id: "..", want: /invalid container id "\.\."/ },
  {
    name: "monitor binary missing",
    hostConfig: "/nonexistent/qemu-system-x86_64",
    want: /\/nonexistent\/qemu-system-x86_64/,
  },
];

for (const c of cases) {
  Deno.test({
    name: `bad input: ${c.name}`,
    ignore: !ready,
    async fn() {
      const dir = Deno.makeTempDirSync({ prefix: "urunc-bad-" });
      try {
        const root = join(dir, "state");
        const log = join(dir, "log.json");
        const config = writeHostConfig(join(dir, "config.toml"), c.hostConfig ?? FAKE_MONITOR);
        const bundle = makeBundle(join(dir, "bundle"), { annotations: LINUX_QEMU, ...c.bundle });
        c.mutate?.(bundle);
        const r = await urunc([
          "--root",
          root,
          "--log",
          log,
          "--log-format",
          "json",
          "--config",
          config,
          "create",
          "--bundle",
          bundle,
          "--pid-file",
          join(dir, "init.pid"),
          c.id ?? "bad1",
        ]);
        assert.notEqual(r.code, 0);
        assert.equal(r.stdout, "", "create prints nothing on the container's stdout");
        assert.equal(r.stderr, "", "create prints nothing on the container's stderr");
        const err = lastLogError(log);
        assert.ok(err, "an error line is in the log");
        assert.match(err, c.want);
        assert.doesNotMatch(err, /\n/, "the error is one line");
        let left: string[] = [];
        try {
          left = [...Deno.readDirSync(root)].map((e) => e.name);
        } catch { /* never created */ }
        assert.deepEqual(left, [], "no state dir is left behind");
        const procs = new TextDecoder().decode(
          new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).outputSync().stdout,
        );
        assert.ok(!procs.includes(root), "no process of this container is left");
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}
