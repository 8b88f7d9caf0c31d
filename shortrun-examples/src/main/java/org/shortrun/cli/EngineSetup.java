package org.shortrun.cli;

import ai.djl.engine.Engine;

/**
 * Settings that must reach DJL before its engine starts: the offline switch (on unless a
 * download was asked for) and the intra-op thread count.
 */
final class EngineSetup {

    private EngineSetup() {}

    /**
     * Configures and starts the engine.
     *
     * @param threads intra-op threads, or 0 for the engine's default
     * @param allowDownload whether DJL may use the network
     * @return the intra-op thread count in force
     */
    static int start(int threads, boolean allowDownload) {
        System.setProperty("ai.djl.offline", Boolean.toString(!allowDownload));
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(n));
        Engine.getEngine("PyTorch");
        return n;
    }
}
