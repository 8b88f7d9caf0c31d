/**
 * Table jobs: a JSON spec of a grid (datasets x methods x L x K x seeds, docs/EVALUATION.md) is
 * read by {@link org.shortrun.eval.table.TableSpec}, and {@link org.shortrun.eval.table.TableJob}
 * trains and measures its cells in a job directory, writing {@code table.md} and {@code table.csv}
 * in the paper's layout beside its numbers. A job resumes where it stopped, can run one cell at a
 * time (a cluster job array), and locks its directory ({@link org.shortrun.io.DirectoryLock}) so
 * two processes cannot corrupt it.
 */
package org.shortrun.eval.table;
