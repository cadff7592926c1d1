package dev.jinfer.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The custom-backend guide (examples/README.md) quotes the outside project's whole pom.xml, as it is. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CustomBackendGuideTest {
  @Test
  void guide_quotesTheOutsideProjectsCompletePom() throws IOException {
    // surefire passes the fixtures directory, which sits beside examples/ at the repository root
    Path examples = Path.of(System.getProperty("jinfer.fixtures")).resolveSibling("examples");
    String pom = Files.readString(examples.resolve("outside-project/pom.xml"), StandardCharsets.UTF_8);
    String guide = Files.readString(examples.resolve("README.md"), StandardCharsets.UTF_8);
    assertThat(pom).contains("<artifactId>jinfer-bom</artifactId>").contains("<artifactId>jinfer-backend-kit</artifactId>");
    assertThat(guide).as("examples/README.md must quote examples/outside-project/pom.xml whole, in an xml block")
        .contains("```xml\n" + pom + "```\n");
  }
}
