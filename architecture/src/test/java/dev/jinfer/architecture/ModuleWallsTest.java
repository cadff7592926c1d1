package dev.jinfer.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import java.util.Arrays;

/**
 * The walls of DESIGN.md, checked on the library modules' built classes: arrows point toward core, no
 * backend knows another, decorators know no backend, and nothing outside core touches
 * {@code dev.jinfer.internal}. Each rule's reason is printed when it fails.
 */
@AnalyzeClasses(packages = "dev.jinfer", importOptions = ImportOption.DoNotIncludeTests.class)
class ModuleWallsTest {
  static final String[] CORE = {"dev.jinfer", "dev.jinfer.spi", "dev.jinfer.registry", "dev.jinfer.breaker",
      "dev.jinfer.io", "dev.jinfer.internal"};
  static final String[] BACKENDS = {"dev.jinfer.onnx..", "dev.jinfer.tensorflow..", "dev.jinfer.pytorch.."};
  static final String[] DECORATORS = {"dev.jinfer.batching..", "dev.jinfer.cache.."};
  static final String[] ABOVE_CORE = {"dev.jinfer.onnx..", "dev.jinfer.tensorflow..", "dev.jinfer.pytorch..",
      "dev.jinfer.batching..", "dev.jinfer.cache..", "dev.jinfer.serving..", "dev.jinfer.optimize..",
      "dev.jinfer.resilience4j..", "dev.jinfer.kit..", "dev.jinfer.spark..", "dev.jinfer.flink..", "dev.jinfer.spring..", "dev.jinfer.cli..",
      "dev.jinfer.examples..", "dev.jinfer.benchmarks.."};

  @ArchTest
  static final ArchRule core_knowsNoOtherModule = noClasses().that().resideInAnyPackage(CORE)
      .should().dependOnClassesThat().resideInAnyPackage(ABOVE_CORE)
      .because("dependencies point only toward core");

  @ArchTest
  static final ArchRule onnx_knowsNoOtherBackend_andNoDecorator = noClasses().that().resideInAPackage("dev.jinfer.onnx..")
      .should().dependOnClassesThat().resideInAnyPackage(without(ABOVE_CORE, "dev.jinfer.onnx.."))
      .because("a backend knows core only: no other backend, no decorator");

  @ArchTest
  static final ArchRule tensorflow_knowsNoOtherBackend_andNoDecorator = noClasses().that()
      .resideInAPackage("dev.jinfer.tensorflow..")
      .should().dependOnClassesThat().resideInAnyPackage(without(ABOVE_CORE, "dev.jinfer.tensorflow.."))
      .because("a backend knows core only: no other backend, no decorator");

  @ArchTest
  static final ArchRule pytorch_knowsNoOtherBackend_andNoDecorator = noClasses().that()
      .resideInAPackage("dev.jinfer.pytorch..")
      .should().dependOnClassesThat().resideInAnyPackage(without(ABOVE_CORE, "dev.jinfer.pytorch.."))
      .because("a backend knows core only: no other backend, no decorator");

  @ArchTest
  static final ArchRule batching_knowsCoreOnly = noClasses().that().resideInAPackage("dev.jinfer.batching..")
      .should().dependOnClassesThat().resideInAnyPackage(without(ABOVE_CORE, "dev.jinfer.batching.."))
      .because("a decorator wraps any Predictor: it knows no backend and no other decorator");

  @ArchTest
  static final ArchRule cache_knowsCoreOnly = noClasses().that().resideInAPackage("dev.jinfer.cache..")
      .should().dependOnClassesThat().resideInAnyPackage(without(ABOVE_CORE, "dev.jinfer.cache.."))
      .because("a decorator wraps any Predictor: it knows no backend and no other decorator");

  @ArchTest
  static final ArchRule optimize_knowsCoreOnly = noClasses().that().resideInAPackage("dev.jinfer.optimize..")
      .should().dependOnClassesThat().resideInAnyPackage(without(ABOVE_CORE, "dev.jinfer.optimize.."))
      .because("the optimizer works on ONNX files with ONNX Runtime directly: backend-onnx's tests use it, so it "
          + "cannot know that backend (nor any decorator)");

  @ArchTest
  static final ArchRule serving_assemblesDecorators_butKnowsNoBackend = noClasses().that()
      .resideInAPackage("dev.jinfer.serving..")
      .should().dependOnClassesThat().resideInAnyPackage(BACKENDS)
      .because("the serving chain assembles decorators over any model; backends come through the SPI");

  @ArchTest
  static final ArchRule resilience4j_knowsCoreAndTheServingChainOnly = noClasses().that()
      .resideInAPackage("dev.jinfer.resilience4j..")
      .should().dependOnClassesThat().resideInAnyPackage(without(without(ABOVE_CORE, "dev.jinfer.resilience4j.."),
          "dev.jinfer.serving.."))
      .because("the adapter puts a resilience4j breaker into the serving chain: it knows no backend or decorator");

  @ArchTest
  static final ArchRule kit_knowsCoreOnly = noClasses().that().resideInAPackage("dev.jinfer.kit..")
      .should().dependOnClassesThat().resideInAnyPackage(without(ABOVE_CORE, "dev.jinfer.kit.."))
      .because("the compatibility kit holds any backend to core's contract through the public API alone");

  @ArchTest
  static final ArchRule internal_isReachedOnlyFromCore = noClasses().that().resideOutsideOfPackages(CORE)
      .should().dependOnClassesThat().resideInAPackage("dev.jinfer.internal..")
      .because("dev.jinfer.internal is core's shared implementation, not API");

  @ArchTest
  static final ArchRule theApiAndSpi_doNotDependOnCoreSubsystems = noClasses().that()
      .resideInAnyPackage("dev.jinfer", "dev.jinfer.spi", "dev.jinfer.internal")
      .should().dependOnClassesThat().resideInAnyPackage("dev.jinfer.registry..", "dev.jinfer.breaker..",
          "dev.jinfer.io..")
      .because("the registry, the breaker and the npy reader are built on the API, not the other way round");

  @ArchTest
  static final ArchRule registry_standsOnTheApiAlone = noClasses().that().resideInAPackage("dev.jinfer.registry")
      .should().dependOnClassesThat().resideInAnyPackage("dev.jinfer.breaker", "dev.jinfer.io")
      .because("each core subsystem stands on the API alone");

  @ArchTest
  static final ArchRule breaker_standsOnTheApiAlone = noClasses().that().resideInAPackage("dev.jinfer.breaker")
      .should().dependOnClassesThat().resideInAnyPackage("dev.jinfer.registry", "dev.jinfer.io")
      .because("each core subsystem stands on the API alone");

  @ArchTest
  static final ArchRule io_standsOnTheApiAlone = noClasses().that().resideInAPackage("dev.jinfer.io")
      .should().dependOnClassesThat().resideInAnyPackage("dev.jinfer.registry", "dev.jinfer.breaker")
      .because("each core subsystem stands on the API alone");

  static String[] without(String[] all, String own) {
    return Arrays.stream(all).filter(p -> !p.equals(own)).toArray(String[]::new);
  }
}
