/**
 * Evaluation of learned generators: reconstruction error of short-run inference on held-out
 * images, and image grids for people to look at.
 */
package org.shortrun.eval;
