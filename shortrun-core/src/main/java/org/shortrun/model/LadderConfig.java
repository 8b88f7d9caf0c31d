package org.shortrun.model;

import java.util.Arrays;
import java.util.Objects;
import org.shortrun.InputException;

/**
 * The shape of a ladder generator: latent dimensions per layer (top first), channel width, image
 * channels and size, and the standard-deviation head. Immutable; serialised into config.json and
 * every checkpoint, and compared on resume.
 */
public final class LadderConfig {

    /**
     * The most latent layers a configuration may have. This and the limits below keep a damaged or
     * hostile checkpoint from asking for more memory than any machine has before its parameters are
     * even read; the paper's models stay far below them.
     */
    public static final int MAX_LAYERS = 16;

    /** The largest latent dimension of one layer. */
    public static final int MAX_Z_DIM = 4096;

    /** The largest channel width n_f. */
    public static final int MAX_CHANNELS = 1024;

    /** Side of the feature grid every layer works on, as in the released script. */
    public static final int GRID = 16;

    private final int[] zDims;
    private final int channels;
    private final int imageChannels;
    private final int imageSize;
    private final SdHead sdHead;
    // nullable so that a configuration read without them (Gson leaves fields unset) means the
    // released form
    private final Parameterisation parameterisation;
    private final Boolean skipConnections;

    private LadderConfig(Builder builder) {
        zDims = builder.zDims.clone();
        channels = builder.channels;
        imageChannels = builder.imageChannels;
        imageSize = builder.imageSize;
        sdHead = builder.sdHead;
        parameterisation = builder.parameterisation;
        skipConnections = builder.skipConnections;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a builder preset to this configuration.
     *
     * @return a builder holding these values
     */
    public Builder toBuilder() {
        return new Builder()
                .setZDims(zDims)
                .optChannels(channels)
                .optImageChannels(imageChannels)
                .optImageSize(imageSize)
                .optSdHead(sdHead)
                .optParameterisation(getParameterisation())
                .optSkipConnections(hasSkipConnections());
    }

    /**
     * Returns the latent dimension of every layer, top first.
     *
     * @return a copy of the latent dimensions
     */
    public int[] getZDims() {
        return zDims.clone();
    }

    /**
     * Returns the number of latent layers L.
     *
     * @return L
     */
    public int getLayers() {
        return zDims.length;
    }

    /**
     * Returns d, the sum of the latent dimensions.
     *
     * @return the total latent dimension
     */
    public int getTotalLatentDim() {
        return Arrays.stream(zDims).sum();
    }

    /**
     * Returns the channel width n_f of the feature maps.
     *
     * @return the channel width
     */
    public int getChannels() {
        return channels;
    }

    /**
     * Returns the channels a projection reshapes its linear output into: the released script's
     * {@code coef}, n_f / 16 and at least 1.
     *
     * @return the projection channels
     */
    public int getProjectionChannels() {
        return Math.max(1, channels / GRID);
    }

    /**
     * Returns the image channels (1 or 3).
     *
     * @return the image channels
     */
    public int getImageChannels() {
        return imageChannels;
    }

    /**
     * Returns the image side (32 or 64).
     *
     * @return the image side
     */
    public int getImageSize() {
        return imageSize;
    }

    /**
     * Returns the standard-deviation head.
     *
     * @return the head variant
     */
    public SdHead getSdHead() {
        return sdHead;
    }

    /**
     * Returns how each layer's latent is formed from the layer above and its noise.
     *
     * @return the parameterisation
     */
    public Parameterisation getParameterisation() {
        return parameterisation == null ? Parameterisation.RELEASED : parameterisation;
    }

    /**
     * Returns whether each layer adds the feature map of the layer above (the released script's
     * skip connections).
     *
     * @return true unless switched off
     */
    public boolean hasSkipConnections() {
        return !Boolean.FALSE.equals(skipConnections);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LadderConfig)) {
            return false;
        }
        LadderConfig other = (LadderConfig) o;
        return Arrays.equals(zDims, other.zDims)
                && channels == other.channels
                && imageChannels == other.imageChannels
                && imageSize == other.imageSize
                && sdHead == other.sdHead
                && getParameterisation() == other.getParameterisation()
                && hasSkipConnections() == other.hasSkipConnections();
    }

    @Override
    public int hashCode() {
        return Objects.hash(
                Arrays.hashCode(zDims),
                channels,
                imageChannels,
                imageSize,
                sdHead,
                getParameterisation(),
                hasSkipConnections());
    }

    @Override
    public String toString() {
        return "z-dims "
                + Arrays.toString(zDims)
                + ", channels "
                + channels
                + ", image "
                + imageChannels
                + "x"
                + imageSize
                + "x"
                + imageSize
                + (getParameterisation() == Parameterisation.LADDER
                        ? ", ladder parameterisation"
                        : ", sd head " + sdHead.name().toLowerCase(java.util.Locale.ROOT))
                + (hasSkipConnections() ? "" : ", no skip connections");
    }

    /**
     * Lays settings given later (a command's) over this architecture.
     *
     * @param changes the settings to change, named as in the JSON ({@code "zDims"}, {@code
     *     "channels"}, ...); null values leave a setting as it is
     * @return the architecture with those settings
     * @throws InputException if a setting is unknown, of the wrong type or out of range
     */
    public LadderConfig with(com.google.gson.JsonObject changes) {
        com.google.gson.Gson gson = new com.google.gson.Gson();
        com.google.gson.JsonObject merged = gson.toJsonTree(this).getAsJsonObject();
        for (java.util.Map.Entry<String, com.google.gson.JsonElement> e : changes.entrySet()) {
            if (!java.util.Set.of(
                            "zDims",
                            "channels",
                            "imageChannels",
                            "imageSize",
                            "sdHead",
                            "parameterisation",
                            "skipConnections")
                    .contains(e.getKey())) {
                throw new InputException("no architecture setting is called '" + e.getKey() + "'");
            }
            if (!e.getValue().isJsonNull()) {
                merged.add(e.getKey(), e.getValue());
            }
        }
        try {
            return gson.fromJson(merged, LadderConfig.class).toBuilder().build();
        } catch (com.google.gson.JsonParseException | IllegalArgumentException e) {
            throw new InputException(e.getMessage(), e);
        }
    }

    /** Builds a {@link LadderConfig}; the defaults are the released script's. */
    public static final class Builder {
        private int[] zDims;
        private int channels = 64;
        private int imageChannels = 3;
        private int imageSize = 32;
        private SdHead sdHead = SdHead.RELEASED;
        private Parameterisation parameterisation = Parameterisation.RELEASED;
        private boolean skipConnections = true;

        Builder() {}

        /**
         * Sets the latent dimension of every layer, top first.
         *
         * @param zDims one positive dimension per layer
         * @return this builder
         */
        public Builder setZDims(int... zDims) {
            this.zDims = zDims.clone();
            return this;
        }

        /**
         * Sets the channel width n_f (default 64).
         *
         * @param channels the channel width
         * @return this builder
         */
        public Builder optChannels(int channels) {
            this.channels = channels;
            return this;
        }

        /**
         * Sets the image channels, 1 or 3 (default 3).
         *
         * @param imageChannels the image channels
         * @return this builder
         */
        public Builder optImageChannels(int imageChannels) {
            this.imageChannels = imageChannels;
            return this;
        }

        /**
         * Sets the image side, 32 or 64 (default 32). 28 x 28 data is resized to 32.
         *
         * @param imageSize the image side
         * @return this builder
         */
        public Builder optImageSize(int imageSize) {
            this.imageSize = imageSize;
            return this;
        }

        /**
         * Sets the standard-deviation head (default {@link SdHead#RELEASED}).
         *
         * @param sdHead the head
         * @return this builder
         */
        public Builder optSdHead(SdHead sdHead) {
            this.sdHead = Objects.requireNonNull(sdHead, "sdHead");
            return this;
        }

        /**
         * Sets how each layer's latent is formed (default: the released script's Gaussian).
         *
         * @param parameterisation the parameterisation
         * @return this builder
         */
        public Builder optParameterisation(Parameterisation parameterisation) {
            this.parameterisation = Objects.requireNonNull(parameterisation, "parameterisation");
            return this;
        }

        /**
         * Sets whether each layer adds the layer above's feature map (default: true, as released).
         *
         * @param skipConnections false to leave them out
         * @return this builder
         */
        public Builder optSkipConnections(boolean skipConnections) {
            this.skipConnections = skipConnections;
            return this;
        }

        /**
         * Validates and builds the configuration.
         *
         * @return the configuration
         * @throws IllegalArgumentException if a value is out of range
         */
        public LadderConfig build() {
            if (zDims == null || zDims.length == 0) {
                throw new IllegalArgumentException("z-dims must name at least one layer");
            }
            if (zDims.length > MAX_LAYERS) {
                throw new IllegalArgumentException(
                        "at most " + MAX_LAYERS + " latent layers, got " + zDims.length);
            }
            for (int d : zDims) {
                if (d <= 0 || d > MAX_Z_DIM) {
                    throw new IllegalArgumentException(
                            "every z-dim must be in [1, " + MAX_Z_DIM + "], got " + d);
                }
            }
            if (channels <= 0 || channels > MAX_CHANNELS) {
                throw new IllegalArgumentException(
                        "channels must be in [1, " + MAX_CHANNELS + "], got " + channels);
            }
            if (imageChannels != 1 && imageChannels != 3) {
                throw new IllegalArgumentException(
                        "image channels must be 1 or 3, got " + imageChannels);
            }
            if (imageSize != 32 && imageSize != 64) {
                throw new IllegalArgumentException("image size must be 32 or 64, got " + imageSize);
            }
            return new LadderConfig(this);
        }
    }

    /**
     * Reads latent dimensions written top first and comma-separated, as in "16,32,64".
     *
     * @param option the option or field it came from, named in the message
     * @param text the text
     * @return the dimensions
     * @throws InputException if the text is empty, or a dimension is not a positive whole number
     */
    public static int[] parseZDims(String option, String text) {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            throw new InputException(
                    option + " is empty: give latent dimensions top first, e.g. 16,32,64");
        }
        String[] parts = trimmed.split(",", -1);
        int[] dims = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                dims[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new InputException(
                        option
                                + ": '"
                                + parts[i].trim()
                                + "' is not a whole number (in '"
                                + text
                                + "')");
            }
            if (dims[i] <= 0 || dims[i] > MAX_Z_DIM) {
                throw new InputException(
                        option
                                + ": every dimension must be in [1, "
                                + MAX_Z_DIM
                                + "], got "
                                + parts[i].trim()
                                + " (in '"
                                + text
                                + "')");
            }
        }
        return dims;
    }
}
