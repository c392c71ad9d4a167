// Run the urunc CLI from source exactly as the shim would run the binary.
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../../", import.meta.url));
export const MAIN = `${REPO}main.ts`;
export const DENO_JSON = `${REPO}deno.json`;

export function uruncCommand(args: string[]): string[] {
  return [
    Deno.execPath(),
    "run",
    "-A",
    "--quiet",
    "--no-prompt",
    "--cached-only",
    "--config",
    DENO_JSON,
    MAIN,
    ...args,
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
