// A container environment for the fake-driven lifecycle tests: a temp dir with
// a bundle (linux on qemu), a host config naming the fake monitor, and a state
// root. Nothing runs: every effect goes through a RecordingHost.
import assert from "node:assert/strict";
import { join } from "node:path";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../../helpers/bundle.ts";
import type { BundleOptions } from "../../helpers/bundle.ts";
import { silentLogger } from "../../../lib/log.ts";
import { createContainer, type CreateOptions } from "../../../lib/runtime/create.ts";
import { EXEC_FIFO } from "../../../lib/runtime/store.ts";
import { RecordingHost, type RecordingHostOptions } from "../../fakes/recording_host.ts";

export interface Fixture {
  dir: string;
  root: string;
  /** <root>/c1: the container's state dir. */
  stateDir: string;
  opts: CreateOptions;
  cleanup(): void;
}

export function fixture(bundle: BundleOptions = {}, id = "c1"): Fixture {
  const dir = Deno.makeTempDirSync({ prefix: "urunc-fake-lifecycle-" });
  const root = join(dir, "state");
  const config = writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR);
  const b = makeBundle(join(dir, "bundle"), { annotations: LINUX_QEMU, ...bundle });
  return {
    dir,
    root,
    stateDir: join(root, id),
    opts: {
      root,
      id,
      bundle: b,
      pidFile: join(dir, "init.pid"),
      consoleSocket: null,
      configPath: config,
      logOptions: { path: null, format: "json", debug: false },
      runcArgv: [],
    },
    cleanup: () => Deno.removeSync(dir, { recursive: true }),
  };
}

/** A container created through a fake host: its state dir as create left it, init 4242 waiting. */
export async function created(
  f: Fixture,
  o: RecordingHostOptions = {},
): Promise<RecordingHost> {
  const host = new RecordingHost(o);
  await createContainer(host, silentLogger, f.opts);
  // The recorded mkfifo made nothing: a plain file stands in (its opens are faked too).
  Deno.writeTextFileSync(join(f.stateDir, EXEC_FIFO), "");
  return host;
}

/** Nothing of the container is left under the state root (a failed create, a delete). */
export function nothingLeft(f: Fixture): void {
  assert.deepEqual([...Deno.readDirSync(f.root)].map((e) => e.name), [], "nothing left");
}

/** Run `fn` on the fixture `f`, removed afterwards whatever happens. */
export async function inFixture(f: Fixture, fn: (f: Fixture) => Promise<void>): Promise<void> {
  try {
    await fn(f);
  } finally {
    f.cleanup();
  }
}
