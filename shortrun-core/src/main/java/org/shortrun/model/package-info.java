/**
 * The ladder generator as DJL Blocks: per layer a projection of the latent, a residual
 * deterministic block, a skip connection to the layer above and Gaussian heads for the layer
 * below; then an output block with tanh. Transposed convolutions are built from engine-agnostic
 * operations because DJL's {@code Conv2dTranspose} is missing on the PyTorch engine.
 */
package org.shortrun.model;
