/**
 * PNG plots of a training run drawn from the files it logs: the training error (loss.png) and the
 * step size chosen by the variational objective with the objective against s (the paper's Fig. 6).
 */
package org.shortrun.eval.plot;
