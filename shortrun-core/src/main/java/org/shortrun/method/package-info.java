/**
 * Learning methods as objects: what a method is ({@link org.shortrun.method.LearningMethod}, its
 * options saved as JSON), what it keeps and does during a run ({@link
 * org.shortrun.method.MethodState}), the methods by name ({@link org.shortrun.method.Methods}), and
 * a learned model for inference and sampling ({@link org.shortrun.method.LatentModel}). The paper's
 * short-run inference ({@link org.shortrun.method.ShortRun}) and the methods it is compared with:
 * persistent chains (ABP, {@link org.shortrun.method.PersistentChains}), the VAEs ({@link
 * org.shortrun.method.Variational}), GLO ({@link org.shortrun.method.Glo}) and the Langevin
 * autoencoders ({@link org.shortrun.method.LangevinAutoencoders}).
 */
package org.shortrun.method;
