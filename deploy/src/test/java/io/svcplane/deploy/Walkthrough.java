package io.svcplane.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The walk-through of README.md: the {@code ```sh} blocks between {@code <!-- walkthrough:begin -->}
 * and {@code <!-- walkthrough:end -->}, in order, exactly as written.
 */
record Walkthrough(List<String> blocks) {
  static final String BEGIN = "<!-- walkthrough:begin -->";
  static final String END = "<!-- walkthrough:end -->";

  static Walkthrough of(Path readme) throws IOException {
    String text = Files.readString(readme);
    int begin = text.indexOf(BEGIN);
    int end = text.indexOf(END);
    if (begin < 0 || end < begin) throw new IllegalStateException(readme + " has no " + BEGIN + " ... " + END + " section");
    List<String> blocks = new ArrayList<>();
    StringBuilder block = null;
    for (String line : text.substring(begin, end).split("\n", -1)) {
      if (block == null && line.strip().equals("```sh")) {
        block = new StringBuilder();
      } else if (block != null && line.strip().equals("```")) {
        blocks.add(block.toString());
        block = null;
      } else if (block != null) {
        block.append(line).append('\n');
      }
    }
    if (block != null) throw new IllegalStateException("unclosed ```sh block in the walk-through of " + readme);
    return new Walkthrough(List.copyOf(blocks));
  }

  /** The block whose first line starts with {@code firstLine}; fails if the README lost it. */
  String block(String firstLine) {
    return blocks.stream().filter(b -> b.startsWith(firstLine)).findFirst()
        .orElseThrow(() -> new AssertionError("README walk-through has no ```sh block starting with: " + firstLine));
  }

  /** A block with the default addresses moved to the test cluster's networks (same commands otherwise). */
  static String localize(String block, Map<String, String> prefixes) {
    String s = block;
    for (var e : prefixes.entrySet()) s = s.replace(e.getKey(), e.getValue());
    return s;
  }
}
