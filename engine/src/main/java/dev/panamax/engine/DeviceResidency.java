package dev.panamax.engine;

/**
 * The device-side copy of one {@link TensorMemory}, attached by a device backend (CUDA) the first time one of its
 * tensors is used there. The tensor calls it before every host access, so host code always sees the newest data:
 * models and autograd stay unchanged whether their tensors were last written by the CPU or the GPU.
 */
public interface DeviceResidency {

    /**
     * Called before the host reads ({@code write == false}) or may write ({@code write == true}) the memory: copies
     * newer device data down first and, for a write, marks the device copy stale so the next device use uploads.
     */
    void beforeHostAccess(boolean write);
}
