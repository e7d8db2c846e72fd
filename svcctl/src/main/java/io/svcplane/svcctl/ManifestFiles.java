package io.svcplane.svcctl;

import io.svcplane.core.manifest.Manifests;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The manifests named by {@code -f}: a file, a directory (its *.yaml, *.yml and *.json files in
 * name order; with {@code -R} also those of its subdirectories) or {@code -} for stdin.
 */
final class ManifestFiles {
  private ManifestFiles() {}

  /** One file's documents, and the syntax error that ended its reading, if any. */
  record Source(String name, Manifests.Reading reading) {}

  static List<Source> read(List<String> filenames, boolean recursive, InputStream stdin) {
    if (filenames == null || filenames.isEmpty()) {
      throw new CliException("error: must specify one of -f and -k");
    }
    List<Source> sources = new ArrayList<>();
    for (String f : filenames) {
      if (f.equals("-")) {
        sources.add(new Source("STDIN", Manifests.readUntilSyntaxError(readStdin(stdin))));
        continue;
      }
      Path path = Path.of(f);
      if (!Files.exists(path)) throw new CliException("error: the path \"" + f + "\" does not exist");
      if (Files.isDirectory(path)) {
        for (Path p : manifestsIn(path, recursive)) sources.add(readFile(p, p.toString()));
      } else {
        sources.add(readFile(path, f));
      }
    }
    return sources;
  }

  private static List<Path> manifestsIn(Path dir, boolean recursive) {
    try (Stream<Path> s = recursive ? Files.walk(dir) : Files.list(dir)) {
      return s.filter(Files::isRegularFile).filter(ManifestFiles::isManifestName).sorted().toList();
    } catch (IOException e) {
      throw new CliException("error: cannot read directory \"" + dir + "\": " + e.getMessage());
    }
  }

  private static boolean isManifestName(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return n.endsWith(".yaml") || n.endsWith(".yml") || n.endsWith(".json");
  }

  private static Source readFile(Path p, String name) {
    try {
      return new Source(name, Manifests.readUntilSyntaxError(Files.readString(p, StandardCharsets.UTF_8)));
    } catch (IOException | UncheckedIOException e) {
      throw new CliException("error: cannot read \"" + name + "\": " + e.getMessage());
    }
  }

  private static String readStdin(InputStream in) {
    try {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliException("error: cannot read stdin: " + e.getMessage());
    }
  }
}
