package org.shortrun.zoo;

import ai.djl.Application;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.repository.Artifact;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelLoader;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Progress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.shortrun.InputException;
import org.shortrun.training.Checkpoint;

/**
 * Loads a shortrun run (or its {@code checkpoint/}) as a {@link ZooModel}: the directory is the one
 * the zoo was made for ({@link ShortrunModelZoo#of}) or the criteria argument {@value
 * ShortrunModels#MODEL_PATH_ARGUMENT}; the translator comes from the criteria's translator or
 * factory, else from {@link ShortrunTranslatorFactory} by the criteria's types. The block is the
 * run's {@link org.shortrun.method.LatentModel} ({@link ShortrunModels#load}); a run of a user's
 * own generator loads into the one given by {@code Criteria.optBlock}. Nothing is downloaded.
 */
public final class ShortrunModelLoader implements ModelLoader {

    private final Path directory;

    ShortrunModelLoader(Path directory) {
        this.directory = directory;
    }

    /** {@inheritDoc} */
    @Override
    public String getGroupId() {
        return ShortrunModels.GROUP_ID;
    }

    /** {@inheritDoc} */
    @Override
    public String getArtifactId() {
        return ShortrunModels.ARTIFACT_ID;
    }

    /** {@inheritDoc} */
    @Override
    public Application getApplication() {
        return Application.UNDEFINED;
    }

    /** {@inheritDoc} */
    @Override
    public <I, O> ZooModel<I, O> loadModel(Criteria<I, O> criteria)
            throws ModelNotFoundException, MalformedModelException {
        Path dir = directory(criteria);
        if (!Checkpoint.exists(dir)) {
            throw new ModelNotFoundException("no shortrun checkpoint in " + dir);
        }
        TranslatorFactory factory =
                criteria.getTranslatorFactory() != null
                        ? criteria.getTranslatorFactory()
                        : new ShortrunTranslatorFactory();
        if (!factory.isSupported(criteria.getInputClass(), criteria.getOutputClass())) {
            throw new ModelNotFoundException(
                    "no translator from "
                            + criteria.getInputClass().getName()
                            + " to "
                            + criteria.getOutputClass().getName()
                            + " for a shortrun model");
        }
        String engine = criteria.getEngine() != null ? criteria.getEngine() : "PyTorch";
        String name =
                criteria.getModelName() != null
                        ? criteria.getModelName()
                        : ShortrunModels.ARTIFACT_ID;
        Model model = Model.newInstance(name, criteria.getDevice(), engine);
        if (criteria.getBlock() != null) {
            // a run of a generator of the user's own loads into the one given
            model.setBlock(criteria.getBlock());
        }
        try {
            ShortrunModels.load(model, dir);
            Map<String, Object> arguments = criteria.getArguments();
            Translator<I, O> translator =
                    factory.newInstance(
                            criteria.getInputClass(), criteria.getOutputClass(), model, arguments);
            return new ZooModel<>(model, translator);
        } catch (InputException e) {
            model.close();
            throw new MalformedModelException(e.getMessage(), e);
        } catch (TranslateException | RuntimeException e) {
            model.close();
            throw new ModelNotFoundException(
                    "cannot make a shortrun model from " + dir + ": " + e.getMessage(), e);
        }
    }

    private Path directory(Criteria<?, ?> criteria) throws ModelNotFoundException {
        if (directory != null) {
            return directory;
        }
        Object path =
                criteria.getArguments() == null
                        ? null
                        : criteria.getArguments().get(ShortrunModels.MODEL_PATH_ARGUMENT);
        if (path == null) {
            throw new ModelNotFoundException(
                    "a shortrun model needs its run directory:"
                            + " optModelZoo(ShortrunModelZoo.of(dir)) or optArgument(\""
                            + ShortrunModels.MODEL_PATH_ARGUMENT
                            + "\", dir)");
        }
        return path instanceof Path ? (Path) path : Path.of(path.toString());
    }

    /**
     * Returns true: a shortrun model is a local directory.
     *
     * @param criteria ignored
     * @return true
     */
    @Override
    public <I, O> boolean isDownloaded(Criteria<I, O> criteria) {
        return true;
    }

    /**
     * Does nothing: a shortrun model is a local directory.
     *
     * @param criteria ignored
     * @param progress ignored
     */
    @Override
    public <I, O> void downloadModel(Criteria<I, O> criteria, Progress progress) {}

    /**
     * Returns no artifacts: the zoo holds no catalogue, only the directories it is pointed at.
     *
     * @return an empty list
     */
    @Override
    public List<Artifact> listModels() {
        return List.of();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return ShortrunModels.GROUP_ID
                + ":"
                + ShortrunModels.ARTIFACT_ID
                + (directory != null ? " at " + directory : "");
    }
}
