// OCI hooks through the real lifecycle: order, the namespaces each kind runs
// in, the state on stdin, timeouts and failures.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../helpers/bundle.ts";
import { becomeSubreaper, isRoot, reap } from "../helpers/subreaper.ts";
import { lastLogError, testGlobals, urunc, uruncCreate } from "../helpers/urunc.ts";

const ready = isRoot();

const HOOK = `#!/bin/sh
kind="$1"
stdin=$(cat)
echo "$kind net=$(readlink /proc/self/ns/net) mnt=$(readlink /proc/self/ns/mnt) pid=$(readlink /proc/self/ns/pid)" >> "$OUT"
printf '%s' "$stdin" > "$OUT.$kind.json"
`;

function nsOf(pid: number | "self"): string {
  return ["net", "mnt", "pid"].map((n) => `${n}=${Deno.readLinkSync(`/proc/${pid}/ns/${n}`)}`).join(
    " ",
  );
}

function env(name: string, hooks: Record<string, unknown[]>, args = ["/init", "fake:sleep"]) {
  const dir = Deno.makeTempDirSync({ prefix: `urunc-hooks-${name}-` });
  const hook = join(dir, "hook.sh");
  Deno.writeTextFileSync(hook, HOOK, { mode: 0o755 });
  const out = join(dir, "hooks.log");
  const g = testGlobals(dir, writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR));
  const resolved = Object.fromEntries(
    Object.entries(hooks).map((
      [k, list],
    ) => [
      k,
      list.map((h) =>
        JSON.parse(JSON.stringify(h).replaceAll("HOOK", hook).replaceAll("OUTFILE", out))
      ),
    ]),
  );
  const bundle = makeBundle(join(dir, "bundle"), {
    annotations: LINUX_QEMU,
    hooks: resolved,
    args,
  });
  return { dir, hook, out, g, bundle, log: join(dir, "log.json") };
}

const h = (kind: string) => ({ path: "HOOK", args: ["hook.sh", kind], env: ["OUT=OUTFILE"] });

Deno.test({
  name:
    "hooks: every kind runs once, in order, in the namespaces the OCI spec names, with the state on stdin",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const kinds = [
      "prestart",
      "createRuntime",
      "createContainer",
      "startContainer",
      "poststart",
      "poststop",
    ];
    const e = env("order", Object.fromEntries(kinds.map((k) => [k, [h(k)]])));
    try {
      const c = await uruncCreate([
        ...e.g,
        "create",
        "--bundle",
        e.bundle,
        "--pid-file",
        join(e.dir, "pid"),
        "h1",
      ]);
      assert.equal(c.code, 0, lastLogError(e.log) ?? "");
      await c.stdout.cancel();
      await c.stderr.cancel();
      const pid = Number(Deno.readTextFileSync(join(e.dir, "pid")));
      const containerNs = nsOf(pid);
      const hostNs = nsOf("self");
      assert.notEqual(containerNs, hostNs);
      assert.equal((await urunc([...e.g, "start", "h1"])).code, 0, lastLogError(e.log) ?? "");
      assert.equal((await urunc([...e.g, "kill", "h1", "TERM"])).code, 0);
      await reap(pid);
      assert.equal((await urunc([...e.g, "delete", "h1"])).code, 0, lastLogError(e.log) ?? "");

      const lines = Deno.readTextFileSync(e.out).trim().split("\n");
      assert.deepEqual(lines.map((l) => l.split(" ")[0]), kinds, "each kind once, in OCI order");
      const where = Object.fromEntries(
        lines.map((l) => [l.split(" ")[0], l.slice(l.indexOf(" ") + 1)]),
      );
      for (const k of ["prestart", "createRuntime", "poststart", "poststop"]) {
        assert.equal(where[k], hostNs, `${k} runs in the runtime namespaces`);
      }
      for (const k of ["createContainer", "startContainer"]) {
        assert.equal(where[k], containerNs, `${k} runs in the container namespaces`);
      }

      const state = (k: string) => JSON.parse(Deno.readTextFileSync(`${e.out}.${k}.json`));
      assert.equal(state("createRuntime").id, "h1");
      assert.equal(state("createRuntime").pid, pid);
      assert.equal(state("createRuntime").status, "created");
      assert.equal(state("createRuntime").bundle, e.bundle);
      assert.equal(state("poststart").status, "running");
      assert.equal(state("poststop").status, "stopped");
    } finally {
      await urunc([...e.g, "delete", "--force", "h1"]);
      Deno.removeSync(e.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "hooks: a failing createRuntime hook fails create with its stderr and leaves nothing",
  ignore: !ready,
  async fn() {
    const e = env("fail", {});
    const failing = join(e.dir, "fail.sh");
    Deno.writeTextFileSync(failing, "#!/bin/sh\necho 'boom: no network for you' >&2\nexit 3\n", {
      mode: 0o755,
    });
    const e2 = env("fail2", { createRuntime: [{ path: failing }, h("createRuntime")] });
    try {
      const c = await urunc([...e2.g, "create", "--bundle", e2.bundle, "f1"]);
      assert.notEqual(c.code, 0);
      const err = lastLogError(e2.log) ?? "";
      assert.match(
        err,
        /createRuntime hook .*fail\.sh failed: exit status 3: boom: no network for you/,
      );
      assert.throws(() => Deno.statSync(e2.out), "the second hook did not run");
      assert.deepEqual([...Deno.readDirSync(join(e2.dir, "state"))], []);
    } finally {
      Deno.removeSync(e.dir, { recursive: true });
      Deno.removeSync(e2.dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "hooks: a hook past its timeout is killed and fails the operation",
  ignore: !ready,
  async fn() {
    const e = env("timeout", {});
    const slow = join(e.dir, "slow.sh");
    Deno.writeTextFileSync(slow, "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
    const e2 = env("timeout2", { prestart: [{ path: slow, timeout: 1 }] });
    try {
      const t0 = Date.now();
      const c = await urunc([...e2.g, "create", "--bundle", e2.bundle, "t1"]);
      assert.notEqual(c.code, 0);
      assert.ok(Date.now() - t0 < 20_000, "the hook was not waited for until it ended by itself");
      assert.match(lastLogError(e2.log) ?? "", /prestart hook .*slow\.sh timed out after 1s/);
      assert.deepEqual([...Deno.readDirSync(join(e2.dir, "state"))], []);
    } finally {
      Deno.removeSync(e.dir, { recursive: true });
      Deno.removeSync(e2.dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "hooks: a failing startContainer hook fails start with its message, logged as exactly one error line",
  ignore: !ready,
  async fn() {
    becomeSubreaper();
    const e = env("startfail", {});
    const failing = join(e.dir, "fail.sh");
    Deno.writeTextFileSync(failing, "#!/bin/sh\necho 'no disk for you' >&2\nexit 4\n", {
      mode: 0o755,
    });
    const e2 = env("startfail2", { startContainer: [{ path: failing }] });
    try {
      const c = await uruncCreate([
        ...e2.g,
        "create",
        "--bundle",
        e2.bundle,
        "--pid-file",
        join(e2.dir, "pid"),
        "s1",
      ]);
      assert.equal(c.code, 0, lastLogError(e2.log) ?? "");
      await c.stdout.cancel();
      await c.stderr.cancel();
      const pid = Number(Deno.readTextFileSync(join(e2.dir, "pid")));
      const s = await urunc([...e2.g, "start", "s1"]);
      assert.notEqual(s.code, 0);
      assert.notEqual(await reap(pid), 0, "the init exits with an error");
      const errors = Deno.readTextFileSync(e2.log).trim().split("\n").map((l) => JSON.parse(l))
        .filter((l) => l.level === "error");
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.match(
        errors[0].msg,
        /startContainer hook .*fail\.sh failed: exit status 4: no disk for you/,
      );
      assert.equal((await urunc([...e2.g, "delete", "s1"])).code, 0);
    } finally {
      await urunc([...e2.g, "delete", "--force", "s1"]);
      Deno.removeSync(e.dir, { recursive: true });
      Deno.removeSync(e2.dir, { recursive: true });
    }
  },
});
