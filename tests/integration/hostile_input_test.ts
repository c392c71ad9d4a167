// Hostile input never hangs or floods create: a FIFO where config.json, a
// namespace or urunc.json should be is refused (the process is killed after 20 s
// so a hang fails the test instead of the suite), a device node as urunc.json is
// never opened, echoed values are cut and say their length, and too many
// additionalGids are refused at create. Always: one error line, nothing left.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { isRoot } from "../helpers/subreaper.ts";
import { safeReadDir } from "../helpers/lifecycle.ts";
import { lastLogError, statusWithin, testGlobals, uruncCommand } from "../helpers/urunc.ts";

const ready = isRoot();
const HANG_LIMIT_MS = 20_000;

function mkfifo(path: string): void {
  if (!new Deno.Command("mkfifo", { args: [path] }).outputSync().success) {
    throw new Error(`mkfifo ${path} failed`);
  }
}

/** `urunc create`, killed if it outlives HANG_LIMIT_MS (then `hung` is true). */
async function createBounded(dir: string, bundle: string, id: string) {
  const config = writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR);
  const [cmd, ...args] = uruncCommand([
    ...testGlobals(dir, config),
    "create",
    "--bundle",
    bundle,
    id,
  ]);
  const child = new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
    .spawn();
  const { code, hung } = await statusWithin(child, HANG_LIMIT_MS);
  return { code, hung, error: lastLogError(join(dir, "log.json")) };
}

interface Case {
  name: string;
  bundle?: Parameters<typeof makeBundle>[1];
  mutate?: (bundle: string) => void;
  want: RegExp;
}

const cases: Case[] = [
  {
    name: "config.json is a FIFO",
    mutate: (b) => {
      Deno.removeSync(join(b, "config.json"));
      mkfifo(join(b, "config.json"));
    },
    want: /^invalid \S+\/config\.json: expected a regular file, found a FIFO$/,
  },
  {
    name: "a network namespace path that is a FIFO",
    mutate: (b) => mkfifo(join(b, "netns")),
    bundle: { namespaces: [{ type: "mount" }, { type: "network", path: "NETNS" }] },
    want:
      /^linux\.namespaces: network namespace path \S+\/netns: expected a namespace file, found a FIFO$/,
  },
  {
    name: "a network namespace path that is another kind of namespace",
    bundle: { namespaces: [{ type: "mount" }, { type: "network", path: "/proc/self/ns/ipc" }] },
    want:
      /^linux\.namespaces: network namespace path \/proc\/self\/ns\/ipc: this is an ipc namespace, not a network namespace$/,
  },
  {
    name: "urunc.json is a FIFO",
    bundle: { annotations: {} },
    mutate: (b) => mkfifo(join(b, "rootfs", "urunc.json")),
    want: /^invalid \S+\/urunc\.json: expected a regular file, found a FIFO$/,
  },
  {
    name: "urunc.json is a character device (never opened)",
    bundle: { annotations: {} },
    mutate: (b) => {
      const out = new Deno.Command("mknod", {
        args: [join(b, "rootfs", "urunc.json"), "c", "1", "3"],
      }).outputSync();
      if (!out.success) throw new Error("mknod failed");
    },
    want: /^invalid \S+\/urunc\.json: expected a regular file, found a character device$/,
  },
  {
    name: "a 100 KB annotation is echoed cut, with its length",
    bundle: {
      annotations: { ...LINUX_QEMU, "com.urunc.unikernel.hypervisor": "q".repeat(100_000) },
    },
    want:
      /^invalid annotation "com\.urunc\.unikernel\.hypervisor": .*\.\.\. \(100000 characters\)$/,
  },
  {
    name: "70,000 additionalGids (more than the kernel's NGROUPS_MAX)",
    bundle: {
      user: { uid: 0, gid: 0, additionalGids: Array.from({ length: 70_000 }, (_, i) => i) },
    },
    want: /field "process\.user\.additionalGids": .*65536/,
  },
];

for (const c of cases) {
  Deno.test({
    name: `hostile input: ${c.name}`,
    ignore: !ready,
    async fn() {
      const dir = Deno.makeTempDirSync({ prefix: "urunc-hostile-" });
      try {
        const bundleOpts = { annotations: LINUX_QEMU, ...c.bundle };
        if (bundleOpts.namespaces) {
          bundleOpts.namespaces = bundleOpts.namespaces.map((n) =>
            n.path === "NETNS" ? { ...n, path: join(dir, "bundle", "netns") } : n
          );
        }
        const bundle = makeBundle(join(dir, "bundle"), bundleOpts);
        c.mutate?.(bundle);
        const r = await createBounded(dir, bundle, "h1");
        assert.equal(r.hung, false, "create must not hang");
        assert.notEqual(r.code, 0);
        assert.ok(r.error, "an error line is in the log");
        assert.match(r.error, c.want);
        assert.ok(r.error.length < 1000, `the error line is short (${r.error.length} characters)`);
        assert.deepEqual(safeReadDir(join(dir, "state")), [], "no state dir is left behind");
      } finally {
        Deno.removeSync(dir, { recursive: true });
      }
    },
  });
}
