// The runc-compatible CLI surface as containerd, Docker and humans use it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot } from "../helpers/subreaper.ts";
import { lastLogError, testGlobals, urunc, uruncCreate } from "../helpers/urunc.ts";

Deno.test("cli: --version, help, and usage errors exit non-zero with one clear line", async () => {
  const v = await urunc(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^urunc version \d+\.\d+\.\d+\nspec: 1\.2\.0\n$/);
  const h = await urunc(["help"]);
  assert.equal(h.code, 0);
  for (
    const cmd of [
      "create",
      "start",
      "state",
      "kill",
      "delete",
      "run",
      "list",
      "ps",
      "features",
      "plan",
    ]
  ) {
    assert.match(h.stdout, new RegExp(`^  ${cmd} `, "m"));
  }
  assert.doesNotMatch(h.stdout, /^ {2}init /m, "the internal init command is not advertised");
  for (
    const [argv, want] of [
      [["frobnicate"], /level=error msg="unknown command \\"frobnicate\\"/],
      [["state"], /state: expected exactly 1 argument\(s\), got 0/],
      [["kill", "a", "b", "c"], /kill: expected 1 to 2 argument\(s\), got 3/],
      [["delete", "--bogus", "x"], /delete: Unknown option '--bogus'/],
      [["kill", "x", "SIGNOPE"], /invalid signal \\"SIGNOPE\\"/],
    ] as const
  ) {
    const r = await urunc([...argv]);
    assert.notEqual(r.code, 0, argv.join(" "));
    assert.match(r.stderr, want);
  }
});

Deno.test("cli: features is the OCI features document", async () => {
  const r = await urunc(["features"]);
  assert.equal(r.code, 0);
  const f = JSON.parse(r.stdout);
  assert.equal(f.ociVersionMin, "1.0.0");
  assert.deepEqual(f.hooks, [
    "prestart",
    "createRuntime",
    "createContainer",
    "startContainer",
    "poststart",
    "poststop",
  ]);
  assert.ok(!f.linux.namespaces.includes("user"));
  assert.ok(f.linux.capabilities.includes("CAP_SYS_ADMIN"));
  assert.equal(f.linux.seccomp.enabled, true);
  assert.ok(!f.linux.seccomp.actions.includes("SCMP_ACT_NOTIFY"));
  assert.ok(f.linux.seccomp.operators.includes("SCMP_CMP_MASKED_EQ"));
});

Deno.test({
  name: "cli: list (table and json), flags after positionals, state of an unknown id",
  ignore: !isRoot(),
  async fn() {
    becomeSubreaper();
    const dir = Deno.makeTempDirSync({ prefix: "urunc-cli-" });
    const g = testGlobals(dir, writeHostConfig(join(dir, "c.toml"), FAKE_MONITOR));
    try {
      const bundle = makeBundle(join(dir, "b"), {
        annotations: LINUX_QEMU,
        args: ["/init", "fake:sleep"],
      });
      // flags after the positional, as urfave/cli (runc) accepts them
      const c = await uruncCreate([...g, "create", "l1", "--bundle", bundle]);
      assert.equal(c.code, 0, lastLogError(join(dir, "log.json")) ?? "");
      await c.stdout.cancel();
      await c.stderr.cancel();
      const json = JSON.parse((await urunc([...g, "list", "--format", "json"])).stdout);
      assert.equal(json.length, 1);
      assert.equal(json[0].id, "l1");
      assert.equal(json[0].status, "created");
      const table = (await urunc([...g, "list"])).stdout.split("\n");
      assert.match(table[0], /^ID\s+PID\s+STATUS\s+BUNDLE\s+CREATED\s+OWNER$/);
      assert.match(table[1], /^l1\s+\d+\s+created\s+/);
      assert.equal((await urunc([...g, "list", "-q"])).stdout, "l1\n");
      const missing = await urunc([...g, "state", "nope"]);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /container nope does not exist/);
      assert.equal((await urunc([...g, "delete", "l1", "--force"])).code, 0);
      assert.equal((await urunc([...g, "list", "--format", "json"])).stdout.trim(), "[]");
    } finally {
      await urunc(["--root", join(dir, "state"), "delete", "--force", "l1"]);
      Deno.removeSync(dir, { recursive: true });
    }
  },
});
