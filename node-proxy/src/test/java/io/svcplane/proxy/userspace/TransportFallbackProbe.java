package io.svcplane.proxy.userspace;

import io.netty.channel.Channel;
import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import io.svcplane.proxy.ProxyMetrics;
import io.svcplane.testkit.FreePorts;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Run in a JVM of its own by {@link NettyTransportTest} (a native transport's availability is
 * decided once per JVM): the transport the default settings choose, one byte relayed through it,
 * and what asking for io_uring by name says. Prints {@code kind=K relayed=ok} and
 * {@code io_uring=<the error or "available">}.
 */
public final class TransportFallbackProbe {
  public static void main(String[] args) throws Exception {
    try (NettyTransport transport = new NettyTransport(1); ServerSocket pod = new ServerSocket()) {
      pod.bind(new InetSocketAddress("127.0.0.1", 0));
      InetSocketAddress at = new InetSocketAddress("127.0.0.1", FreePorts.loopback());
      var rule = new ServicePortRule(new ServicePortName("default", "probe", "p"), Protocol.TCP, "127.0.0.1", at.getPort(), 0,
          false, false, 0, List.of(new Endpoint("127.0.0.1", pod.getLocalPort(), "node", true, true, false)));
      List<Channel> listeners = transport.bindTcp(at, TcpRelay.acceptor(transport,
          new PortRoute(EndpointPicker.of(rule, "node", null)), false, new ProxyMetrics())).get(10, TimeUnit.SECONDS);
      try (Socket client = new Socket()) {
        client.connect(at, 5000);
        client.setSoTimeout(10_000);
        client.getOutputStream().write('x');
        try (Socket s = pod.accept()) {
          s.setSoTimeout(10_000);
          int b = s.getInputStream().read();
          System.out.println("kind=" + transport.kind() + " relayed=" + (b == 'x' ? "ok" : "no"));
        }
      }
      NettyTransport.closeAll(listeners).get(10, TimeUnit.SECONDS);
    }
    String uring;
    try {
      NettyTransport.Kind.choose("io_uring");
      uring = "available";
    } catch (IllegalArgumentException e) {
      uring = e.getMessage();
    }
    System.out.println("io_uring=" + uring);
  }
}
