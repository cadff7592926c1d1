import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks a deploy of the reactor into a file repository (see check-publish): every module that does not
 * set maven.deploy.skip is there, nothing else is, every pom carries the release metadata (own or
 * inherited from a parent deployed beside it) and every jar module has its main, sources and javadoc jars.
 *
 * <p>Usage: {@code java .ci/PublishCheck.java <project dir> <repository dir>}; exits 1 listing every problem.
 */
public final class PublishCheck {
  private static final String GROUP = "dev.jinfer";
  private final Set<String> problems = new LinkedHashSet<>();
  private final Path repo;
  private String version;

  private PublishCheck(Path repo) {
    this.repo = repo;
  }

  public static void main(String[] args) throws Exception {
    Path project = Path.of(args[0]);
    PublishCheck check = new PublishCheck(Path.of(args[1]));
    check.run(project);
    if (!check.problems.isEmpty()) {
      check.problems.forEach(p -> System.err.println("PUBLISH CHECK: " + p));
      System.exit(1);
    }
  }

  private void run(Path project) throws Exception {
    Element root = parse(project.resolve("pom.xml"));
    version = text(root, "version");
    Map<String, String> expected = new TreeMap<>(); // artifactId -> packaging
    expected.put(text(root, "artifactId"), "pom");
    for (Element module : children(child(root, "modules"), "module")) {
      Element pom = parse(project.resolve(module.getTextContent().trim()).resolve("pom.xml"));
      Element props = child(pom, "properties");
      boolean skip = props != null && "true".equals(text(props, "maven.deploy.skip"));
      if (!skip) {
        String packaging = text(pom, "packaging");
        expected.put(text(pom, "artifactId"), packaging == null ? "jar" : packaging);
      }
      if ("jinfer-bom".equals(text(pom, "artifactId"))) {
        bomPoints(pom);
      }
    }
    if (!expected.containsKey("jinfer-bom")) {
      problems.add("jinfer-bom is not deployed");
    }
    TreeSet<String> deployed = new TreeSet<>();
    Path groupDir = repo.resolve(GROUP.replace('.', '/'));
    if (Files.isDirectory(groupDir)) {
      try (Stream<Path> dirs = Files.list(groupDir)) {
        dirs.filter(Files::isDirectory).forEach(d -> deployed.add(d.getFileName().toString()));
      }
    }
    for (String unexpected : deployed) {
      if (!expected.containsKey(unexpected)) {
        problems.add(unexpected + " was deployed but sets maven.deploy.skip or is not a module");
      }
    }
    for (Map.Entry<String, String> e : expected.entrySet()) {
      checkArtifact(e.getKey(), e.getValue());
    }
    for (String managed : bomTargets) {
      if (!expected.containsKey(managed)) {
        problems.add("jinfer-bom manages " + managed + ", which is not deployed");
      }
    }
  }

  private final List<String> bomTargets = new ArrayList<>();

  private void bomPoints(Element bom) {
    Element dm = child(bom, "dependencyManagement");
    for (Element dep : children(child(dm, "dependencies"), "dependency")) {
      if (GROUP.equals(text(dep, "groupId"))) {
        bomTargets.add(text(dep, "artifactId"));
      }
    }
  }

  private void checkArtifact(String artifactId, String packaging) throws Exception {
    Path dir = repo.resolve(GROUP.replace('.', '/')).resolve(artifactId).resolve(version);
    Path pom = newest(dir, ".pom");
    if (pom == null) {
      problems.add(artifactId + ": no pom deployed in " + dir);
      return;
    }
    Element project = parse(pom);
    for (String own : List.of("name", "description")) {
      if (blank(text(project, own))) {
        problems.add(artifactId + ": pom has no <" + own + ">");
      }
    }
    for (String field : List.of("url", "licenses/license/name", "licenses/license/url", "scm/url",
        "scm/connection", "developers/developer/name")) {
      if (blank(inherited(project, field))) {
        problems.add(artifactId + ": neither its pom nor a deployed parent has <" + field + ">");
      }
    }
    if (!"Apache-2.0".equals(inherited(project, "licenses/license/name"))) {
      problems.add(artifactId + ": license is " + inherited(project, "licenses/license/name")
          + ", expected Apache-2.0");
    }
    if ("jar".equals(packaging)) {
      checkJar(artifactId, dir, "", ".class", "META-INF/MANIFEST.MF");
      checkJar(artifactId, dir, "-sources", ".java", null);
      checkJar(artifactId, dir, "-javadoc", ".html", "index.html");
      if ("jinfer-backend-kit".equals(artifactId)) { // the kit and the fixtures it extracts outside the repository
        checkJar(artifactId, dir, "", ".class", "dev/jinfer/kit/BackendCompatibilityKit.class");
        checkJar(artifactId, dir, "", ".class", "dev/jinfer/kit/fixtures/onnx/MANIFEST.sha256");
      }
    }
    System.out.println("checked " + artifactId + " (" + packaging + ")");
  }

  private void checkJar(String artifactId, Path dir, String classifier, String suffix, String entry)
      throws IOException {
    Path jar = newest(dir, classifier + ".jar");
    if (jar == null) {
      problems.add(artifactId + ": no " + (classifier.isEmpty() ? "main" : classifier.substring(1))
          + " jar deployed");
      return;
    }
    try (JarFile file = new JarFile(jar.toFile())) {
      boolean any = file.stream().anyMatch(e -> e.getName().endsWith(suffix));
      if (!any) {
        problems.add(jar.getFileName() + ": holds no " + suffix + " file");
      }
      if (entry != null && file.getEntry(entry) == null) {
        problems.add(jar.getFileName() + ": has no " + entry);
      }
      if (classifier.isEmpty()) {
        String name = file.getManifest().getMainAttributes().getValue("Automatic-Module-Name");
        if (blank(name)) {
          problems.add(jar.getFileName() + ": manifest has no Automatic-Module-Name");
        }
      }
    }
  }

  /** The newest deployed file of this directory ending in suffix, not a classified one unless asked. */
  private Path newest(Path dir, String suffix) throws IOException {
    if (!Files.isDirectory(dir)) {
      return null;
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> {
            String n = p.getFileName().toString();
            if (!n.endsWith(suffix)) {
              return false;
            }
            String stem = n.substring(0, n.length() - suffix.length());
            // a snapshot's stem ends in -<timestamp>-<build number>, a release's in the version
            return stem.matches(".*-\\d+") || stem.endsWith(version);
          })
          .max(Path::compareTo).orElse(null);
    }
  }

  /** A field of the pom or, as Maven inherits it, of its parent chain resolved in the repository. */
  private String inherited(Element project, String path) throws Exception {
    for (Element pom = project; pom != null; pom = parentOf(pom)) {
      String value = at(pom, path);
      if (!blank(value)) {
        return value;
      }
    }
    return null;
  }

  private Element parentOf(Element pom) throws Exception {
    Element parent = child(pom, "parent");
    if (parent == null) {
      return null;
    }
    String aid = text(parent, "artifactId");
    Path dir = repo.resolve(text(parent, "groupId").replace('.', '/')).resolve(aid)
        .resolve(text(parent, "version"));
    Path pom2 = newest(dir, ".pom");
    if (pom2 == null) {
      problems.add("parent " + aid + " is not deployed but a published pom inherits from it");
      return null;
    }
    return parse(pom2);
  }

  private static String at(Element start, String path) {
    Element e = start;
    for (String part : path.split("/")) {
      e = child(e, part);
      if (e == null) {
        return null;
      }
    }
    return e.getTextContent().trim();
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static Element parse(Path file) throws Exception {
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(false);
    Document doc = factory.newDocumentBuilder().parse(file.toFile());
    return doc.getDocumentElement();
  }

  private static Element child(Element parent, String name) {
    if (parent == null) {
      return null;
    }
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    if (parent == null) {
      return out;
    }
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        out.add(e);
      }
    }
    return out;
  }

  private static String text(Element parent, String name) {
    Element e = child(parent, name);
    return e == null ? null : e.getTextContent().trim();
  }
}
