import { join } from "../path.ts";

export function isExecutableFile(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && st.mode !== null && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** exec.LookPath: the first executable regular file named `name` in PATH's absolute dirs. */
export function lookPath(name: string, pathEnv = Deno.env.get("PATH") ?? ""): string | undefined {
  for (const dir of pathEnv.split(":")) {
    if (!dir.startsWith("/")) continue;
    const file = join(dir, name);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}
