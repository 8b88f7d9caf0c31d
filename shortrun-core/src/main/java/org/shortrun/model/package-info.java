/**
 * Generators of images from latents: the abstraction every part of the library works against
 * ({@link org.shortrun.model.LatentGenerator}), the adapter that makes one of any DJL Block ({@link
 * org.shortrun.model.BlockGenerator}), and the paper's ladder generator as DJL Blocks: per layer a
 * projection of the latent, a residual deterministic block, a skip connection to the layer above
 * and Gaussian heads for the layer below; then an output block with tanh. Its mirror, {@link
 * org.shortrun.model.LadderEncoder}, is the bottom-up path of the VAEs the paper compares with;
 * {@link org.shortrun.model.LangevinEncoder} and {@link org.shortrun.model.EnergyPrior} are the
 * Langevin autoencoders' encoder and energy-based latent prior; {@link
 * org.shortrun.model.DenseEncoder} is a VAE's encoder for any other generator. Transposed
 * convolutions are built from engine-agnostic operations because DJL's {@code Conv2dTranspose} is
 * missing on the PyTorch engine, and every convolution pads its output channels to a multiple of 16
 * ({@link org.shortrun.model.PaddedConv2d}) because oneDNN gets the input gradient wrong otherwise
 * on some machines.
 */
package org.shortrun.model;
