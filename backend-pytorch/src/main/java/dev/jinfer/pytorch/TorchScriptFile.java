package dev.jinfer.pytorch;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/** Looks inside a file libtorch refused, to tell the user what it is instead of TorchScript. */
final class TorchScriptFile {
  private TorchScriptFile() {}

  /**
   * A sentence explaining why a file is not TorchScript, for error messages; never throws.
   *
   * @param path the refused file
   * @return a hint starting with "; ", or a generic one
   */
  static String hint(Path path) {
    boolean pickle = false;
    boolean code = false;
    try (ZipFile zip = new ZipFile(path.toFile())) {
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements();) {
        String name = e.nextElement().getName();
        pickle |= name.endsWith("/data.pkl");
        code |= name.contains("/code/");
      }
    } catch (IOException | RuntimeException e) {
      return "; it is not a TorchScript archive (not a readable zip file: truncated, or another format). "
          + "Export with torch.jit.script(model) or torch.jit.trace(model, example), then torch.jit.save(...)";
    }
    if (pickle && !code) {
      return "; it looks like the output of torch.save() (pickled weights or a pickled nn.Module), which has no "
          + "TorchScript code. Export with torch.jit.script(model) or torch.jit.trace(model, example), then torch.jit.save(...)";
    }
    return "";
  }
}
