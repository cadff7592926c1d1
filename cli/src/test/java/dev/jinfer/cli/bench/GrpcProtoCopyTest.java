package dev.jinfer.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * bench's copy of the Open Inference Protocol's {@code .proto} is the service's (examples), but for its
 * {@code java_package} and the comment saying so: a change to one without the other fails here.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GrpcProtoCopyTest {
  @Test
  void theClientsProto_isTheServersProto_exceptItsJavaPackage() throws Exception {
    Path module = Path.of("").toAbsolutePath();
    List<String> server = Files.readAllLines(module.resolveSibling("examples").resolve("src/main/proto/grpc_predict_v2.proto"));
    List<String> client = Files.readAllLines(module.resolve("src/main/proto/grpc_predict_v2.proto"));
    assertThat(client).contains("option java_package = \"dev.jinfer.cli.bench.oip\";");
    assertThat(server).contains("option java_package = \"dev.jinfer.examples.rest.oip\";");
    assertThat(withoutJinferLines(client)).isEqualTo(withoutJinferLines(server)).hasSizeGreaterThan(100);
  }

  private static List<String> withoutJinferLines(List<String> lines) {
    return lines.stream().filter(l -> !l.startsWith("option java_package") && !l.startsWith("// This copy is the client side")
        && !l.startsWith("// is the server's. The two differ only")).collect(Collectors.toList());
  }
}
