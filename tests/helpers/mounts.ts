// Observing mounts and loop devices from tests.

/** The topmost mount at exactly `dir` (mountinfo fields as written, unescaped paths unneeded). */
export function mountAt(dir: string): { devno: string; source: string; fstype: string } | null {
  let found: { devno: string; source: string; fstype: string } | null = null;
  for (const line of Deno.readTextFileSync("/proc/self/mountinfo").split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!post) continue;
    const f = pre.split(" ");
    if (f[4] !== dir) continue;
    const [fstype, source] = post.split(" ");
    found = { devno: f[2], source, fstype };
  }
  return found;
}

/** A loop device's autoclear flag as sysfs shows it ("1" or "0"). */
export function autoclear(device: string): string {
  return Deno.readTextFileSync(`/sys/block/${device.replace("/dev/", "")}/loop/autoclear`).trim();
}
