package io.svcplane.proxy;

import io.svcplane.api.v1.ClientIPConfig;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.api.v1.SessionAffinityConfig;
import io.svcplane.core.Kinds;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/** Objects and network helpers for the proxy's traffic tests. */
final class Fixtures {
  private Fixtures() {}

  static ServiceSpec.Builder spec(String clusterIp, String protocol, int port, int targetPort) {
    return ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp(clusterIp).addClusterIps(clusterIp)
        .addPorts(ServicePort.newBuilder().setProtocol(protocol).setPort(port).setTargetPort(Integer.toString(targetPort)));
  }

  static Resource service(String name, ServiceSpec.Builder spec) {
    return Kinds.wrap(Service.newBuilder().setApiVersion("v1").setKind("Service")
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name)).setSpec(spec).build());
  }

  static ServiceSpec.Builder clientIpAffinity(ServiceSpec.Builder spec, int seconds) {
    return spec.setSessionAffinity("ClientIP").setSessionAffinityConfig(
        SessionAffinityConfig.newBuilder().setClientIp(ClientIPConfig.newBuilder().setTimeoutSeconds(seconds)));
  }

  /** User-written Endpoints of a selector-less service. */
  static Resource endpoints(String name, String protocol, int port, List<String> ready, List<String> notReady, String node) {
    var subset = EndpointSubset.newBuilder().addPorts(EndpointPort.newBuilder().setPort(port).setProtocol(protocol));
    ready.forEach(ip -> subset.addAddresses(EndpointAddress.newBuilder().setIp(ip).setNodeName(node)));
    notReady.forEach(ip -> subset.addNotReadyAddresses(EndpointAddress.newBuilder().setIp(ip).setNodeName(node)));
    var e = Endpoints.newBuilder().setApiVersion("v1").setKind("Endpoints")
        .setMetadata(ObjectMeta.newBuilder().setNamespace("default").setName(name));
    if (!ready.isEmpty() || !notReady.isEmpty()) e.addSubsets(subset);
    return Kinds.wrap(e.build());
  }

  /** Connects, reads the server's whole answer. Throws if the connection is refused or reset. */
  static String fetch(String ip, int port) throws IOException {
    return fetch(ip, port, null);
  }

  static String fetch(String ip, int port, String fromIp) throws IOException {
    try (Socket s = new Socket()) {
      if (fromIp != null) s.bind(new InetSocketAddress(fromIp, 0));
      s.setSoTimeout(3000);
      s.connect(new InetSocketAddress(ip, port), 3000);
      InputStream in = s.getInputStream();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      in.transferTo(out);
      return out.toString(StandardCharsets.UTF_8).trim();
    }
  }

  /** True if connecting fails at once (refused or reset before any answer). */
  static boolean refused(String ip, int port) {
    try {
      String answer = fetch(ip, port);
      return answer.isEmpty();
    } catch (IOException e) {
      return true;
    }
  }

  static String udpAsk(String ip, int port, String payload) throws IOException {
    try (DatagramSocket s = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
      s.setSoTimeout(500);
      byte[] b = payload.getBytes(StandardCharsets.UTF_8);
      for (int attempt = 0; attempt < 10; attempt++) {
        s.send(new DatagramPacket(b, b.length, InetAddress.getByName(ip), port));
        byte[] buf = new byte[1500];
        DatagramPacket p = new DatagramPacket(buf, buf.length);
        try {
          s.receive(p);
          return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
        } catch (java.net.SocketTimeoutException e) {
          // UDP: try again.
        }
      }
      throw new IOException("no UDP answer from " + ip + ":" + port);
    }
  }

  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting: " + what);
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
