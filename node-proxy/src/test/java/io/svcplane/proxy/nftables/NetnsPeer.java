package io.svcplane.proxy.nftables;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The programs the kernel tests run inside network namespaces (a JVM cannot enter one itself).
 *
 * <pre>
 * serve IP:PORT...                       TCP and UDP on each address; answers "IP:PORT CLIENT-IP"
 * probe tcp|udp IP:PORT COUNT [BIND-IP]  COUNT new connections (or datagrams); prints a tally
 * probe udp IP:PORT COUNT BIND-IP PORT   COUNT datagrams of one flow, from BIND-IP:PORT
 * </pre>
 *
 * A tally line is "N&lt;TAB&gt;answer" or "N&lt;TAB&gt;error:ExceptionClass".
 */
public final class NetnsPeer {
  private NetnsPeer() {}

  public static void main(String[] args) throws Exception {
    switch (args[0]) {
      case "serve" -> serve(args);
      case "probe" -> probe(args);
      default -> throw new IllegalArgumentException(args[0]);
    }
  }

  private static void serve(String[] args) throws Exception {
    for (int i = 1; i < args.length; i++) {
      String[] hp = args[i].split(":");
      InetSocketAddress at = new InetSocketAddress(InetAddress.getByName(hp[0]), Integer.parseInt(hp[1]));
      ServerSocket tcp = new ServerSocket();
      tcp.setReuseAddress(true);
      tcp.bind(at, 128);
      DatagramSocket udp = new DatagramSocket(at);
      String me = args[i];
      daemon(() -> {
        while (true) {
          try (Socket c = tcp.accept()) {
            OutputStream out = c.getOutputStream();
            out.write((me + " " + c.getInetAddress().getHostAddress() + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
          } catch (Exception e) {
            // next client
          }
        }
      });
      daemon(() -> {
        byte[] buf = new byte[512];
        while (true) {
          try {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            udp.receive(p);
            byte[] answer = (me + " " + p.getAddress().getHostAddress()).getBytes(StandardCharsets.UTF_8);
            udp.send(new DatagramPacket(answer, answer.length, p.getSocketAddress()));
          } catch (Exception e) {
            // next datagram
          }
        }
      });
    }
    System.out.println("ready");
    System.out.flush();
    // Until the test kills this process.
    Thread.currentThread().join();
  }

  private static void probe(String[] args) throws Exception {
    boolean tcp = args[1].equals("tcp");
    String[] hp = args[2].split(":");
    InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(hp[0]), Integer.parseInt(hp[1]));
    int count = Integer.parseInt(args[3]);
    InetAddress bind = args.length > 4 ? InetAddress.getByName(args[4]) : null;
    // With a source port: one UDP socket, one flow (one conntrack entry) for every datagram.
    DatagramSocket flow = args.length > 5 ? new DatagramSocket(new InetSocketAddress(bind, Integer.parseInt(args[5]))) : null;
    Map<String, Integer> tally = new TreeMap<>();
    for (int i = 0; i < count; i++) {
      String answer;
      try {
        answer = tcp ? tcpOnce(target, bind) : flow != null ? ask(flow, target) : udpOnce(target, bind);
      } catch (Exception e) {
        answer = "error:" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " (" + e.getMessage() + ")");
      }
      tally.merge(answer, 1, Integer::sum);
    }
    tally.forEach((answer, n) -> System.out.println(n + "\t" + answer));
  }

  private static String tcpOnce(InetSocketAddress target, InetAddress bind) throws Exception {
    try (Socket s = new Socket()) {
      if (bind != null) s.bind(new InetSocketAddress(bind, 0));
      s.connect(target, 2000);
      s.setSoTimeout(2000);
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
      if (line == null) throw new java.io.EOFException();
      return line;
    }
  }

  private static String udpOnce(InetSocketAddress target, InetAddress bind) throws Exception {
    // A new socket (source port) per datagram: a new conntrack entry, so a new DNAT choice.
    try (DatagramSocket s = bind == null ? new DatagramSocket() : new DatagramSocket(new InetSocketAddress(bind, 0))) {
      return ask(s, target);
    }
  }

  private static String ask(DatagramSocket s, InetSocketAddress target) throws Exception {
    s.setSoTimeout(2000);
    byte[] ping = "ping".getBytes(StandardCharsets.UTF_8);
    s.send(new DatagramPacket(ping, ping.length, target));
    DatagramPacket p = new DatagramPacket(new byte[512], 512);
    s.receive(p);
    return new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
  }

  private static void daemon(Runnable r) {
    Thread t = new Thread(r);
    t.setDaemon(true);
    t.start();
  }
}
