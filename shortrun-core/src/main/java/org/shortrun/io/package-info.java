/**
 * Files the library writes and reads back: sealed files that carry their kind, format version and a
 * SHA-256 of their bytes, bounds on every length read from a file, locks on output directories, and
 * one-line messages for files that cannot be written.
 */
package org.shortrun.io;
