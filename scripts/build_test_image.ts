// Builds the e2e test artifacts under .build/ from the Debian kernel package that setup.sh
// extracted into .build/kernel-pkg and the host's busybox-static:
//   vmlinux                  uncompressed kernel (PVH entry: boots ~3x faster than the bzImage)
//   initrd                   newc cpio: busybox, virtio-net modules, /init (scripts/image/guest_init.sh)
//   initrd-storage           the same plus virtio-blk, 9p and ext4 modules (the storage image's)
//   urunc.json               urunc metadata for the linux/qemu test image (base64 values)
//   urunc-test-image.tar     OCI layout: /kernel /initrd /urunc.json, Cmd ["/init"]
//   busybox-image.tar        OCI layout: plain busybox, no urunc metadata (runc hand-off)
//   *.docker.tar             the same two images as docker-archives (Docker 20.10 `docker load`)
//   pause-image.tar          OCI layout: the pod sandbox image for the CRI test (.build/pause)
//   test-image-info.json     what went in (kernel release, module order), for tests to print
// Usage: deno run -A scripts/build_test_image.ts
import { cpioNewc, type Entry } from "./image/archive.ts";
import { dockerArchiveTar, type ImageSpec, ociLayoutTar } from "./image/oci.ts";
import {
  BUSYBOX_IMAGE_REF,
  IMAGE_LAYER_MARKER,
  PAUSE_IMAGE_REF,
  STORAGE_IMAGE_REF,
  TEST_IMAGE_REF,
} from "./image/refs.ts";

const repo = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const build = `${repo}/.build`;
const kernelPkg = `${build}/kernel-pkg`;
const busyboxPath = "/bin/busybox";

/** The modules a network-enabled guest needs; their dependencies are found with modinfo. */
const NET_MODULES = ["virtio_pci", "virtio_net"];
/**
 * The storage guest's initrd adds disks, 9p and ext4 (whose checksum driver is requested at
 * mount time, so it is listed). A separate, larger initrd: qemu takes longer to start with it,
 * and the plain test image keeps the small one.
 */
const STORAGE_MODULES = [
  ...NET_MODULES,
  "virtio_blk",
  "9pnet_virtio",
  "9p",
  "ext4",
  "crc32c_generic",
];

function fail(message: string): never {
  console.error(`build_test_image: ${message}`);
  Deno.exit(1);
}

async function run(cmd: string, args: string[], stdin?: Uint8Array): Promise<Uint8Array> {
  const child = new Deno.Command(cmd, {
    args,
    stdin: stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Feed stdin while output() drains stdout: awaiting the write first deadlocks once the
  // child's stdout pipe is full.
  const feeding = stdin
    ? (async () => {
      const writer = child.stdin.getWriter();
      await writer.write(stdin);
      await writer.close();
    })().catch((err) => {
      // `xz --single-stream` stops reading after the stream it wanted; what follows is unused.
      if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
    })
    : Promise.resolve();
  const [out] = await Promise.all([child.output(), feeding]);
  if (!out.success) {
    fail(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return out.stdout;
}

/** Write then rename, so a half-written artifact never looks like a finished one. */
function writeAtomic(path: string, data: Uint8Array | string) {
  const tmp = `${path}.tmp`;
  if (typeof data === "string") Deno.writeTextFileSync(tmp, data);
  else Deno.writeFileSync(tmp, data);
  Deno.renameSync(tmp, path);
}

function indexOf(haystack: Uint8Array, needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Only a statically linked busybox can run in an initrd or a bare image. */
function assertStatic(elf: Uint8Array, path: string) {
  const view = new DataView(elf.buffer, elf.byteOffset);
  if (indexOf(elf.subarray(0, 4), [0x7f, 0x45, 0x4c, 0x46]) !== 0) fail(`${path} is not ELF`);
  const phoff = Number(view.getBigUint64(0x20, true));
  const phentsize = view.getUint16(0x36, true);
  const phnum = view.getUint16(0x38, true);
  for (let i = 0; i < phnum; i++) {
    const PT_INTERP = 3;
    if (view.getUint32(phoff + i * phentsize, true) === PT_INTERP) {
      fail(`${path} is dynamically linked: install busybox-static`);
    }
  }
}

function findKernel(): { release: string; bzImage: string; modulesDir: string; config: string } {
  let boot: string[];
  try {
    boot = [...Deno.readDirSync(`${kernelPkg}/boot`)].map((e) => e.name);
  } catch {
    fail(`${kernelPkg} is missing: run scripts/setup.sh first`);
  }
  const images = boot.filter((n) => n.startsWith("vmlinuz-"));
  if (images.length !== 1) fail(`expected one vmlinuz-* in ${kernelPkg}/boot, found ${images}`);
  const release = images[0].slice("vmlinuz-".length);
  return {
    release,
    bzImage: `${kernelPkg}/boot/${images[0]}`,
    modulesDir: `${kernelPkg}/lib/modules/${release}`,
    config: `${kernelPkg}/boot/config-${release}`,
  };
}

/** The bzImage payload is xz (Debian): decompress from the xz magic, as extract-vmlinux does. */
async function extractVmlinux(bzImage: string): Promise<Uint8Array> {
  const image = Deno.readFileSync(bzImage);
  const at = indexOf(image, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
  if (at < 0) fail(`no xz payload in ${bzImage}`);
  // --single-stream: the payload is followed by the setup code's trailer, not another stream.
  const vmlinux = await run("xz", ["-dc", "--single-stream"], image.subarray(at));
  if (indexOf(vmlinux.subarray(0, 4), [0x7f, 0x45, 0x4c, 0x46]) !== 0) {
    fail(`the xz payload of ${bzImage} is not an ELF vmlinux`);
  }
  return vmlinux;
}

function findModuleFiles(dir: string, into = new Map<string, string>()): Map<string, string> {
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) findModuleFiles(path, into);
    const m = e.name.match(/^(.+)\.ko(\.xz)?$/);
    // modinfo prints names with '_' whatever the file uses.
    if (m) into.set(m[1].replaceAll("-", "_"), path);
  }
  return into;
}

/** Modules (name, plain .ko bytes) in load order: each after everything it depends on. */
async function loadModules(modulesDir: string, stage: string, names: readonly string[]) {
  const files = findModuleFiles(`${modulesDir}/kernel`);
  const ordered: { name: string; data: Uint8Array }[] = [];
  const seen = new Set<string>();
  const visit = async (name: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const file = files.get(name) ?? fail(`module ${name} not found under ${modulesDir}`);
    const data = file.endsWith(".xz") ? await run("xz", ["-dc", file]) : Deno.readFileSync(file);
    const staged = `${stage}/${name}.ko`;
    Deno.writeFileSync(staged, data);
    const deps = new TextDecoder().decode(await run("modinfo", ["-F", "depends", staged])).trim();
    for (const dep of deps.split(",").filter(Boolean)) await visit(dep);
    ordered.push({ name, data });
  };
  for (const m of names) await visit(m);
  return ordered;
}

async function busyboxApplets(): Promise<string[]> {
  const list = new TextDecoder().decode(await run(busyboxPath, ["--list"]));
  return list.split("\n").filter((a) => a && a !== "busybox").sort();
}

function base64(s: string): string {
  return btoa(s);
}

async function main() {
  const started = performance.now();
  Deno.mkdirSync(build, { recursive: true });
  const kernel = findKernel();
  const config = Deno.readTextFileSync(kernel.config);
  if (!config.includes("\nCONFIG_PVH=y")) {
    console.error("build_test_image: warning: kernel lacks CONFIG_PVH, qemu -kernel vmlinux fails");
  }

  const vmlinux = await extractVmlinux(kernel.bzImage);
  writeAtomic(`${build}/vmlinux`, vmlinux);

  const busybox = Deno.readFileSync(busyboxPath);
  assertStatic(busybox, busyboxPath);
  const applets = await busyboxApplets();
  const stage = Deno.makeTempDirSync({ prefix: "urunc-modules-" });
  const modules = await loadModules(kernel.modulesDir, stage, NET_MODULES);
  const storageModules = await loadModules(kernel.modulesDir, stage, STORAGE_MODULES);
  Deno.removeSync(stage, { recursive: true });

  const enc = new TextEncoder();
  const initScript = Deno.readFileSync(`${repo}/scripts/image/guest_init.sh`);
  const bin: Entry[] = [
    { kind: "dir", path: "bin" },
    { kind: "file", path: "bin/busybox", data: busybox, mode: 0o755 },
    ...applets.map((a): Entry => ({ kind: "symlink", path: `bin/${a}`, target: "busybox" })),
    { kind: "symlink", path: "sbin", target: "bin" },
    { kind: "dir", path: "usr" },
    { kind: "symlink", path: "usr/bin", target: "../bin" },
    { kind: "symlink", path: "usr/sbin", target: "../bin" },
  ];
  const guestInitrd = (modules: { name: string; data: Uint8Array }[]) =>
    cpioNewc([
      ...bin,
      ...["proc", "sys", "tmp", "etc", "root", "lib", "lib/modules"].map((path): Entry => ({
        kind: "dir",
        path,
      })),
      // The kernel opens /dev/console for init's stdio before init can mount devtmpfs.
      { kind: "dir", path: "dev" },
      { kind: "chardev", path: "dev/console", major: 5, minor: 1 },
      { kind: "chardev", path: "dev/null", major: 1, minor: 3, mode: 0o666 },
      ...modules.map((m): Entry => ({
        kind: "file",
        path: `lib/modules/${m.name}.ko`,
        data: m.data,
      })),
      {
        kind: "file",
        path: "lib/modules/order",
        data: enc.encode(modules.map((m) => `${m.name}.ko\n`).join("")),
      },
      { kind: "file", path: "init", data: initScript, mode: 0o755 },
      // Named like urunit, so urunc gives it urunit's config (the >=0.7 contract).
      { kind: "symlink", path: "urunit", target: "init" },
    ]);
  const initrd = guestInitrd(modules);
  const storageInitrd = guestInitrd(storageModules);
  writeAtomic(`${build}/initrd`, initrd);
  writeAtomic(`${build}/initrd-storage`, storageInitrd);

  // Flat object, every value base64, as the image builder bunny writes it.
  const uruncJson = JSON.stringify({
    "com.urunc.unikernel.unikernelType": base64("linux"),
    "com.urunc.unikernel.hypervisor": base64("qemu"),
    "com.urunc.unikernel.binary": base64("/kernel"),
    "com.urunc.unikernel.initrd": base64("/initrd"),
    "com.urunc.unikernel.useDMBlock": base64("false"),
  });
  writeAtomic(`${build}/urunc.json`, uruncJson);

  const testImage: ImageSpec = {
    ref: TEST_IMAGE_REF,
    cmd: ["/init"],
    layer: [
      { kind: "file", path: "kernel", data: vmlinux },
      { kind: "file", path: "initrd", data: initrd },
      { kind: "file", path: "urunc.json", data: enc.encode(uruncJson) },
    ],
  };
  const busyboxImage: ImageSpec = {
    ref: BUSYBOX_IMAGE_REF,
    cmd: ["/bin/sh", "-c", "echo hello-from-runc"],
    layer: [
      ...bin,
      ...["dev", "proc", "sys", "etc", "root"].map((path): Entry => ({ kind: "dir", path })),
      { kind: "dir", path: "tmp", mode: 0o1777 },
    ],
  };
  writeAtomic(`${build}/urunc-test-image.tar`, await ociLayoutTar(testImage));
  writeAtomic(`${build}/busybox-image.tar`, await ociLayoutTar(busyboxImage));
  writeAtomic(`${build}/urunc-test-image.docker.tar`, await dockerArchiveTar(testImage));
  writeAtomic(`${build}/busybox-image.docker.tar`, await dockerArchiveTar(busyboxImage));

  // The storage tests' image: the guest's whole tree in the layer (what a 9p or block root
  // switches into), the kernel and initrd (early userspace), and a file only this layer has.
  writeAtomic(
    `${build}/urunc-storage-image.tar`,
    await ociLayoutTar({
      ref: STORAGE_IMAGE_REF,
      cmd: ["/urunit", "sh", "cat /" + IMAGE_LAYER_MARKER],
      layer: [
        // No usr/bin -> ../bin: the jail would then bind qemu under /bin, where it cannot
        // find its firmware (reference/test-guest.md).
        ...bin.filter((e) => !e.path.startsWith("usr")),
        ...["proc", "sys", "dev", "etc", "root", "lib", "lib/modules", "data"].map((
          path,
        ): Entry => ({ kind: "dir", path })),
        { kind: "dir", path: "tmp", mode: 0o1777 },
        { kind: "file", path: "init", data: initScript, mode: 0o755 },
        { kind: "symlink", path: "urunit", target: "init" },
        { kind: "file", path: IMAGE_LAYER_MARKER, data: enc.encode("from-the-image-layer\n") },
        { kind: "file", path: "kernel", data: vmlinux },
        { kind: "file", path: "initrd", data: storageInitrd },
        { kind: "file", path: "urunc.json", data: enc.encode(uruncJson) },
      ],
    }),
  );

  let pause: Uint8Array;
  try {
    pause = Deno.readFileSync(`${build}/pause`);
  } catch {
    fail(`${build}/pause is missing: scripts/setup.sh builds it from scripts/image/pause.c`);
  }
  writeAtomic(
    `${build}/pause-image.tar`,
    await ociLayoutTar({
      ref: PAUSE_IMAGE_REF,
      cmd: ["/pause"],
      layer: [
        { kind: "file", path: "pause", data: pause, mode: 0o755 },
        ...["dev", "proc", "sys", "etc"].map((path): Entry => ({ kind: "dir", path })),
      ],
    }),
  );

  writeAtomic(
    `${build}/test-image-info.json`,
    JSON.stringify(
      {
        kernelRelease: kernel.release,
        modules: modules.map((m) => m.name),
        storageModules: storageModules.map((m) => m.name),
        testImage: TEST_IMAGE_REF,
        busyboxImage: BUSYBOX_IMAGE_REF,
        pauseImage: PAUSE_IMAGE_REF,
      },
      null,
      2,
    ) + "\n",
  );
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `build_test_image: kernel ${kernel.release}, modules ${
      modules.map((m) => m.name).join(" ")
    }; ` +
      `built in ${secs} s`,
  );
}

if (import.meta.main) await main();
