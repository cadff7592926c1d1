package dev.jinfer;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

/** Writes jars for the classpath-repository tests. Stateless. */
public final class TestJars {
  private TestJars() {}

  /**
   * Writes a jar holding the files, with a directory entry for every directory above them, as Maven's jar plugin
   * and Spring Boot write them (a classpath repository lists a jar through them).
   *
   * @param file the jar to write
   * @param files entry name ({@code models/fraud/1/model.onnx}) to contents
   * @return the jar
   * @throws IOException if it cannot be written
   */
  public static Path write(Path file, Map<String, byte[]> files) throws IOException {
    Set<String> dirs = new TreeSet<>();
    for (String name : files.keySet()) {
      for (int i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
        dirs.add(name.substring(0, i + 1));
      }
    }
    try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out)) {
      for (String d : dirs) {
        jar.putNextEntry(new JarEntry(d));
        jar.closeEntry();
      }
      for (Map.Entry<String, byte[]> e : new java.util.TreeMap<>(files).entrySet()) {
        jar.putNextEntry(new JarEntry(e.getKey()));
        jar.write(e.getValue());
        jar.closeEntry();
      }
    }
    return file;
  }
}
