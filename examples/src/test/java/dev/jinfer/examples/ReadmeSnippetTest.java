package dev.jinfer.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's Java snippet is what a reader copies: it must compile as shown, imports included. */
class ReadmeSnippetTest {

  private static final Pattern FIRST_JAVA_BLOCK = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL);
  private static final Pattern PUBLIC_CLASS = Pattern.compile("public (?:final )?class (\\w+)");

  @Test
  void readmeJavaSnippet_compilesAsShown_withoutWarnings(@TempDir Path dir) throws IOException {
    String snippet = firstJavaBlock(readme());
    Matcher type = PUBLIC_CLASS.matcher(snippet);
    assertThat(type.find())
        .as("README's first java block must be a whole compilation unit with a public class:%n%s", snippet)
        .isTrue();
    Path source = dir.resolve(type.group(1) + ".java");
    Files.writeString(source, snippet, StandardCharsets.UTF_8);

    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    StringWriter diagnostics = new StringWriter();
    boolean compiled = javac.getTask(diagnostics, null, null,
            List.of("-classpath", System.getProperty("java.class.path"), "-d", dir.toString(),
                "--release", "17", "-Xlint:all", "-Werror"),
            null, javac.getStandardFileManager(null, null, StandardCharsets.UTF_8)
                .getJavaFileObjects(source))
        .call();

    assertThat(compiled).as("README snippet does not compile:%n%s", diagnostics).isTrue();
    assertThat(dir.resolve(type.group(1) + ".class")).exists();
  }

  private static Path readme() {
    // surefire passes the fixtures directory, which sits beside README.md at the repository root
    return Path.of(System.getProperty("jinfer.fixtures")).resolveSibling("README.md");
  }

  private static String firstJavaBlock(Path readme) throws IOException {
    Matcher block = FIRST_JAVA_BLOCK.matcher(Files.readString(readme, StandardCharsets.UTF_8));
    assertThat(block.find()).as("%s has no ```java block", readme).isTrue();
    return block.group(1);
  }
}
