package io.svcplane.proxy.nftables;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** {@link Nft} as a child process: {@code nft}, or {@code ip netns exec NS nft} for a namespace. */
public final class NftCommand implements Nft {
  private static final long TIMEOUT_SECONDS = 120;

  private final List<String> prefix;

  private NftCommand(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  /** nft in this process's network namespace. */
  public static NftCommand local() {
    return new NftCommand(List.of("nft"));
  }

  /** nft inside the named network namespace (as {@code ip netns add} creates them). */
  public static NftCommand inNetns(String netns) {
    return new NftCommand(List.of("ip", "netns", "exec", netns, "nft"));
  }

  @Override
  public void apply(String script) throws NftException {
    exec(List.of("-f", "-"), script);
  }

  @Override
  public String run(String... args) throws NftException {
    return exec(List.of(args), null);
  }

  private String exec(List<String> args, String stdin) throws NftException {
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(args);
    Process p;
    try {
      p = new ProcessBuilder(cmd).start();
    } catch (IOException e) {
      throw new NftException("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
    }
    // Own threads, not the common pool: a blocked reader there could stall the other stream.
    CompletableFuture<byte[]> out = drain(p.getInputStream(), "nft-stdout");
    CompletableFuture<byte[]> err = drain(p.getErrorStream(), "nft-stderr");
    try (OutputStream in = p.getOutputStream()) {
      if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      // nft exits early on a parse error and closes its stdin: its stderr says why.
    }
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new NftException(String.join(" ", cmd) + " did not finish within " + TIMEOUT_SECONDS + " s");
      }
      String stderr = new String(err.join(), StandardCharsets.UTF_8).strip();
      if (p.exitValue() != 0) {
        throw new NftException("nft " + String.join(" ", args) + " failed (exit " + p.exitValue() + "): " + firstLines(stderr, 12));
      }
      return new String(out.join(), StandardCharsets.UTF_8);
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new NftException("interrupted while running nft", e);
    }
  }

  private static CompletableFuture<byte[]> drain(InputStream s, String name) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try (s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        s.transferTo(b);
        result.complete(b.toByteArray());
      } catch (IOException e) {
        result.completeExceptionally(new UncheckedIOException(e));
      }
    }, name);
    t.setDaemon(true);
    t.start();
    return result;
  }

  private static String firstLines(String s, int n) {
    String[] lines = s.split("\n");
    if (lines.length <= n) return s;
    return String.join("\n", Arrays.copyOf(lines, n)) + "\n... (" + (lines.length - n) + " more lines)";
  }
}
