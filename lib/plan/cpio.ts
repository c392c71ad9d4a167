// One regular file as a newc cpio archive (the kernel's initramfs format), as a
// string: headers are ASCII and padding is NUL, so the bytes are the UTF-8 of
// the text when the file's content is ASCII. Appended to an initrd, the kernel
// unpacks it over the initrd's own files.

function hex8(n: number): string {
  return n.toString(16).padStart(8, "0");
}

function pad4(length: number): string {
  return "\0".repeat((4 - (length % 4)) % 4);
}

function member(name: string, mode: number, data: string): string {
  const nameField = name + "\0";
  const fields = [1, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameField.length, 0];
  const header = "070701" + fields.map(hex8).join("");
  return header + nameField + pad4(header.length + nameField.length) + data + pad4(data.length);
}

/** `path` relative to the archive root (no leading "/"); `data` must be ASCII. */
export function cpioSingleFile(path: string, data: string, mode = 0o100644): string {
  if (!/^[\x00-\x7f]*$/.test(data)) throw new Error("cpioSingleFile: data must be ASCII");
  return member(path, mode, data) + member("TRAILER!!!", 0, "");
}
