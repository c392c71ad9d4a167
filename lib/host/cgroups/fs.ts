// The seam between cgroup logic and cgroupfs: the real files here, an
// in-memory tree in tests (tests/fakes/fake_cgroupfs.ts) that records every
// call in order. Errors name the file and the value.

import { O } from "../../../ffi/constants.ts";
import { realSyscalls, type Syscalls } from "../../../ffi/syscalls.ts";
import { UruncError } from "../../errors.ts";
import { readCgroupFile } from "./dirs.ts";

export interface CgroupFs {
  exists(dir: string): boolean;
  /** false: it existed already (not ours to remove). */
  mkdir(dir: string): boolean;
  /** busy: processes or child cgroups still in it. */
  rmdir(dir: string): "removed" | "gone" | "busy";
  /** Whether child cgroups exist below `dir` (a parent shared with other containers). */
  hasSubgroups(dir: string): boolean;
  /** The file's text; null when it does not exist (controller absent). */
  read(file: string): string | null;
  write(file: string, value: string): void;
  attachDeviceProgram(dir: string, program: Uint8Array): void;
}

function errCode(err: unknown): string {
  return String((err as { code?: unknown } | null)?.code ?? "");
}

/** `sys` is only for bpf() (v2 device programs); libc is opened on first use. */
export function realCgroupFs(sys: () => Syscalls = realSyscalls): CgroupFs {
  const enc = new TextEncoder();
  return {
    exists(dir) {
      try {
        return Deno.statSync(dir).isDirectory;
      } catch {
        return false;
      }
    },
    mkdir(dir) {
      try {
        Deno.mkdirSync(dir);
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.AlreadyExists) return false;
        throw new UruncError(`cannot create cgroup ${dir}: ${(err as Error).message}`);
      }
    },
    rmdir(dir) {
      try {
        Deno.removeSync(dir);
        return "removed";
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return "gone";
        if (["EBUSY", "ENOTEMPTY"].includes(errCode(err))) return "busy";
        throw new UruncError(`cannot remove cgroup ${dir}: ${(err as Error).message}`);
      }
    },
    hasSubgroups(dir) {
      try {
        for (const e of Deno.readDirSync(dir)) if (e.isDirectory) return true;
      } catch { /* gone */ }
      return false;
    },
    read: readCgroupFile,
    write(file, value) {
      // One write(2) of the whole value: cgroupfs parses each write on its own.
      let f: Deno.FsFile | null = null;
      try {
        f = Deno.openSync(file, { write: true });
        f.writeSync(enc.encode(value));
      } catch (err) {
        throw new UruncError(
          `cannot write ${JSON.stringify(value)} to ${file}: ${(err as Error).message}`,
        );
      } finally {
        f?.close();
      }
    },
    attachDeviceProgram(dir, program) {
      const s = sys();
      const fd = s.open(dir, O.RDONLY | O.DIRECTORY);
      try {
        s.attachDeviceProgram(fd, program, dir);
      } finally {
        s.close(fd);
      }
    },
  };
}
