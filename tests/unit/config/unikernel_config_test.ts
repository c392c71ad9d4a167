import assert from "node:assert/strict";
import { join } from "node:path";
import { decodeMetadataValue } from "../../../lib/config/decode.ts";
import { resolveUnikernelConfig } from "../../../lib/config/unikernel_config.ts";
import { parseSpec } from "../../../lib/oci/spec.ts";
import { errorOf } from "../plan/helpers.ts";

const P = "com.urunc.unikernel.";
const b64 = (s: string) => btoa(String.fromCharCode(...new TextEncoder().encode(s)));

function specWith(annotations: Record<string, string>) {
  return parseSpec({
    ociVersion: "1.2.0",
    root: { path: "rootfs" },
    process: { user: { uid: 0, gid: 0 }, cwd: "/" },
    annotations,
  }, "config.json");
}

function withRootfs(fn: (rootfs: string) => void, uruncJson?: string | Record<string, unknown>) {
  const dir = Deno.makeTempDirSync({ prefix: "urunc-cfg-" });
  try {
    if (uruncJson !== undefined) {
      Deno.writeTextFileSync(
        join(dir, "urunc.json"),
        typeof uruncJson === "string" ? uruncJson : JSON.stringify(uruncJson),
      );
    }
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const BASE = {
  [`${P}unikernelType`]: "unikraft",
  [`${P}hypervisor`]: "qemu",
  [`${P}binary`]: "/.boot/kernel",
};

Deno.test("decodeMetadataValue: base64 of printable text decodes, anything else is plain", () => {
  const plainWords = [
    "qemu",
    "hvt",
    "spt",
    "firecracker",
    "unikraft",
    "rumprun",
    "mirage",
    "mewz",
    "linux",
    "true",
    "false",
    "1",
    "0",
    "/bin/app",
    "/.boot/kernel",
    "/kernel",
    "0.16.1",
    "v0.15.0",
    "/unikernel/net.hvt",
    "",
  ];
  for (const w of plainWords) {
    assert.equal(decodeMetadataValue(w), w, `plain ${w}`);
    assert.equal(decodeMetadataValue(b64(w)), w, `base64 of ${w}`);
  }
  assert.equal(
    decodeMetadataValue(b64("/bin/app --flag 'two words' 日本")),
    "/bin/app --flag 'two words' 日本",
  );
  assert.equal(decodeMetadataValue("L2tlcm5l\nbA=="), "/kernel", "CR/LF ignored like Go");
  assert.equal(
    decodeMetadataValue("L2tlcm5lbA"),
    "L2tlcm5lbA",
    "missing padding is not strict base64",
  );
  assert.equal(
    decodeMetadataValue(b64("a\u0001b")),
    b64("a\u0001b"),
    "control characters are not text",
  );
  assert.equal(decodeMetadataValue("3q2+7w=="), "3q2+7w==", "invalid UTF-8 is not text");
});

Deno.test("no urunc metadata → null (handed to runc)", () => {
  withRootfs((r) => assert.equal(resolveUnikernelConfig(specWith({}), r, {}), null));
  withRootfs((r) =>
    assert.equal(
      resolveUnikernelConfig(specWith({ other: "x", [`${P}useDMBlock`]: "true" }), r, {}),
      null,
    )
  );
  withRootfs((r) => assert.equal(resolveUnikernelConfig(specWith({}), r, {}), null), {});
});

Deno.test("annotations (plain or base64) and urunc.json give the same config", () => {
  const want = {
    unikernelType: "unikraft",
    hypervisor: "qemu",
    binary: "/.boot/kernel",
    cmdline: "/bin/app 'x y'",
    unikernelVersion: "0.16.1",
    initrd: "/.boot/rootfs",
    block: "",
    blkMntPoint: "",
    mountRootfs: false,
  };
  const plain = {
    ...BASE,
    [`${P}cmdline`]: "/bin/app 'x y'",
    [`${P}unikernelVersion`]: "0.16.1",
    [`${P}initrd`]: "/.boot/rootfs",
    [`${P}useDMBlock`]: "false",
  };
  const encoded = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, b64(v)]));
  withRootfs((r) =>
    assert.deepEqual(resolveUnikernelConfig(specWith(plain), r, {}), {
      ...want,
      source: "annotations",
    })
  );
  withRootfs((r) =>
    assert.deepEqual(resolveUnikernelConfig(specWith(encoded), r, {}), {
      ...want,
      source: "annotations",
    })
  );
  withRootfs(
    (r) =>
      assert.deepEqual(resolveUnikernelConfig(specWith({}), r, {}), {
        ...want,
        source: "urunc.json",
      }),
    encoded,
  );
});

Deno.test("annotations win over urunc.json key by key", () => {
  withRootfs((r) => {
    const c = resolveUnikernelConfig(specWith({ [`${P}hypervisor`]: "firecracker" }), r, {});
    assert.equal(c?.hypervisor, "firecracker");
    assert.equal(c?.binary, "/.boot/kernel");
    assert.equal(c?.source, "urunc.json");
  }, {
    [`${P}unikernelType`]: b64("unikraft"),
    [`${P}hypervisor`]: b64("qemu"),
    [`${P}binary`]: b64("/.boot/kernel"),
    unrelated: 5,
  });
});

Deno.test("mountRootfs wins over its old name useDMBlock; bad values name the key", () => {
  const cases: [string | undefined, string | undefined, boolean][] = [
    ["true", undefined, true],
    ["true", "false", true],
    ["false", "true", false],
    [undefined, "true", true],
    ["", "1", true],
  ];
  for (const [current, old, want] of cases) {
    const ann: Record<string, string> = { ...BASE };
    if (current !== undefined) ann[`${P}mountRootfs`] = current;
    if (old !== undefined) ann[`${P}useDMBlock`] = old;
    withRootfs((r) =>
      assert.equal(
        resolveUnikernelConfig(specWith(ann), r, {})?.mountRootfs,
        want,
        `${current}/${old}`,
      )
    );
  }
  withRootfs((r) => {
    assert.equal(
      resolveUnikernelConfig(specWith({ other: "x", [`${P}mountRootfs`]: "true" }), r, {}),
      null,
      "mountRootfs alone is no unikernel",
    );
    assert.match(
      errorOf(() =>
        resolveUnikernelConfig(specWith({ ...BASE, [`${P}mountRootfs`]: "yes" }), r, {})
      ),
      /^invalid annotation "com.urunc.unikernel.mountRootfs": expected a boolean/,
    );
  });
});

Deno.test("useDMBlock: empty → USE_DEVMAPPER_AS_BLOCK, else false; Go booleans only", () => {
  const cases: [string | undefined, string | undefined, boolean][] = [
    [undefined, undefined, false],
    ["", undefined, false],
    ["", "true", true],
    ["", "", false],
    ["false", "true", false],
    ["True", undefined, true],
    ["1", undefined, true],
    ["0", "1", false],
  ];
  for (const [value, env, want] of cases) {
    const ann = value === undefined ? BASE : { ...BASE, [`${P}useDMBlock`]: value };
    withRootfs((r) => {
      const c = resolveUnikernelConfig(
        specWith(ann),
        r,
        env === undefined ? {} : { USE_DEVMAPPER_AS_BLOCK: env },
      );
      assert.equal(c?.mountRootfs, want, `${value} / ${env}`);
    });
  }
  withRootfs((r) =>
    assert.equal(
      errorOf(() =>
        resolveUnikernelConfig(specWith({ ...BASE, [`${P}useDMBlock`]: "yes" }), r, {})
      ),
      'invalid annotation "com.urunc.unikernel.useDMBlock": expected a boolean (1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False), got "yes"',
    )
  );
  withRootfs((r) =>
    assert.match(
      errorOf(() => resolveUnikernelConfig(specWith(BASE), r, { USE_DEVMAPPER_AS_BLOCK: "maybe" })),
      /^invalid environment variable USE_DEVMAPPER_AS_BLOCK: expected a boolean/,
    )
  );
});

Deno.test("malformed metadata is an error naming key, source and expectation", () => {
  const cases: [Record<string, string>, string][] = [
    [
      { ...BASE, [`${P}hypervisor`]: "qemux" },
      'invalid annotation "com.urunc.unikernel.hypervisor": expected one of qemu, firecracker, hvt, spt, got "qemux"',
    ],
    [
      { ...BASE, [`${P}hypervisor`]: "hedge" },
      'invalid annotation "com.urunc.unikernel.hypervisor": expected one of qemu, firecracker, hvt, spt, got "hedge"',
    ],
    [
      { ...BASE, [`${P}unikernelType`]: "osv" },
      'invalid annotation "com.urunc.unikernel.unikernelType": expected one of unikraft, rumprun, mirage, mewz, linux, got "osv"',
    ],
    [
      { [`${P}hypervisor`]: "qemu", [`${P}binary`]: "/k" },
      'invalid annotation "com.urunc.unikernel.unikernelType": expected one of unikraft, rumprun, mirage, mewz, linux, got nothing',
    ],
    [
      { ...BASE, [`${P}binary`]: "kernel" },
      'invalid annotation "com.urunc.unikernel.binary": expected an absolute path inside the rootfs without "..", got "kernel"',
    ],
    [
      { ...BASE, [`${P}initrd`]: "/boot/../../etc/shadow" },
      'invalid annotation "com.urunc.unikernel.initrd": expected an absolute path inside the rootfs without "..", got "/boot/../../etc/shadow"',
    ],
    [
      { ...BASE, [`${P}block`]: "disk.img" },
      'invalid annotation "com.urunc.unikernel.block": expected an absolute path inside the rootfs without "..", got "disk.img"',
    ],
    [
      { [`${P}unikernelType`]: "linux", [`${P}hypervisor`]: "qemu" },
      'missing annotation "com.urunc.unikernel.binary": expected the kernel path inside the rootfs',
    ],
  ];
  for (const [ann, msg] of cases) {
    withRootfs((r) =>
      assert.equal(errorOf(() => resolveUnikernelConfig(specWith(ann), r, {})), msg)
    );
  }
});

Deno.test("urunc.json problems name the file", () => {
  withRootfs((r) => {
    assert.equal(
      errorOf(() => resolveUnikernelConfig(specWith({}), r, {})),
      `invalid key "com.urunc.unikernel.hypervisor" in ${
        join(r, "urunc.json")
      }: expected one of qemu, firecracker, hvt, spt, got "qemux"`,
    );
  }, {
    [`${P}unikernelType`]: b64("unikraft"),
    [`${P}hypervisor`]: b64("qemux"),
    [`${P}binary`]: b64("/k"),
  });
  withRootfs(
    (r) =>
      assert.match(
        errorOf(() => resolveUnikernelConfig(specWith({}), r, {})),
        /urunc\.json: not JSON/,
      ),
    "{nope",
  );
  withRootfs(
    (r) =>
      assert.match(
        errorOf(() => resolveUnikernelConfig(specWith({}), r, {})),
        /expected a JSON object/,
      ),
    "[1]",
  );
  withRootfs(
    (r) =>
      assert.match(
        errorOf(() => resolveUnikernelConfig(specWith({}), r, {})),
        /"com\.urunc\.unikernel\.binary" in .*: expected a string, got 7/,
      ),
    {
      [`${P}binary`]: 7,
    },
  );
  const dir = Deno.makeTempDirSync();
  try {
    Deno.mkdirSync(join(dir, "urunc.json"));
    assert.match(
      errorOf(() => resolveUnikernelConfig(specWith({}), dir, {})),
      /urunc\.json: expected a regular file, found a directory/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("urunc.json: a symlink (say to a host file) is refused, and content never reaches the error", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const secret = join(dir, "host-secret");
    Deno.writeTextFileSync(secret, "secret-root-password");
    const rootfs = join(dir, "rootfs");
    Deno.mkdirSync(rootfs);
    Deno.symlinkSync(secret, join(rootfs, "urunc.json"));
    const msg = errorOf(() => resolveUnikernelConfig(specWith({}), rootfs, {}));
    assert.match(msg, /urunc\.json: expected a regular file, found a symbolic link/);
    Deno.removeSync(join(rootfs, "urunc.json"));
    Deno.writeTextFileSync(join(rootfs, "urunc.json"), "secret-root-password");
    const bad = errorOf(() => resolveUnikernelConfig(specWith({}), rootfs, {}));
    assert.match(bad, /urunc\.json: not JSON$/);
    assert.doesNotMatch(bad, /secret/);
    Deno.writeTextFileSync(join(rootfs, "urunc.json"), " ".repeat(70 * 1024));
    assert.match(
      errorOf(() => resolveUnikernelConfig(specWith({}), rootfs, {})),
      /71680 bytes, expected at most 65536/,
    );
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
