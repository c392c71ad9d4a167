// Tests stand in for the containerd shim: they must reap the monitor that
// `urunc create` leaves behind, so the test process becomes a child subreaper.
import { libc } from "../../ffi/libc.ts";
import { testLibc } from "./test_libc.ts";

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;

let done = false;
export function becomeSubreaper(): void {
  if (done) return;
  if (libc().prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) !== 0) {
    throw new Error("prctl(PR_SET_CHILD_SUBREAPER) failed");
  }
  done = true;
}

/** Wait for an adopted process to exit; returns its exit code (128+signal if killed). */
export async function reap(pid: number, timeoutMs = 30_000): Promise<number> {
  const status = new Int32Array(1);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = testLibc().waitpid(pid, new Uint8Array(status.buffer), WNOHANG);
    if (r === pid) {
      const s = status[0];
      return (s & 0x7f) === 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
    }
    if (r < 0) throw new Error(`waitpid(${pid}) failed: not our child`);
    await new Promise((res) => setTimeout(res, 10));
  }
  throw new Error(`pid ${pid} did not exit within ${timeoutMs} ms`);
}

export function isRoot(): boolean {
  return Deno.uid() === 0;
}
