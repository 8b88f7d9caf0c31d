/**
 * Runnable example mains, each a few lines over the library: train on MNIST ({@link
 * org.shortrun.examples.TrainMnist}), sample ({@link org.shortrun.examples.SampleImages}),
 * reconstruct ({@link org.shortrun.examples.ReconstructImages}) and inpaint ({@link
 * org.shortrun.examples.InpaintImages}) through DJL {@code Predictor}s, and FID between two folders
 * ({@link org.shortrun.examples.FolderFid}).
 */
package org.shortrun.examples;
