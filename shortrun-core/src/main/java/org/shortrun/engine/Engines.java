package org.shortrun.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.shortrun.InputException;

/**
 * Starting DJL's PyTorch engine as an application of the library should: with the offline switch
 * and the intra-op thread count set before it starts, which DJL reads only then; and the device a
 * user names, checked.
 */
public final class Engines {

    private Engines() {}

    /**
     * Starts the engine.
     *
     * @param threads intra-op threads; 0 for one per core
     * @param offline whether DJL may download nothing
     * @return the thread count the engine runs with
     * @throws InputException if the thread count is negative
     */
    public static int start(int threads, boolean offline) {
        if (threads < 0) {
            throw new InputException("--threads must be 0 (all cores) or more, got " + threads);
        }
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.offline", Boolean.toString(offline));
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        Engine.getEngine("PyTorch");
        return n;
    }

    /**
     * The device a user names: the one place where a name becomes a device.
     *
     * @param name cpu, gpu, gpu1, ...; or null
     * @return the device, or null (the engine's default) for no name
     * @throws InputException if there is no such device on this machine
     */
    public static Device device(String name) {
        if (name == null) {
            return null;
        }
        Engine engine = Engine.getEngine("PyTorch");
        Device device;
        try {
            device = Device.fromName(name, engine);
        } catch (RuntimeException e) {
            throw new InputException("--device " + name + " is not a device name", e);
        }
        if (device.isGpu() && device.getDeviceId() >= engine.getGpuCount()) {
            throw new InputException(
                    "--device " + name + ": this machine has " + engine.getGpuCount() + " GPUs");
        }
        return device;
    }
}
