package io.svcplane.svcctl;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.FileDescriptor;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneId;
import java.util.Map;

/**
 * What one svcctl run talks to: its streams, environment, clock and time zone. The real one is
 * the process's; tests run svcctl in-process with captured streams and a fixed clock.
 */
public record Terminal(InputStream in, PrintStream out, PrintStream err, Map<String, String> env, Clock clock, ZoneId zone) {

  static Terminal system() {
    // Buffered: a table is many small writes; svcctl flushes after each line that must show now.
    PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16),
        false, StandardCharsets.UTF_8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
    return new Terminal(System.in, out, err, System.getenv(), Clock.systemUTC(), ZoneId.systemDefault());
  }
}
