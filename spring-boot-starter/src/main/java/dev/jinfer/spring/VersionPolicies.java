package dev.jinfer.spring;

import dev.jinfer.registry.VersionPolicy;
import java.util.Locale;

/** Parses the version policy property: {@code latest}, {@code latest:N}, {@code all}, {@code specific:V1,V2}. */
final class VersionPolicies {
  private VersionPolicies() {}

  static VersionPolicy parse(String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.equals("latest")) {
        return VersionPolicy.latest();
      }
      if (s.equals("all")) {
        return VersionPolicy.all();
      }
      if (s.startsWith("latest:")) {
        return VersionPolicy.latest(Integer.parseInt(s.substring("latest:".length()).trim()));
      }
      if (s.startsWith("specific:")) {
        String[] parts = s.substring("specific:".length()).split(",");
        long[] versions = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
          versions[i] = Long.parseLong(parts[i].trim());
        }
        return VersionPolicy.specific(versions);
      }
    } catch (NumberFormatException e) {
      // falls through to the message below
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("must be latest, latest:N, all or specific:V1,V2, but '" + text + "': " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("must be latest, latest:N (N >= 1), all or specific:V1,V2 but was '" + text + "'");
  }
}
