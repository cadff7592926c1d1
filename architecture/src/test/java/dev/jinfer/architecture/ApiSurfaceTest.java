package dev.jinfer.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each library package exports exactly its API: implementation is package-private beside it, so a new
 * public type is a decision (add it here with its javadoc), never an accident. And each library jar names
 * its JPMS module ({@code Automatic-Module-Name}), so module-path users get a stable name.
 */
class ApiSurfaceTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.jinfer");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "dev.jinfer.registry | IntegrityMode ModelRegistry ModelStatus RegistryStatus VersionPolicy VersionState VersionStatus",
      "dev.jinfer.breaker  | CircuitBreaker CircuitOpenException",
      "dev.jinfer.io       | Npy",
      "dev.jinfer.internal | LeaseCounter WarmupInputs",
      "dev.jinfer.spi      | Backend BackendSession ModelSource StagingBuffers",
      "dev.jinfer.onnx     | OnnxBackend",
      "dev.jinfer.tensorflow | TensorflowBackend",
      "dev.jinfer.pytorch  | PytorchBackend",
      "dev.jinfer.serving  | ServingChain",
      "dev.jinfer.optimize | DynamicQuantizer GraphOptimizer ModelComparison OnnxModels OnnxTensors Pruner StaticQuantizer",
      "dev.jinfer.spring   | JinferAutoConfiguration JinferBoot4HealthAutoConfiguration JinferHealthAutoConfiguration JinferProperties ModelPredictor ModelStartupException",
      "dev.jinfer.spark    | DatasetScorer InvalidRowPolicy JinferTransformer ScoredDataset SharedModels",
      "dev.jinfer.flink    | AsyncScoringFunction FeatureFunction ResultFunction TaskManagerModels",
      "dev.jinfer.optimize.proto | Onnx",
      "dev.jinfer.distill  | Agreement DistillationDivergedException DistillationResult Distiller EpochProgress LatencyComparison",
      "dev.jinfer.resilience4j | Resilience4jGuard",
      "dev.jinfer.kit      | BackendCompatibilityKit BadInputCorpus HeapTensors",
  })
  void aPackage_exportsOnlyItsApi(String pkg, String expected) {
    Set<String> publicTypes = new TreeSet<>();
    for (JavaClass c : classes) {
      if (c.getPackageName().equals(pkg) && c.isTopLevelClass() && c.getModifiers().contains(JavaModifier.PUBLIC)) {
        publicTypes.add(c.getSimpleName());
      }
    }
    assertThat(publicTypes).as("public top-level types of " + pkg).containsExactlyInAnyOrder(expected.split(" "));
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource({
      "dev.jinfer.Model, dev.jinfer.core",
      "dev.jinfer.onnx.OnnxBackend, dev.jinfer.onnx",
      "dev.jinfer.tensorflow.TensorflowBackend, dev.jinfer.tensorflow",
      "dev.jinfer.pytorch.PytorchBackend, dev.jinfer.pytorch",
      "dev.jinfer.batching.BatchingPredictor, dev.jinfer.batching",
      "dev.jinfer.cache.CachedPredictor, dev.jinfer.cache",
      "dev.jinfer.optimize.OnnxModels, dev.jinfer.optimize",
      "dev.jinfer.serving.ServingChain, dev.jinfer.serving",
      "dev.jinfer.distill.Distiller, dev.jinfer.distill",
      "dev.jinfer.spring.ModelPredictor, dev.jinfer.spring",
      "dev.jinfer.spark.InvalidRowPolicy, dev.jinfer.spark",
      "dev.jinfer.flink.FeatureFunction, dev.jinfer.flink",
      "dev.jinfer.resilience4j.Resilience4jGuard, dev.jinfer.resilience4j",
      "dev.jinfer.kit.BackendCompatibilityKit, dev.jinfer.kit",
  })
  void aLibraryJar_namesItsModule(String className, String moduleName) throws IOException, URISyntaxException,
      ClassNotFoundException {
    Path location = Path.of(Class.forName(className).getProtectionDomain().getCodeSource().getLocation().toURI());
    assertThat(location.toString()).as("%s should come from its module's jar (run through mvn verify)", className)
        .endsWith(".jar");
    try (JarFile jar = new JarFile(location.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Automatic-Module-Name")).isEqualTo(moduleName);
    }
  }
}
