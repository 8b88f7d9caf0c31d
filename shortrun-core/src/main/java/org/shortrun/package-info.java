/** Multi-layer latent variable models learned with short-run Langevin inference, on DJL. */
package org.shortrun;
