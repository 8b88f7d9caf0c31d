/**
 * Trained shortrun runs as DJL models: a model zoo ({@link org.shortrun.zoo.ShortrunModelZoo},
 * group id {@code org.shortrun}) that {@code Criteria} finds, and translators that give {@code
 * Predictor}s for prior sampling ({@link org.shortrun.zoo.SampleTranslator}), reconstruction
 * ({@link org.shortrun.zoo.ReconstructionTranslator}), anomaly scores ({@link
 * org.shortrun.zoo.AnomalyTranslator}) and inpainting ({@link
 * org.shortrun.zoo.InpaintingTranslator}) through the library's own inference code.
 */
package org.shortrun.zoo;
