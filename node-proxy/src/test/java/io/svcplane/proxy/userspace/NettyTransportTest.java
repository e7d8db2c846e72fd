package io.svcplane.proxy.userspace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.Channel;
import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import io.svcplane.proxy.ProxyMetrics;
import io.svcplane.testkit.FreePorts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The relay on every I/O mechanism it can run on here (io_uring, epoll, nio), with real loopback
 * traffic: listeners bound by {@link NettyTransport}, {@link TcpRelay}/{@link UdpRelay} in between,
 * plain JDK sockets as client and endpoint. The node proxy's own tests run on the default kind;
 * these make sure the others forward the same way (the default is only what is fastest here).
 */
class NettyTransportTest {
  static final String SERVICE_IP = "127.96.72.1";
  static final String POD_IP = "127.244.72.1";
  static final ServicePortName NAME = new ServicePortName("default", "relay", "p");

  private NettyTransport transport;
  private final List<Channel> listeners = new ArrayList<>();
  private final List<AutoCloseable> servers = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    NettyTransport.closeAll(listeners).get(10, TimeUnit.SECONDS);
    for (AutoCloseable s : servers) s.close();
    if (transport != null) transport.close();
  }

  @ParameterizedTest
  @EnumSource(NettyTransport.Kind.class)
  void closeClosesTheListenersBeforeTheLoopsQuietly(NettyTransport.Kind kind) throws Exception {
    assumeTrue(kind.isAvailable(), kind + " is not available here");
    transport = new NettyTransport(2, kind);
    List<Channel> bound = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      InetSocketAddress at = new InetSocketAddress(SERVICE_IP, FreePorts.on(SERVICE_IP));
      bound.addAll(transport.bindTcp(at, new io.netty.channel.ChannelInitializer<io.netty.channel.socket.SocketChannel>() {
        @Override
        protected void initChannel(io.netty.channel.socket.SocketChannel ch) {}
      }).get(10, TimeUnit.SECONDS));
      bound.addAll(transport.bindUdp(at, io.netty.channel.ChannelInboundHandlerAdapter::new).get(10, TimeUnit.SECONDS));
    }
    assertEquals(40, transport.openListeners()); // 10 TCP and 10 UDP ports, one socket per loop
    // Netty logs through SLF4J's simple logger, which writes to the System.err of the moment.
    java.io.PrintStream err = System.err;
    ByteArrayOutputStream logged = new ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(logged, true, StandardCharsets.UTF_8));
    try {
      // As at a node proxy's stop: the service-port actors start closing half of their listeners,
      // then the transport closes without waiting for them.
      NettyTransport.closeAll(bound.subList(0, 20));
      transport.close();
    } finally {
      System.setErr(err);
    }
    assertEquals(0, transport.openListeners());
    String log = logged.toString(StandardCharsets.UTF_8);
    assertTrue(!log.contains("RejectedExecutionException") && !log.contains("WARN"), "closing logged:\n" + log);
    transport = null;
  }

  /** A listener on SERVICE_IP:port relaying TCP to {@code endpoints}. */
  private InetSocketAddress tcpService(NettyTransport.Kind kind, List<InetSocketAddress> endpoints) throws Exception {
    assumeTrue(kind.isAvailable(), kind + " is not available here");
    transport = new NettyTransport(2, kind);
    assertEquals(kind, transport.kind());
    InetSocketAddress at = new InetSocketAddress(SERVICE_IP, FreePorts.on(SERVICE_IP));
    PortRoute route = new PortRoute(EndpointPicker.of(rule(Protocol.TCP, at.getPort(), endpoints), "node", null));
    listeners.addAll(transport.bindTcp(at, TcpRelay.acceptor(transport, route, false, new ProxyMetrics())).get(10, TimeUnit.SECONDS));
    return at;
  }

  private static ServicePortRule rule(Protocol protocol, int port, List<InetSocketAddress> endpoints) {
    List<Endpoint> eps = endpoints.stream()
        .map(e -> new Endpoint(e.getAddress().getHostAddress(), e.getPort(), "node", true, true, false)).toList();
    return new ServicePortRule(NAME, protocol, SERVICE_IP, port, 0, false, false, 0, eps);
  }

  /** An endpoint that answers every line with "pod:" + the line, on the same connection, until the client closes. */
  private InetSocketAddress lineServer() throws IOException {
    ServerSocket ss = listen();
    daemon(() -> {
      while (!ss.isClosed()) {
        Socket s = ss.accept();
        daemon(() -> {
          try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            String line;
            while ((line = readLine(in)) != null) {
              out.write(("pod:" + line + "\n").getBytes(StandardCharsets.UTF_8));
              out.flush();
            }
          }
        });
      }
    });
    return (InetSocketAddress) ss.getLocalSocketAddress();
  }

  private ServerSocket listen() throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(new InetSocketAddress(POD_IP, 0), 128);
    servers.add(ss);
    return ss;
  }

  interface IoAction {
    void run() throws IOException;
  }

  private static void daemon(IoAction action) {
    Thread t = new Thread(() -> {
      try {
        action.run();
      } catch (IOException closed) {
        // The test ended or the peer went away.
      }
    });
    t.setDaemon(true);
    t.start();
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1 && c != '\n') b.write(c);
    if (c == -1 && b.size() == 0) return null;
    return b.toString(StandardCharsets.UTF_8);
  }

  private static Socket connect(InetSocketAddress at) throws IOException {
    Socket s = new Socket();
    s.connect(at, 5000);
    s.setSoTimeout(10_000);
    return s;
  }

  @ParameterizedTest
  @EnumSource(NettyTransport.Kind.class)
  void requestsAndAnswersTravelBothWaysOnOneConnectionIncludingBytesSentBeforeTheEndpointIsConnected(NettyTransport.Kind kind)
      throws Exception {
    InetSocketAddress service = tcpService(kind, List.of(lineServer()));
    for (int c = 0; c < 20; c++) {
      try (Socket s = connect(service)) {
        OutputStream out = s.getOutputStream();
        // Written at once after the handshake: the proxy reads it while it still connects to the endpoint.
        out.write(("hello-" + c + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        assertEquals("pod:hello-" + c, readLine(s.getInputStream()));
        for (int i = 0; i < 5; i++) {
          out.write(("req-" + i + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
          assertEquals("pod:req-" + i, readLine(s.getInputStream()));
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(NettyTransport.Kind.class)
  void anEndpointThatAnswersAndClosesGivesTheClientTheWholeAnswerThenAnOrderlyEndOfStream(NettyTransport.Kind kind)
      throws Exception {
    // As HTTP with "Connection: close": the endpoint writes its answer and closes at once.
    byte[] answer = new byte[300_000];
    new Random(7).nextBytes(answer);
    ServerSocket ss = listen();
    daemon(() -> {
      while (!ss.isClosed()) {
        try (Socket s = ss.accept()) {
          readLine(s.getInputStream());
          s.getOutputStream().write(answer);
        }
      }
    });
    InetSocketAddress service = tcpService(kind, List.of((InetSocketAddress) ss.getLocalSocketAddress()));
    for (int c = 0; c < 20; c++) {
      try (Socket s = connect(service)) {
        s.getOutputStream().write("GET\n".getBytes(StandardCharsets.UTF_8));
        // readAllBytes returns only at EOF (FIN); a reset would throw instead.
        assertArrayEquals(answer, s.getInputStream().readAllBytes());
      }
    }
  }

  @ParameterizedTest
  @EnumSource(NettyTransport.Kind.class)
  void largeTransfersInBothDirectionsArriveWholeThroughASlowReader(NettyTransport.Kind kind) throws Exception {
    // The endpoint echoes every byte; the client writes 8 MiB while it reads slowly, so both
    // directions fill up and the relay has to stop reading one side while the other is full.
    ServerSocket ss = listen();
    daemon(() -> {
      while (!ss.isClosed()) {
        Socket s = ss.accept();
        daemon(() -> {
          try (s) {
            s.getInputStream().transferTo(s.getOutputStream());
          }
        });
      }
    });
    InetSocketAddress service = tcpService(kind, List.of((InetSocketAddress) ss.getLocalSocketAddress()));
    byte[] data = new byte[8 << 20];
    new Random(11).nextBytes(data);
    try (Socket s = connect(service)) {
      Thread writer = new Thread(() -> {
        try {
          OutputStream out = s.getOutputStream();
          for (int off = 0; off < data.length; off += 65536) out.write(data, off, Math.min(65536, data.length - off));
          out.flush();
        } catch (IOException e) {
          throw new RuntimeException(e);
        }
      });
      writer.start();
      MessageDigest got = MessageDigest.getInstance("SHA-256");
      InputStream in = s.getInputStream();
      byte[] buf = new byte[16384];
      long total = 0;
      int n;
      while (total < data.length && (n = in.read(buf)) != -1) {
        got.update(buf, 0, n);
        total += n;
        if (total < (1 << 20)) Thread.sleep(1); // slow at first, so the buffers fill up
      }
      writer.join(30_000);
      assertEquals(data.length, total);
      assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), got.digest());
    }
  }

  @ParameterizedTest
  @EnumSource(NettyTransport.Kind.class)
  void aConnectionToAnEndpointThatRefusesIsResetAtOnce(NettyTransport.Kind kind) throws Exception {
    // A port nothing listens on: the proxy's connect is refused and the client gets a reset.
    InetSocketAddress dead = new InetSocketAddress(POD_IP, FreePorts.on(POD_IP));
    InetSocketAddress service = tcpService(kind, List.of(dead));
    long start = System.nanoTime();
    // The reset may come before connect() has returned (it polls for the handshake's end and then
    // finds ECONNRESET), while writing, or while reading: a reset at any of these steps will do.
    assertThrows(SocketException.class, () -> {
      try (Socket s = connect(service)) {
        s.getOutputStream().write("GET\n".getBytes(StandardCharsets.UTF_8));
        if (s.getInputStream().read() == -1) throw new AssertionError("orderly close, not a reset");
      }
    });
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "reset took too long");
  }

  @ParameterizedTest
  @EnumSource(NettyTransport.Kind.class)
  void udpDatagramsReachTheEndpointAndItsAnswersComeBackFromTheServiceAddress(NettyTransport.Kind kind) throws Exception {
    assumeTrue(kind.isAvailable(), kind + " is not available here");
    DatagramSocket pod = new DatagramSocket(new InetSocketAddress(POD_IP, 0));
    servers.add(pod);
    daemon(() -> {
      byte[] buf = new byte[1500];
      while (!pod.isClosed()) {
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        pod.receive(p);
        byte[] a = ("pod:" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        pod.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
      }
    });
    transport = new NettyTransport(2, kind);
    InetSocketAddress at = new InetSocketAddress(SERVICE_IP, FreePorts.on(SERVICE_IP));
    PortRoute route = new PortRoute(EndpointPicker.of(
        rule(Protocol.UDP, at.getPort(), List.of((InetSocketAddress) pod.getLocalSocketAddress())), "node", null));
    listeners.addAll(transport.bindUdp(at, () -> new UdpRelay(transport, route, false, new ProxyMetrics())).get(10, TimeUnit.SECONDS));
    try (DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      client.setSoTimeout(500);
      for (int i = 0; i < 5; i++) {
        byte[] q = ("ping-" + i).getBytes(StandardCharsets.UTF_8);
        DatagramPacket answer = new DatagramPacket(new byte[1500], 1500);
        boolean got = false;
        // UDP may drop: resend until answered, within a deadline.
        for (long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10); !got && System.nanoTime() < deadline; ) {
          client.send(new DatagramPacket(q, q.length, at));
          try {
            client.receive(answer);
            got = true;
          } catch (java.net.SocketTimeoutException again) {
            // resend
          }
        }
        assertTrue(got, "no answer to ping-" + i);
        assertEquals("pod:ping-" + i, new String(answer.getData(), 0, answer.getLength(), StandardCharsets.UTF_8));
        assertEquals(at, answer.getSocketAddress());
      }
    }
  }

  @Test
  void autoChoosesTheFirstAvailableOfIoUringEpollAndNio() {
    NettyTransport.Kind expected = Arrays.stream(NettyTransport.Kind.values()).filter(NettyTransport.Kind::isAvailable).findFirst().orElseThrow();
    assertEquals(expected, NettyTransport.Kind.choose("auto"));
    assertEquals(expected, NettyTransport.Kind.choose(null));
    assertEquals(NettyTransport.Kind.NIO, NettyTransport.Kind.choose("nio"));
  }

  @Test
  void whereNoNativeTransportLoadsTheProxyFallsBackToNioAndAskingForIoUringByNameSaysWhy() throws Exception {
    // io.netty.transport.noNative stands for a kernel or container (seccomp) that forbids io_uring
    // and epoll; availability is decided once per JVM, hence a JVM of its own.
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dio.netty.transport.noNative=true", "-cp", System.getProperty("java.class.path"),
        TransportFallbackProbe.class.getName()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("kind=nio relayed=ok"), out);
    assertTrue(out.contains("io_uring=svcplane.proxy.transport: \"io_uring\" is not available here: "), out);
    assertTrue(out.contains("noNative"), out);
  }

  @Test
  void anUnknownTransportNameIsRejectedWithTheSupportedValues() {
    var e = assertThrows(IllegalArgumentException.class, () -> NettyTransport.Kind.choose("kqueue"));
    assertEquals("svcplane.proxy.transport: Unsupported value: \"kqueue\": supported values: \"auto\", \"io_uring\", \"epoll\", \"nio\"",
        e.getMessage());
  }
}
