// Processes the monitor needs beside it (virtiofsd, one per virtiofs tag),
// started by the init child inside the jail right before execve, as root (the
// daemon needs it; it confines itself with --sandbox=chroot). They are children
// of the init child in the container's own PID namespace (the plan refuses
// virtiofs without one): when the monitor, PID 1 there, exits or is killed by
// delete, the kernel kills them too, also when urunc crashed before execve. A
// daemon also exits by itself when qemu closes its socket.

import { UruncError } from "../errors.ts";
import type { ExitStatus, Host } from "../host/host.ts";
import type { Logger } from "../log.ts";
import type { HelperProcess } from "../plan/types.ts";

const SOCKET_WAIT_MS = 5_000;

export async function startHelpers(
  host: Host,
  log: Logger,
  helpers: readonly HelperProcess[],
  owner: { uid: number; gid: number },
): Promise<void> {
  for (const h of helpers) {
    log.debug(`start ${h.name}: ${JSON.stringify(h.argv)}`);
    const child = host.spawn({
      path: h.argv[0],
      args: h.argv.slice(1),
      env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      stdio: "null",
    });
    const exited: { status: ExitStatus | null } = { status: null };
    child.status.then((s) => exited.status = s);
    const deadline = Date.now() + SOCKET_WAIT_MS;
    while (!socketExists(h.socket)) {
      if (exited.status !== null) {
        throw new UruncError(
          `${h.name} exited with status ${exited.status.code} before creating ${h.socket}`,
        );
      }
      if (Date.now() > deadline) {
        throw new UruncError(`${h.name} did not create ${h.socket} within ${SOCKET_WAIT_MS} ms`);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    // The monitor may run as the container's user: the socket is theirs to connect to.
    host.sys.chown(h.socket, owner.uid, owner.gid);
    child.unref();
  }
}

function socketExists(path: string): boolean {
  try {
    return Deno.lstatSync(path).isSocket === true;
  } catch {
    return false;
  }
}
