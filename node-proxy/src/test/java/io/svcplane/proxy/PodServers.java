package io.svcplane.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Small servers on pod addresses that answer with their own name: TCP (name, then close) and UDP (name:payload). */
final class PodServers implements AutoCloseable {
  private final List<AutoCloseable> open = new ArrayList<>();

  /** A TCP server on ip:port that writes {@code name} to every connection, then closes it. */
  void tcp(String ip, int port, String name) throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(new InetSocketAddress(ip, port), 512);
    open.add(ss);
    Thread t = new Thread(() -> {
      while (!ss.isClosed()) {
        try (Socket s = ss.accept()) {
          OutputStream out = s.getOutputStream();
          out.write((name + "\n").getBytes(StandardCharsets.UTF_8));
          out.flush();
        } catch (IOException e) {
          // Closed, or a client that went away.
        }
      }
    }, "pod-" + name);
    t.setDaemon(true);
    t.start();
  }

  /** A UDP server on ip:port answering each datagram with "name:payload". */
  void udp(String ip, int port, String name) throws IOException {
    DatagramSocket ds = new DatagramSocket(new InetSocketAddress(ip, port));
    open.add(ds);
    Thread t = new Thread(() -> {
      byte[] buf = new byte[1500];
      while (!ds.isClosed()) {
        try {
          DatagramPacket p = new DatagramPacket(buf, buf.length);
          ds.receive(p);
          byte[] answer = (name + ":" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
              .getBytes(StandardCharsets.UTF_8);
          ds.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
        } catch (IOException e) {
          // Closed.
        }
      }
    }, "udp-pod-" + name);
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws Exception {
    for (AutoCloseable c : open) c.close();
  }
}
