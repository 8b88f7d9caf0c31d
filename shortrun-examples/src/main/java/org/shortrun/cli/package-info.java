/**
 * The {@code shortrun} command: demo, train, sample, reconstruct and bench. Each subcommand is a
 * thin layer over the library; bad input ends with a one-line error and exit code 2.
 */
package org.shortrun.cli;
