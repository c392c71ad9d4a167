// Names shared by the image builder and the e2e tests that import its output.
export const TEST_IMAGE_REF = "docker.io/library/urunc-test:latest";
export const BUSYBOX_IMAGE_REF = "docker.io/library/busybox-test:latest";
export const PAUSE_IMAGE_REF = "docker.io/library/urunc-pause:latest";
