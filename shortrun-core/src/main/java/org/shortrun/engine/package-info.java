/**
 * Whether the engine's arithmetic can be trusted on this machine: float32 gradients of the
 * generator checked against a float64 recomputation ({@link org.shortrun.engine.GradientCheck}),
 * the check commands run before long work ({@link org.shortrun.engine.EngineCheck}), and the CPU it
 * ran on ({@link org.shortrun.engine.CpuDescription}).
 */
package org.shortrun.engine;
