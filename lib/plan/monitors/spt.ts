import { solo5Monitor } from "./solo5.ts";

/** solo5-spt runs the guest as a process under spt's own seccomp filter; no KVM. */
export const spt = solo5Monitor("spt", "never", false);
