package dev.jinfer.distill;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import java.util.zip.CRC32;
import org.jspecify.annotations.Nullable;

/**
 * Trains the MLP student with DJL's training API on the PyTorch engine: Xavier-initialised {@code Linear}
 * layers with ReLU between them, Adam on shuffled mini-batches, the {@link DistillationLoss}, evaluation on the
 * held-out rows after every epoch and early stopping on the held-out loss, keeping the best epoch's weights.
 * Seeded: the engine's random seed (initialisation) and the shuffling both come from the configured seed, and
 * libtorch runs on the configured number of threads, so a run is reproducible on one machine. One instance per
 * run; not thread-safe.
 */
final class StudentTrainer {
  /** The training settings. */
  record Config(int[] hidden, float temperature, float alpha, float learningRate, int batchSize, int maxEpochs,
      int patience, long seed, int threads) {}

  /** The kept (best) weights, {@code weights.get(i)} as {@code [out, in]} row-major, and the run's facts. */
  record Trained(int[] widths, List<float[]> weights, List<float[]> biases, int epochs, int bestEpoch,
      float[][] heldOutLogits) {}

  /** The rows of one split: inputs, softened teacher distribution and its log, one-hot labels or null. */
  record Split(float[][] x, float[][] q, float[][] logQ, float @Nullable [][] oneHot, int[] teacherClass) {
    int rows() {
      return x.length;
    }
  }

  /**
   * {@code -Djinfer.distill.trace=true}: one line per epoch on standard error with the exact losses (hexadecimal
   * floating point), a CRC of every mini-batch loss's bits and hashes of the weights, to find the first epoch where
   * two runs part (see the README, "Reproducibility").
   */
  private static final boolean TRACE = Boolean.getBoolean("jinfer.distill.trace");

  private final Config config;
  private final Consumer<EpochProgress> progress;
  private final String outPath;

  StudentTrainer(Config config, Consumer<EpochProgress> progress, String outPath) {
    this.config = config;
    this.progress = progress;
    this.outPath = outPath;
  }

  Trained train(Split train, Split heldOut, int classes) {
    int features = train.x()[0].length;
    Engine engine = DjlPytorch.engine();
    int threadsBefore = JniUtils.getNumThreads();
    JniUtils.setNumThreads(config.threads());
    engine.setRandomSeed((int) config.seed());
    try (Model model = Model.newInstance("student", Device.cpu(), engine.getEngineName())) {
      SequentialBlock block = new SequentialBlock();
      List<Linear> layers = new ArrayList<>();
      for (int width : config.hidden()) {
        Linear linear = Linear.builder().setUnits(width).build();
        layers.add(linear);
        block.add(linear).add(Activation.reluBlock());
      }
      Linear last = Linear.builder().setUnits(classes).build();
      layers.add(last);
      block.add(last);
      model.setBlock(block);
      DistillationLoss loss = new DistillationLoss(config.temperature(), config.alpha(), train.oneHot() != null);
      DefaultTrainingConfig trainingConfig = new DefaultTrainingConfig(loss)
          .optDevices(new Device[] {Device.cpu()})
          .optInitializer(new XavierInitializer(), Parameter.Type.WEIGHT)
          .optOptimizer(Optimizer.adam().optLearningRateTracker(Tracker.fixed(config.learningRate())).build());
      try (Trainer trainer = model.newTrainer(trainingConfig)) {
        trainer.initialize(new Shape(1, features));
        return loop(trainer, layers, loss, train, heldOut, features, classes);
      }
    } finally {
      JniUtils.setNumThreads(threadsBefore);
    }
  }

  private Trained loop(Trainer trainer, List<Linear> layers, DistillationLoss loss, Split train, Split heldOut,
      int features, int classes) {
    NDManager root = trainer.getManager();
    Random shuffle = new Random(config.seed());
    int[] order = new int[train.rows()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    double bestLoss = Double.POSITIVE_INFINITY;
    CRC32 stepLosses = new CRC32();
    int bestEpoch = 0;
    List<float[]> bestWeights = snapshot(layers, "weight");
    List<float[]> bestBiases = snapshot(layers, "bias");
    if (TRACE) {
      System.err.printf(Locale.ROOT, "distill trace: data %08x teacher %08x %08x held-out %08x %08x initial weights %08x%n",
          hash(train.x()), hash(train.q()), hash(train.logQ()), hash(heldOut.x()), hash(heldOut.q()),
          hash(bestWeights) ^ hash(bestBiases));
    }
    int epoch = 0;
    while (epoch < config.maxEpochs() && epoch - bestEpoch < config.patience()) {
      epoch++;
      shuffle(order, shuffle);
      double lossSum = 0;
      for (int start = 0; start < order.length; start += config.batchSize()) {
        int end = Math.min(order.length, start + config.batchSize());
        try (NDManager batch = root.newSubManager()) {
          NDList inputs = new NDList(batch.create(gather(train.x(), order, start, end, features), new Shape(end - start, features)));
          NDList labels = labels(batch, train, order, start, end, classes);
          float value;
          try (GradientCollector collector = trainer.newGradientCollector()) {
            NDArray l = loss.evaluate(labels, trainer.forward(inputs, labels));
            value = l.getFloat();
            if (!Float.isFinite(value)) {
              throw diverged(epoch, start / config.batchSize() + 1, value);
            }
            collector.backward(l);
          }
          trainer.step();
          lossSum += (double) value * (end - start);
          if (TRACE) {
            int bits = Float.floatToRawIntBits(value);
            stepLosses.update(new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
          }
        }
      }
      double trainLoss = lossSum / order.length;
      HeldOut h = evaluate(trainer, loss, heldOut, features, classes);
      if (!Double.isFinite(h.loss())) {
        throw diverged(epoch, -1, (float) h.loss());
      }
      boolean best = h.loss() < bestLoss;
      if (best) {
        bestLoss = h.loss();
        bestEpoch = epoch;
        bestWeights = snapshot(layers, "weight");
        bestBiases = snapshot(layers, "bias");
      }
      if (TRACE) {
        System.err.printf(Locale.ROOT, "distill trace: epoch %d loss %a held-out %a steps %08x weights %08x %08x%n", epoch,
            trainLoss, h.loss(), stepLosses.getValue(), hash(snapshot(layers, "weight")), hash(snapshot(layers, "bias")));
      }
      progress.accept(new EpochProgress(epoch, trainLoss, h.loss(), h.agreement(), best));
    }
    restore(layers, "weight", bestWeights);
    restore(layers, "bias", bestBiases);
    float[][] heldOutLogits = evaluate(trainer, loss, heldOut, features, classes).logits();
    int[] widths = new int[layers.size() + 1];
    widths[0] = features;
    for (int i = 0; i < config.hidden().length; i++) {
      widths[i + 1] = config.hidden()[i];
    }
    widths[widths.length - 1] = classes;
    return new Trained(widths, bestWeights, bestBiases, epoch, bestEpoch, heldOutLogits);
  }

  private record HeldOut(double loss, double agreement, float[][] logits) {}

  private static HeldOut evaluate(Trainer trainer, DistillationLoss loss, Split heldOut, int features, int classes) {
    int[] all = new int[heldOut.rows()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    try (NDManager m = trainer.getManager().newSubManager()) {
      NDArray x = m.create(gather(heldOut.x(), all, 0, all.length, features), new Shape(all.length, features));
      NDArray logits = trainer.evaluate(new NDList(x)).singletonOrThrow();
      double l = loss.evaluate(labels(m, heldOut, all, 0, all.length, classes), new NDList(logits)).getFloat();
      float[] flat = logits.toFloatArray();
      float[][] rows = new float[all.length][];
      int agree = 0;
      for (int r = 0; r < rows.length; r++) {
        rows[r] = Arrays.copyOfRange(flat, r * classes, (r + 1) * classes);
        if (argmax(rows[r]) == heldOut.teacherClass()[r]) {
          agree++;
        }
      }
      return new HeldOut(l, (double) agree / rows.length, rows);
    }
  }

  private static NDList labels(NDManager m, Split split, int[] order, int start, int end, int classes) {
    Shape shape = new Shape(end - start, classes);
    NDList labels = new NDList(m.create(gather(split.q(), order, start, end, classes), shape),
        m.create(gather(split.logQ(), order, start, end, classes), shape));
    float[][] oneHot = split.oneHot();
    if (oneHot != null) {
      labels.add(m.create(gather(oneHot, order, start, end, classes), shape));
    }
    return labels;
  }

  private DistillationDivergedException diverged(int epoch, int batch, float value) {
    return new DistillationDivergedException(String.format(Locale.ROOT,
        "training diverged: the loss is %s at epoch %d%s (learning rate %s, temperature %s, alpha %s); "
            + "nothing was written to %s. Expected a finite loss: lower the learning rate, or scale the data",
        value, epoch, batch > 0 ? ", mini-batch " + batch : " on the held-out rows", config.learningRate(),
        config.temperature(), config.alpha(), outPath));
  }

  static int argmax(float[] row) {
    int best = 0;
    for (int i = 1; i < row.length; i++) {
      if (row[i] > row[best]) {
        best = i;
      }
    }
    return best;
  }

  private static float[] gather(float[][] rows, int[] order, int start, int end, int width) {
    float[] out = new float[(end - start) * width];
    for (int i = start; i < end; i++) {
      System.arraycopy(rows[order[i]], 0, out, (i - start) * width, width);
    }
    return out;
  }

  private static void shuffle(int[] order, Random random) {
    for (int i = order.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
  }

  private static List<float[]> snapshot(List<Linear> layers, String name) {
    List<float[]> values = new ArrayList<>();
    for (Linear layer : layers) {
      values.add(layer.getParameters().get(name).getArray().toFloatArray());
    }
    return values;
  }

  private static int hash(List<float[]> arrays) {
    return hash(arrays.toArray(new float[0][]));
  }

  private static int hash(float[][] arrays) {
    int h = 1;
    for (float[] a : arrays) {
      h = 31 * h + Arrays.hashCode(a);
    }
    return h;
  }

  private static void restore(List<Linear> layers, String name, List<float[]> values) {
    for (int i = 0; i < layers.size(); i++) {
      layers.get(i).getParameters().get(name).getArray().set(values.get(i));
    }
  }
}
