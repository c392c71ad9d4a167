// Names shared by the image builder and the e2e tests that import its output.
export const TEST_IMAGE_REF = "docker.io/library/urunc-test:latest";
export const BUSYBOX_IMAGE_REF = "docker.io/library/busybox-test:latest";
export const PAUSE_IMAGE_REF = "docker.io/library/urunc-pause:latest";
/** The test guest as a full root filesystem (busybox, /init, /urunit) plus kernel and initrd. */
export const STORAGE_IMAGE_REF = "docker.io/library/urunc-storage-test:latest";
/** A file only the storage image's layer has: a guest that reads it booted from that layer. */
export const IMAGE_LAYER_MARKER = "image-layer-marker";
