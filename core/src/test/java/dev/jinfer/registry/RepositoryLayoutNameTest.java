package dev.jinfer.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link RepositoryLayout#isName}, checked by hand, says what the documented pattern says. */
@Timeout(60)
class RepositoryLayoutNameTest {
  private static final Pattern RULE = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private static boolean rule(String s) {
    return RULE.matcher(s).matches() && !s.contains("..");
  }

  @ParameterizedTest
  @ValueSource(strings = {"fraud", "a", "_x", "9", "m-1.2_b", "", ".a", "-a", "a..b", "a/b", "a b", "é", "a.", "a-", "A_Z.z-0"})
  void agreesWithThePattern(String name) {
    assertThat(RepositoryLayout.isName(name)).isEqualTo(rule(name));
  }

  @Test
  void lengthLimitIs128() {
    assertThat(RepositoryLayout.isName("a".repeat(128))).isTrue();
    assertThat(RepositoryLayout.isName("a".repeat(129))).isFalse();
    assertThat(RepositoryLayout.isName(null)).isFalse();
  }

  @Test
  void agreesOnRandomNames() {
    Random r = new Random(18);
    String alphabet = "aZ09_.-/ %é";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      for (int n = r.nextInt(6); n > 0; n--) {
        b.append(alphabet.charAt(r.nextInt(alphabet.length())));
      }
      String s = b.toString();
      assertThat(RepositoryLayout.isName(s)).as("'%s'", s).isEqualTo(rule(s));
    }
  }
}
