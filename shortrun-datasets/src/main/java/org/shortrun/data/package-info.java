/**
 * Image datasets as DJL {@code RandomAccessDataset}s with one contract: NCHW float images in [-1,
 * 1], labels where the format has them, train and test splits, and an optional limit. MNIST reads
 * IDX files (gzip or raw), and its test set ships inside the jar so the demo needs no download;
 * SVHN reads MATLAB v5 files; CelebA reads a folder or zip of JPEGs, preprocessed as the authors
 * did and cached.
 */
package org.shortrun.data;
