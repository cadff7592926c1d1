package dev.jinfer.spark;

import dev.jinfer.ModelLoadException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;
import org.apache.spark.SparkFiles;
import org.jspecify.annotations.Nullable;

/** Where a model location points in this JVM, and the version of the file found there. */
final class ModelFiles {
  private ModelFiles() {
  }

  /**
   * A readable path for a location: the path itself if this JVM can read it, else the file of that name
   * distributed with {@code SparkContext.addFile}.
   */
  static Path resolve(String location) {
    Path direct = readable(location);
    if (direct != null) {
      return direct;
    }
    @Nullable Path distributed = null;
    try {
      Path name = Path.of(location).getFileName();
      if (name != null) {
        distributed = readable(SparkFiles.get(name.toString()));
      }
    } catch (RuntimeException e) {
      // no SparkEnv in this JVM, or an unusable name: only the direct path counts
    }
    if (distributed != null) {
      return distributed;
    }
    throw new ModelLoadException("model location '" + location + "': expected a model file or directory that this JVM ("
        + host() + ") can read, or a file of that name added with SparkContext.addFile, but found neither");
  }

  /** The version of the model at a path: its size and last modification time (over all files of a directory). */
  static String version(Path path) {
    try {
      if (!Files.isDirectory(path)) {
        return Files.size(path) + "-" + Files.getLastModifiedTime(path).toMillis();
      }
      long size = 0;
      long modified = 0;
      try (Stream<Path> files = Files.walk(path)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
          size += a.isRegularFile() ? a.size() : 0;
          modified = Math.max(modified, a.lastModifiedTime().toMillis());
        }
      }
      return size + "-" + modified;
    } catch (IOException e) {
      throw new UncheckedIOException("model location '" + path + "': cannot read its size and modification time", e);
    }
  }

  private static @Nullable Path readable(String location) {
    try {
      Path p = Path.of(location);
      return Files.isReadable(p) ? p : null;
    } catch (InvalidPathException e) {
      return null;
    }
  }

  private static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "unknown host";
    }
  }
}
