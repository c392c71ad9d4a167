import { solo5Monitor } from "./solo5.ts";

/** solo5-hvt runs the guest in a KVM VM and gets urunc's own seccomp filter. */
export const hvt = solo5Monitor("hvt", "required", true);
