// Block pass-through for real (root, loop devices, the fake monitor): a rootfs that is an
// ext4 filesystem on a loop device and a bind of another one are unmounted on the host for
// the guest, their loop devices keep existing (autoclear cleared), and `delete` mounts them
// back with autoclear set again -- also after a crash at every storage step. A device that
// is mounted anywhere else too is refused, leaving nothing behind.
import assert from "node:assert/strict";
import { autoclear, mountAt } from "../helpers/mounts.ts";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot } from "../helpers/subreaper.ts";
import { createAt, lastLogError, sh, testGlobals, urunc } from "../helpers/urunc.ts";

const ready = isRoot();

/** ext4 on a loop device (mount -o loop: autoclear set) at `mnt`, holding `files`. */
function loopMount(img: string, mnt: string, files: Record<string, string>): string {
  const f = Deno.openSync(img, { write: true, create: true });
  f.truncateSync(8 * 1024 * 1024);
  f.close();
  assert.equal(sh(["mkfs.ext4", "-q", "-F", img]).code, 0);
  Deno.mkdirSync(mnt, { recursive: true });
  assert.equal(sh(["mount", "-o", "loop", img, mnt]).code, 0);
  for (const [p, c] of Object.entries(files)) Deno.writeTextFileSync(join(mnt, p), c);
  return mountAt(mnt)!.source;
}

function unmountAll(mnt: string): void {
  while (mountAt(mnt) !== null && sh(["umount", mnt]).code === 0) { /* stacked mounts */ }
}

interface Setup {
  dir: string;
  g: string[];
  bundle: string;
  rootDev: string;
  volDev: string;
  vol: string;
}

function setup(tag: string, extraMount?: (s: Setup) => void): Setup {
  const dir = Deno.makeTempDirSync({ prefix: `urunc-handover-${tag}-` });
  const g = testGlobals(dir, writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR));
  const vol = join(dir, "vol");
  const volDev = loopMount(join(dir, "vol.img"), vol, { "data.txt": "volume\n" });
  const bundle = makeBundle(join(dir, "b"), {
    annotations: { ...LINUX_QEMU, "com.urunc.unikernel.mountRootfs": "true" },
    args: ["/urunit", "fake:sleep"],
    namespaces: [{ type: "pid" }, { type: "mount" }, { type: "network" }],
    files: {},
    extra: {
      mounts: [
        { destination: "/proc", type: "proc", source: "proc" },
        { destination: "/disk", type: "bind", source: vol, options: ["rbind", "rw"] },
      ],
    },
  });
  const rootDev = loopMount(join(dir, "root.img"), join(bundle, "rootfs"), {
    kernel: "fake kernel\n",
    initrd: "fake initrd\n",
  });
  const s = { dir, g, bundle, rootDev, volDev, vol };
  extraMount?.(s);
  return s;
}

function teardown(s: Setup): void {
  unmountAll(join(s.bundle, "rootfs"));
  unmountAll(s.vol);
  Deno.removeSync(s.dir, { recursive: true });
}

/** Both filesystems are mounted where they were, from the same devices, autoclear set. */
function assertRestored(s: Setup): void {
  assert.equal(mountAt(join(s.bundle, "rootfs"))?.source, s.rootDev);
  assert.equal(mountAt(s.vol)?.source, s.volDev);
  assert.equal(autoclear(s.rootDev), "1");
  assert.equal(autoclear(s.volDev), "1");
  assert.equal(Deno.readTextFileSync(join(s.bundle, "rootfs", "kernel")), "fake kernel\n");
  assert.equal(Deno.readTextFileSync(join(s.vol, "data.txt")), "volume\n");
  assert.deepEqual([...Deno.readDirSync(join(s.dir, "state"))], [], "no state dir");
}

function createWithFault(s: Setup, fault: string | null): Promise<number> {
  return createAt(s.g, {
    bundle: s.bundle,
    pidFile: join(s.dir, "pid"),
    id: "h1",
    fault: fault ?? undefined,
  });
}

/** delete --force succeeds and everything is back; on any failure, delete again and tear down. */
async function deleteAndCheck(s: Setup): Promise<void> {
  const d = await urunc([...s.g, "delete", "--force", "h1"]);
  assert.equal(d.code, 0, lastLogError(join(s.dir, "log.json")) ?? d.stderr);
  assertRestored(s);
}

async function cleanup(s: Setup): Promise<void> {
  await urunc([...s.g, "delete", "--force", "h1"]);
  teardown(s);
}

Deno.test({
  name: "block pass-through: rootfs and volume handed to the guest, back on the host after delete",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const s = setup("ok");
    try {
      assert.equal(await createWithFault(s, null), 0, lastLogError(join(s.dir, "log.json")) ?? "");
      // Unmounted on the host, loop devices kept (autoclear cleared).
      assert.equal(mountAt(join(s.bundle, "rootfs")), null);
      assert.equal(mountAt(s.vol), null);
      assert.equal(autoclear(s.rootDev), "0");
      assert.equal(autoclear(s.volDev), "0");
      const st = await urunc([...s.g, "start", "h1"]);
      assert.equal(st.code, 0, lastLogError(join(s.dir, "log.json")) ?? st.stderr);
      const pid = Number(Deno.readTextFileSync(join(s.dir, "pid")));
      const argv = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0");
      assert.ok(argv.includes(`format=raw,if=none,id=hd0,file=${s.rootDev}`), argv.join(" "));
      assert.ok(argv.some((a) => a.startsWith("format=raw,if=none,id=vol1,file=" + s.volDev)));
      await deleteAndCheck(s);
    } finally {
      await cleanup(s);
    }
  },
});

for (const point of ["create:after-rootfs-handover", "create:after-volume-handover"]) {
  Deno.test({
    name: `block pass-through: crash at ${point}, delete --force mounts everything back`,
    ignore: !ready,
    async fn() {
      becomeSubreaper();
      const s = setup(point.replace(/[^a-z]/g, ""));
      try {
        assert.equal(await createWithFault(s, point), 137, "create was killed at the fault point");
        assert.equal(mountAt(join(s.bundle, "rootfs")), null, "the rootfs was handed over");
        await deleteAndCheck(s);
      } finally {
        await cleanup(s);
      }
    },
  });
}

Deno.test({
  name: "block pass-through: a device also mounted elsewhere is refused, nothing changes",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const elsewhere: string[] = [];
    const s = setup("busy", (s) => {
      const other = join(s.dir, "other");
      Deno.mkdirSync(other);
      assert.equal(sh(["mount", s.rootDev, other]).code, 0);
      elsewhere.push(other);
    });
    try {
      assert.equal(await createWithFault(s, null), 1);
      assert.match(
        lastLogError(join(s.dir, "log.json")) ?? "",
        new RegExp(`${s.rootDev} is also mounted at ${elsewhere[0]}`),
      );
      assert.equal(mountAt(join(s.bundle, "rootfs"))?.source, s.rootDev);
      assert.equal(mountAt(s.vol)?.source, s.volDev);
      assert.equal(autoclear(s.rootDev), "1");
      assert.deepEqual([...Deno.readDirSync(join(s.dir, "state"))], []);
    } finally {
      unmountAll(elsewhere[0]);
      teardown(s);
    }
  },
});

Deno.test({
  name: "block pass-through: a shared rootfs propagation is refused before anything changes",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const s = setup("shared");
    try {
      const spec = JSON.parse(Deno.readTextFileSync(join(s.bundle, "config.json")));
      spec.linux.rootfsPropagation = "rshared";
      Deno.writeTextFileSync(join(s.bundle, "config.json"), JSON.stringify(spec));
      assert.notEqual(await createWithFault(s, null), 0);
      assert.match(
        lastLogError(join(s.dir, "log.json")) ?? "",
        /rootfsPropagation "rshared" cannot be used with mountRootfs block pass-through/,
      );
      // Nothing was handed over: both still mounted here, autoclear untouched.
      assertRestored(s);
    } finally {
      await cleanup(s);
    }
  },
});
