// Run the urunc CLI from source exactly as the shim would run the binary.
import { fileURLToPath } from "node:url";
import { selfCommand } from "../../lib/runtime/self_exec.ts";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** urunc from source, argv exactly as urunc re-executes itself (one place knows how). */
export function uruncCommand(args: string[]): string[] {
  const { path, args: rest } = selfCommand(args);
  return [path, ...rest];
}

/** The global flags every test passes: its own state root, a JSON log, a host config. */
export function testGlobals(dir: string, config: string): string[] {
  return [
    "--root",
    `${dir}/state`,
    "--log",
    `${dir}/log.json`,
    "--log-format",
    "json",
    "--config",
    config,
  ];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function urunc(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const [cmd, ...rest] = uruncCommand(args);
  const out = await new Deno.Command(cmd, {
    args: rest,
    cwd: opts.cwd,
    env: opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/**
 * `urunc create` as the shim runs it: its stdio is the container's, and the
 * init child (later the monitor) keeps it open, so wait for the exit status
 * only and hand back the container's stdout/stderr streams.
 */
export async function uruncCreate(args: string[]): Promise<{
  code: number;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
}> {
  const [cmd, ...rest] = uruncCommand(args);
  const child = new Deno.Command(cmd, {
    args: rest,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const status = await child.status;
  return { code: status.code, stdout: child.stdout, stderr: child.stderr };
}

/**
 * `urunc create --bundle B --pid-file P ID` with URUNC_FAULT set when `fault` is given (the
 * runtime exits at that crash point); the container's output is discarded. Returns the status.
 */
export async function createAt(
  globals: string[],
  o: { bundle: string; pidFile: string; id: string; fault?: string },
): Promise<number> {
  if (o.fault) Deno.env.set("URUNC_FAULT", o.fault);
  try {
    const c = await uruncCreate([
      ...globals,
      "create",
      "--bundle",
      o.bundle,
      "--pid-file",
      o.pidFile,
      o.id,
    ]);
    await c.stdout.cancel();
    await c.stderr.cancel();
    return c.code;
  } finally {
    Deno.env.delete("URUNC_FAULT");
  }
}

/** A command's status and its stdout+stderr, synchronously (tests preparing or observing). */
export function sh(cmd: string[]): { code: number; out: string } {
  const o = new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "piped", stderr: "piped" })
    .outputSync();
  const dec = new TextDecoder();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

/** The last `level: "error"` message of a JSON log file, as containerd would show it. */
export function lastLogError(logPath: string): string | null {
  let text = "";
  try {
    text = Deno.readTextFileSync(logPath);
  } catch {
    return null;
  }
  let last: string | null = null;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const obj = JSON.parse(line); // every line must be JSON, or containerd reports nothing
    if (obj.level === "error") last = obj.msg;
  }
  return last;
}

/** Wait for `child`; past `limitMs` it is SIGKILLed and reported as hung (a hang fails, never blocks, a test). */
export async function statusWithin(
  child: Deno.ChildProcess,
  limitMs: number,
): Promise<{ code: number; hung: boolean }> {
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, limitMs);
  const status = await child.status;
  clearTimeout(timer);
  return { code: status.code, hung };
}
