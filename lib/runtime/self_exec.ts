// Re-executing urunc (the init child) must work both compiled (`deno compile`:
// the executable is urunc itself) and from source (`deno run main.ts`). This is
// the one place that knows the difference.

/** The file a file: URL of ours names (node:url's fileURLToPath costs ~10 ms to load). */
function filePath(url: URL): string {
  return decodeURIComponent(url.pathname);
}

export function selfCommand(args: readonly string[]): { path: string; args: string[] } {
  if ((Deno.build as { standalone?: boolean }).standalone) {
    return { path: Deno.execPath(), args: [...args] };
  }
  const main = filePath(new URL("../../main.ts", import.meta.url));
  const config = filePath(new URL("../../deno.json", import.meta.url));
  return {
    path: Deno.execPath(),
    args: [
      "run",
      "-A",
      "--quiet",
      "--no-prompt",
      "--cached-only",
      "--config",
      config,
      main,
      ...args,
    ],
  };
}
