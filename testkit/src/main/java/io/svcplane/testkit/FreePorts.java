package io.svcplane.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports for servers a test starts; tests never hard-code ports. */
public final class FreePorts {
  private FreePorts() {}

  /** A port that was free on {@code host} a moment ago. */
  public static int on(String host) {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static int loopback() {
    return on("127.0.0.1");
  }
}
