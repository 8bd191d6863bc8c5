package dev.panamax.engine.cuda;

import jcuda.driver.CUdeviceptr;

/** A block of device memory from {@link DeviceMemoryPool}: its pointer and its (rounded-up) size in bytes. */
record DeviceBuffer(CUdeviceptr pointer, long bytes) {
}
