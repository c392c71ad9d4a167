// `deno task bench`: what a container costs end to end, side by side with runc.
// create + start + delete, median wall time, with a fake monitor that exits at
// once (urunc) and busybox `true` (runc). Plus plan building per call.
// Needs root and `scripts/setup.sh` (for .build/fake-monitor and busybox-static).

import { join } from "node:path";
import { benchPlan, median } from "./bench_plan.ts";
import { FAKE_MONITOR, LINUX_QEMU, makeBundle, writeHostConfig } from "../tests/helpers/bundle.ts";
import { becomeSubreaper, reap } from "../tests/helpers/subreaper.ts";
import { lastLogError, uruncCommand } from "../tests/helpers/urunc.ts";
import { lookPath } from "../lib/host/look_path.ts";

const ROUNDS = Number(Deno.env.get("BENCH_ROUNDS") ?? 15);

/** Run one CLI call. stdio is /dev/null: for create it is the container's, and the
 * init child keeps it open, so a pipe would never reach EOF. */
function run(cmd: string[], log: string | null): void {
  const status = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    stdin: "null",
    stdout: "null",
    stderr: "null",
  })
    .outputSync();
  if (!status.success) {
    const why = log === null ? "" : `: ${lastLogError(log) ?? "no error in the log"}`;
    throw new Error(`${cmd.join(" ")} failed${why}`);
  }
}

async function lifecycle(
  name: string,
  rounds: number,
  cmd: (args: string[]) => string[],
  bundle: string,
  pidFile: string,
  log: string | null,
): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < rounds + 1; i++) {
    const id = `bench-${name}-${i}`;
    const t0 = performance.now();
    run(cmd(["create", "--bundle", bundle, "--pid-file", pidFile, id]), log);
    run(cmd(["start", id]), log);
    await reap(Number(Deno.readTextFileSync(pidFile)));
    run(cmd(["delete", id]), log);
    if (i > 0) times.push(performance.now() - t0); // the first round warms caches
  }
  return median(times);
}

function runcBundle(dir: string): string {
  const busybox = lookPath("busybox") ?? "/bin/busybox";
  Deno.mkdirSync(join(dir, "rootfs/bin"), { recursive: true });
  Deno.copyFileSync(busybox, join(dir, "rootfs/bin/busybox"));
  Deno.chmodSync(join(dir, "rootfs/bin/busybox"), 0o755);
  run(["runc", "spec", "--bundle", dir], null);
  const spec = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
  spec.process.terminal = false;
  spec.process.args = ["/bin/busybox", "true"];
  Deno.writeTextFileSync(join(dir, "config.json"), JSON.stringify(spec));
  return dir;
}

if (import.meta.main) {
  console.log("plan building (pure, per call):");
  for (const r of await benchPlan()) {
    console.log(`  ${r.name.padEnd(40)} ${(r.medianMs * 1000).toFixed(1)} µs`);
  }

  if (Deno.uid() !== 0) {
    console.log("lifecycle benchmark skipped: needs root");
    Deno.exit(0);
  }
  becomeSubreaper();
  const dir = Deno.makeTempDirSync({ prefix: "urunc-bench-" });
  try {
    const root = join(dir, "state");
    const config = writeHostConfig(join(dir, "config.toml"), FAKE_MONITOR);
    const ub = makeBundle(join(dir, "urunc-bundle"), {
      annotations: LINUX_QEMU,
      args: ["/init", "fake:exit=0"],
    });
    const urunc = await lifecycle(
      "urunc",
      ROUNDS,
      (a) =>
        uruncCommand([
          "--root",
          root,
          "--log",
          join(dir, "urunc.log"),
          "--log-format",
          "json",
          "--config",
          config,
          ...a,
        ]),
      ub,
      join(dir, "urunc.pid"),
      join(dir, "urunc.log"),
    );
    const rb = runcBundle(join(dir, "runc-bundle"));
    const runc = await lifecycle(
      "runc",
      ROUNDS,
      (a) => ["runc", "--root", join(dir, "runc-state"), ...a],
      rb,
      join(dir, "runc.pid"),
      null,
    );
    console.log(`\ncreate+start+delete, median of ${ROUNDS} (wall time):`);
    console.log(`  urunc (from source, fake monitor exits at once)  ${urunc.toFixed(1)} ms`);
    console.log(`  runc  (busybox true)                             ${runc.toFixed(1)} ms`);
    console.log(`  ratio urunc/runc                                 ${(urunc / runc).toFixed(2)}`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}
