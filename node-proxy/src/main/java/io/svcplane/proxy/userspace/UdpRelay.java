package io.svcplane.proxy.userspace;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.svcplane.proxy.ProxyMetrics;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * UDP forwarding of one listener socket: each client address gets a session, a socket connected to
 * the endpoint chosen for its first datagram; replies from that socket go back to the client from
 * the service address. Sessions idle for {@link #IDLE_NANOS} are dropped. All state lives on the
 * listener's event loop.
 */
final class UdpRelay extends ChannelInboundHandlerAdapter {
  static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final NettyTransport transport;
  private final PortRoute route;
  private final boolean viaNodePort;
  private final ProxyMetrics metrics;
  private final Map<InetSocketAddress, Session> sessions = new HashMap<>();
  private ScheduledFuture<?> sweeper;

  UdpRelay(NettyTransport transport, PortRoute route, boolean viaNodePort, ProxyMetrics metrics) {
    this.transport = transport;
    this.route = route;
    this.viaNodePort = viaNodePort;
    this.metrics = metrics;
  }

  private final class Session {
    final Channel out;
    final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
    long lastActive = System.nanoTime();
    boolean connected;

    Session(Channel out) {
      this.out = out;
    }

    void send(ByteBuf data) {
      lastActive = System.nanoTime();
      if (connected) out.writeAndFlush(data, out.voidPromise());
      else pending.add(data);
    }

    void connectedNow() {
      connected = true;
      ByteBuf b;
      while ((b = pending.poll()) != null) out.write(b, out.voidPromise());
      out.flush();
    }

    void close() {
      pending.forEach(ReferenceCountUtil::release);
      pending.clear();
      out.close();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    sweeper = ctx.channel().eventLoop().scheduleAtFixedRate(this::sweep, 5, 5, TimeUnit.SECONDS);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    DatagramPacket p = (DatagramPacket) msg;
    InetSocketAddress client = p.sender();
    Session s = sessions.get(client);
    if (s == null || !s.out.isOpen()) {
      InetSocketAddress target = route.picker().pick(viaNodePort, client.getAddress());
      if (target == null) {
        metrics.refused();
        p.release();
        return;
      }
      metrics.accepted();
      Channel listener = ctx.channel();
      var f = transport.udpConnector(listener.eventLoop()).handler(new Replies(listener, client)).connect(target);
      Session created = new Session(f.channel());
      s = created;
      sessions.put(client, s);
      f.addListener((ChannelFutureListener) done -> {
        if (done.isSuccess()) created.connectedNow();
        else {
          metrics.backendFailed();
          created.close();
          sessions.remove(client, created);
        }
      });
    }
    s.send(p.content());
  }

  private void sweep() {
    long now = System.nanoTime();
    sessions.values().removeIf(s -> {
      boolean idle = now - s.lastActive > IDLE_NANOS || !s.out.isOpen();
      if (idle) s.close();
      return idle;
    });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (sweeper != null) sweeper.cancel(false);
    sessions.values().forEach(Session::close);
    sessions.clear();
  }

  /** Datagrams from the endpoint, back to the client from the service address. */
  private static final class Replies extends ChannelInboundHandlerAdapter {
    private final Channel listener;
    private final InetSocketAddress client;

    Replies(Channel listener, InetSocketAddress client) {
      this.listener = listener;
      this.client = client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      DatagramPacket p = (DatagramPacket) msg;
      listener.writeAndFlush(new DatagramPacket(p.content(), client), listener.voidPromise());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ICMP port unreachable from the endpoint and the like: drop the datagram, keep the session.
    }
  }
}
