// Storage end to end, through containerd's runc shim and qemu (TCG), with the test guest
// (scripts/image/guest_init.sh; its /urunit name gets urunit's config, which it applies):
//   (a) mountRootfs with a directory rootfs: the guest's root is the container rootfs over 9p
//   (b) --mount bind of a host directory: the guest reads and writes it; a read-only one refuses
//   (c) a rootfs that is an ext4 filesystem on a loop device: handed to the guest as its root
//       disk, and mounted back on the host (autoclear restored) when the container is deleted
//   (d) a bind of a loop-mounted ext4 filesystem: a disk in the guest, back on the host after
// and nothing of ours is left after each.
import assert from "node:assert/strict";
import { autoclear, mountAt } from "../helpers/mounts.ts";
import { Containerd } from "./containerd.ts";
import {
  artifacts,
  buildDir,
  e2eTest,
  guestLines,
  IMAGE_LAYER_MARKER,
  must,
  run,
  STORAGE_IMAGE_REF,
} from "./helpers.ts";

const MOUNT_ROOTFS = "com.urunc.unikernel.mountRootfs=true";

/** An ext4 image loop-mounted at <dir>/mnt with `mount -o loop` (which sets autoclear). */
async function loopFs(dir: string, sizeMiB: number): Promise<{ mnt: string; device: string }> {
  const img = `${dir}/fs.img`;
  const f = Deno.openSync(img, { write: true, create: true });
  f.truncateSync(sizeMiB * 1024 * 1024);
  f.close();
  await must("mkfs.ext4", ["-q", "-F", img]);
  const mnt = `${dir}/mnt`;
  Deno.mkdirSync(mnt);
  await must("mount", ["-o", "loop", img, mnt]);
  const m = mountAt(mnt);
  assert.ok(
    m !== null && m.source.startsWith("/dev/loop"),
    `not loop-mounted: ${JSON.stringify(m)}`,
  );
  return { mnt, device: m.source };
}

async function unmountQuietly(mnt: string): Promise<void> {
  while (mountAt(mnt) !== null) {
    const r = await run("umount", [mnt]);
    if (r.code !== 0) break;
  }
}

/** The guest's root filesystem tree (what the storage image's layer holds), written to dir. */
async function writeGuestTree(dir: string): Promise<void> {
  for (const d of ["bin", "proc", "sys", "dev", "etc", "root", "lib", "tmp", "data"]) {
    Deno.mkdirSync(`${dir}/${d}`, { recursive: true });
  }
  Deno.copyFileSync("/bin/busybox", `${dir}/bin/busybox`);
  const applets = (await must("/bin/busybox", ["--list"])).stdout.split("\n").filter((a) =>
    a && a !== "busybox"
  );
  for (const a of applets) Deno.symlinkSync("busybox", `${dir}/bin/${a}`);
  Deno.copyFileSync(`${buildDir}/../scripts/image/guest_init.sh`, `${dir}/init`);
  Deno.chmodSync(`${dir}/init`, 0o755);
  Deno.symlinkSync("init", `${dir}/urunit`);
  Deno.writeTextFileSync(`${dir}/${IMAGE_LAYER_MARKER}`, "from-the-loop-device\n");
  Deno.copyFileSync(artifacts.vmlinux, `${dir}/kernel`);
  Deno.copyFileSync(artifacts.initrdStorage, `${dir}/initrd`);
  Deno.copyFileSync(`${buildDir}/urunc.json`, `${dir}/urunc.json`);
}

function out(stdout: string): string[] {
  return guestLines(stdout).filter((l) => l.startsWith("URUNC-TEST-GUEST: out "))
    .map((l) => l.slice("URUNC-TEST-GUEST: out ".length));
}

e2eTest(
  "storage: 9p rootfs, directory volumes, loop-device rootfs and disk volumes through ctr run",
  ["storageImageTar", "vmlinux", "initrdStorage", "urunc"],
  async (t) => {
    // A namespace of its own: cgroups are per namespace name, machine-wide.
    const cd = await Containerd.start({
      namespace: `urunc-e2e-storage-${crypto.randomUUID().slice(0, 8)}`,
    });
    const scratch = Deno.makeTempDirSync({ dir: "/tmp", prefix: "urunc-e2e-storage-" });
    try {
      await cd.importImage(artifacts.storageImageTar);

      await t.step(
        "(a) mountRootfs: the directory rootfs is the guest's root over 9p",
        async () => {
          const r = await cd.run({
            image: STORAGE_IMAGE_REF,
            id: "st-9p",
            runtime: artifacts.urunc,
            flags: ["--annotation", MOUNT_ROOTFS],
            args: ["/urunit", "sh", `cat /${IMAGE_LAYER_MARKER}; grep -c ^fs0.*9p /proc/mounts`],
          });
          assert.equal(r.code, 0, `ctr run failed: ${r.stderr}\n${cd.logTail()}`);
          const lines = guestLines(r.stdout);
          assert.ok(
            lines.includes("URUNC-TEST-GUEST: root fs0 (9p) init /urunit"),
            r.stdout.slice(-3000),
          );
          assert.deepEqual(out(r.stdout), ["from-the-image-layer", "1"], r.stdout.slice(-3000));
          assert.match(r.stdout, /cmdline: .* root=fs0 rw rootfstype=9p rootflags=trans=virtio,/);
          assert.match(r.stdout, / URUNIT_CONFIG=\/urunit\.conf init=\/urunit -- sh /);
          assert.deepEqual(cd.leftovers({ running: true }), []);
        },
      );

      await t.step(
        "(b) bind volumes: read and write a host directory; read-only refuses",
        async () => {
          const rw = `${scratch}/rw`, ro = `${scratch}/ro`;
          Deno.mkdirSync(rw);
          Deno.mkdirSync(ro);
          Deno.writeTextFileSync(`${rw}/in.txt`, "host-wrote\n");
          const r = await cd.run({
            image: STORAGE_IMAGE_REF,
            id: "st-vol",
            runtime: artifacts.urunc,
            flags: [
              "--mount",
              `type=bind,src=${rw},dst=/data,options=rbind:rw`,
              "--mount",
              `type=bind,src=${ro},dst=/ro,options=rbind:ro`,
              // env and cwd travel in urunit's config, not on the kernel command line
              "--env",
              "GREETING=hello from the config",
              "--cwd",
              "/data",
            ],
            args: [
              "/urunit",
              "sh",
              "cat in.txt; echo guest-wrote >/data/out.txt; touch /ro/x 2>/dev/null && echo ro-writable || echo ro-refused; echo $GREETING",
            ],
          });
          assert.equal(r.code, 0, `ctr run failed: ${r.stderr}\n${cd.logTail()}`);
          const lines = guestLines(r.stdout);
          assert.ok(
            lines.some((l) => /^URUNC-TEST-GUEST: share vol\d+ on \/data$/.test(l)),
            r.stdout.slice(-3000),
          );
          assert.ok(
            lines.some((l) => /^URUNC-TEST-GUEST: share vol\d+ on \/ro read-only$/.test(l)),
            lines.join("\n"),
          );
          assert.deepEqual(
            out(r.stdout),
            ["host-wrote", "ro-refused", "hello from the config"],
            r.stdout.slice(-3000),
          );
          assert.ok(lines.includes("URUNC-TEST-GUEST: ids uid=0 gid=0 wd=/data"), lines.join("\n"));
          assert.doesNotMatch(r.stdout, /cmdline: .*GREETING=/);
          assert.equal(Deno.readTextFileSync(`${rw}/out.txt`), "guest-wrote\n");
          assert.deepEqual([...Deno.readDirSync(ro)], []);
          assert.deepEqual(cd.leftovers({ running: true }), []);
        },
      );

      await t.step(
        "(c) a rootfs on a loop device: the guest's root disk, mounted back after delete",
        async () => {
          const dir = `${scratch}/rootdev`;
          Deno.mkdirSync(dir);
          const fs = await loopFs(dir, 160);
          try {
            await writeGuestTree(fs.mnt);
            const before = mountAt(fs.mnt)!;
            assert.equal(autoclear(fs.device), "1");
            const r = await cd.ctr([
              "run",
              "--rm",
              "--runc-binary",
              artifacts.urunc,
              "--runc-root",
              cd.runtimeRoot,
              "--annotation",
              MOUNT_ROOTFS,
              "--rootfs",
              fs.mnt,
              "st-loop",
              "/urunit",
              "sh",
              `cat /${IMAGE_LAYER_MARKER}; grep -c ^/dev/vda.*ext4 /proc/mounts`,
            ], { timeoutMs: 180_000 });
            assert.equal(r.code, 0, `ctr run failed: ${r.stderr}\n${cd.logTail()}`);
            assert.ok(
              guestLines(r.stdout).includes("URUNC-TEST-GUEST: root /dev/vda (ext4) init /urunit"),
              r.stdout.slice(-3000),
            );
            assert.deepEqual(out(r.stdout), ["from-the-loop-device", "1"], r.stdout.slice(-3000));
            assert.match(r.stdout, /cmdline: .* root=\/dev\/vda rw .*URUNIT_CONFIG=\/urunit\.conf/);
            // Back on the host, as it was: same device, autoclear set again.
            assert.deepEqual(mountAt(fs.mnt), before);
            assert.equal(autoclear(fs.device), "1");
            assert.ok(Deno.statSync(`${fs.mnt}/kernel`).isFile);
            assert.deepEqual(cd.leftovers({ running: true }), []);
          } finally {
            await unmountQuietly(fs.mnt);
          }
        },
      );

      await t.step("(d) a bind of a loop-mounted ext4 filesystem appears as a disk", async () => {
        const dir = `${scratch}/voldev`;
        Deno.mkdirSync(dir);
        const fs = await loopFs(dir, 16);
        try {
          Deno.writeTextFileSync(`${fs.mnt}/hello.txt`, "from-the-disk\n");
          const before = mountAt(fs.mnt)!;
          const r = await cd.run({
            image: STORAGE_IMAGE_REF,
            id: "st-disk",
            runtime: artifacts.urunc,
            flags: ["--mount", `type=bind,src=${fs.mnt},dst=/disk,options=rbind:rw`],
            args: ["/urunit", "sh", "cat /disk/hello.txt; echo guest >/disk/guest.txt"],
          });
          assert.equal(r.code, 0, `ctr run failed: ${r.stderr}\n${cd.logTail()}`);
          assert.ok(
            guestLines(r.stdout).some((l) =>
              /^URUNC-TEST-GUEST: disk vol\d+ \/dev\/vd[a-z] on \/disk$/.test(l)
            ),
            r.stdout.slice(-3000),
          );
          assert.deepEqual(out(r.stdout), ["from-the-disk"], r.stdout.slice(-3000));
          assert.deepEqual(mountAt(fs.mnt), before);
          assert.equal(autoclear(fs.device), "1");
          assert.equal(Deno.readTextFileSync(`${fs.mnt}/guest.txt`), "guest\n");
          assert.deepEqual(cd.leftovers({ running: true }), []);
        } finally {
          await unmountQuietly(fs.mnt);
        }
      });
    } finally {
      await cd.stop();
      Deno.removeSync(scratch, { recursive: true });
    }
  },
);
