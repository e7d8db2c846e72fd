package io.svcplane.proxy.dns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs Debian's {@code dig} against a server on 127.0.0.1 and reads its answer as a person would. */
final class Dig {
  private static final Pattern STATUS = Pattern.compile(";; ->>HEADER<<- opcode: (\\S+), status: ([A-Z]+), id: \\d+");
  private static final Pattern FLAGS = Pattern.compile(";; flags:([a-z ]*);");

  /** dig's reading of one answer: status (null when no server answered), header flags, sections with whitespace collapsed. */
  record Answer(String status, Set<String> flags, List<String> answer, List<String> authority, List<String> additional, String output) {
    /** The answer section's record data (the last field), e.g. the addresses of A records. */
    Set<String> data() {
      Set<String> out = new TreeSet<>();
      for (String line : answer) out.add(line.substring(line.lastIndexOf(' ') + 1));
      return out;
    }

    @Override
    public String toString() {
      return output;
    }
  }

  private final int port;

  Dig(int port) {
    this.port = port;
  }

  /** {@code dig @127.0.0.1 -p PORT +tries=2 +time=4 ARGS...}: arguments as on the command line. */
  Answer ask(String... args) {
    List<String> cmd = new ArrayList<>(List.of("dig", "@127.0.0.1", "-p", Integer.toString(port), "+tries=2", "+time=4"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      p.getOutputStream().close();
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("dig did not finish: " + cmd);
      }
      return parse(new String(out, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new AssertionError("cannot run dig (Debian package dnsutils): " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Answer parse(String output) {
    String status = null;
    Set<String> flags = new TreeSet<>();
    List<String> answer = new ArrayList<>();
    List<String> authority = new ArrayList<>();
    List<String> additional = new ArrayList<>();
    List<String> section = null;
    for (String line : output.split("\n")) {
      Matcher m = STATUS.matcher(line);
      if (m.find()) status = m.group(2);
      m = FLAGS.matcher(line);
      if (m.find()) {
        for (String f : m.group(1).trim().split(" ")) if (!f.isEmpty()) flags.add(f);
      }
      if (line.startsWith(";; ANSWER SECTION:")) section = answer;
      else if (line.startsWith(";; AUTHORITY SECTION:")) section = authority;
      else if (line.startsWith(";; ADDITIONAL SECTION:")) section = additional;
      else if (line.isBlank() || line.startsWith(";")) {
        if (line.isBlank()) section = null;
      } else if (section != null) {
        section.add(line.trim().replaceAll("\\s+", " "));
      }
    }
    return new Answer(status, flags, answer, authority, additional, output);
  }
}
