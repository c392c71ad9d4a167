// One regular file as a newc cpio archive (the kernel's initramfs format), as a
// string whose UTF-8 bytes are the archive: headers are ASCII, padding is NUL. Appended to an initrd, the kernel
// unpacks it over the initrd's own files.

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(length: number): string {
  return "\0".repeat((4 - (length % 4)) % 4);
}

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

function member(name: string, mode: number, data: string): string {
  const nameField = name + "\0";
  const size = utf8Length(data);
  const fields = [1, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, utf8Length(nameField), 0];
  const header = "070701" + fields.map(hex8).join("");
  return header + nameField + pad4(header.length + utf8Length(nameField)) + data + pad4(size);
}

/** `path` relative to the archive root (no leading "/"); sizes count the UTF-8 bytes written. */
export function cpioSingleFile(path: string, data: string, mode = 0o100644): string {
  return member(path, mode, data) + member("TRAILER!!!", 0, "");
}
