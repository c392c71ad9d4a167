import { O } from "../../ffi/constants.ts";
import type { Syscalls } from "../../ffi/syscalls.ts";

/**
 * Serialise create/start/delete on one container: flock on its state directory.
 * The lock dies with the process, so a crashed caller never wedges the next one.
 * Callers re-read the state after locking: a delete may have won the race.
 */
export function lockContainerDir(sys: Syscalls, dir: string): () => void {
  const fd = sys.open(dir, O.RDONLY | O.DIRECTORY);
  try {
    sys.lockExclusive(fd, dir);
  } catch (err) {
    sys.close(fd);
    throw err;
  }
  return () => sys.close(fd);
}
