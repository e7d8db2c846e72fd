package io.svcplane.proxy.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.svcplane.proxy.userspace.NettyTransport;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node proxy's DNS server: UDP and TCP on one address and port, on Netty event loops of its
 * own (one socket per loop with SO_REUSEPORT, as the userspace data path binds its listeners), so
 * it serves in every forwarding mode. It answers from the {@link ClusterNames} last
 * {@link #publish published}; the node guardian publishes the names of a version before it ACKs
 * that version, so DNS never lags what the proxy reports as programmed.
 */
public final class DnsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  /** An idle TCP client is closed after this (RFC 7766 suggests seconds). */
  static final int TCP_IDLE_SECONDS = 10;

  private final DnsSettings settings;
  private final DnsMetrics metrics;
  private final NettyTransport transport;
  private final QueryHandler handler;
  private final List<Channel> channels = new ArrayList<>();
  private volatile ClusterNames names = ClusterNames.NONE;

  private DnsServer(DnsSettings settings, DnsMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
    this.transport = new NettyTransport(settings.threads());
    Upstream upstream = settings.upstream() == null ? null : new Upstream(settings.upstream());
    this.handler = new QueryHandler(new DnsResponder(settings.clusterDomain(), settings.ttl(), settings.address()),
        () -> names, upstream, metrics);
  }

  /**
   * Binds UDP and TCP at the settings' address and port, or fails with an IllegalStateException
   * that says which flag to change.
   */
  public static DnsServer start(DnsSettings settings, DnsMetrics metrics) {
    DnsServer server = new DnsServer(settings, metrics);
    try {
      server.bind();
      return server;
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private void bind() {
    InetSocketAddress at = settings.listen();
    requireFree(at);
    channels.addAll(await(transport.bindUdp(at, UdpQueries::new), "udp"));
    channels.addAll(await(transport.bindTcp(at, new ChannelInitializer<SocketChannel>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast(new IdleStateHandler(0, 0, TCP_IDLE_SECONDS, TimeUnit.SECONDS),
            new LengthFieldBasedFrameDecoder(65535 + 2, 0, 2, 0, 2),
            new LengthFieldPrepender(2),
            new TcpQueries());
      }
    }), "tcp"));
    log.info("DNS for {} on {}:{} (udp, tcp){}", settings.clusterDomain(), at.getAddress().getHostAddress(), at.getPort(),
        settings.upstream() == null ? "; other names refused" : "; other names forwarded to " + settings.upstream());
  }

  /**
   * The loops bind with SO_REUSEPORT, which the kernel also grants to another process of the same
   * user on the same address and port: a second proxy (or another cluster's) would then silently
   * get half of the queries. A plain UDP socket and a TCP listener bound for a moment first make a
   * port in use fail the start instead.
   */
  private void requireFree(InetSocketAddress at) {
    try (DatagramSocket udp = new DatagramSocket(at)) {
      // free for UDP
    } catch (IOException e) {
      throw new IllegalStateException(cannotListen(at, "udp", e), e);
    }
    try (ServerSocket tcp = new ServerSocket()) {
      tcp.setReuseAddress(true); // a closed connection's TIME_WAIT is no conflict; a listener is
      tcp.bind(at);
    } catch (IOException e) {
      throw new IllegalStateException(cannotListen(at, "tcp", e), e);
    }
  }

  private static String cannotListen(InetSocketAddress at, String proto, Throwable cause) {
    return "--dns-port: cannot listen on " + at.getAddress().getHostAddress() + ":" + at.getPort()
        + "/" + proto + " (" + cause.getMessage() + "): choose a free port with --dns-port, an address with --dns-address,"
        + " or turn DNS off with --dns-port 0";
  }

  private List<Channel> await(java.util.concurrent.CompletableFuture<List<Channel>> bound, String proto) {
    InetSocketAddress at = settings.listen();
    try {
      return bound.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      throw new IllegalStateException(cannotListen(at, proto, cause), cause);
    } catch (TimeoutException e) {
      throw new IllegalStateException("--dns-port: binding " + at + "/" + proto + " did not finish in 10 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding " + at, e);
    }
  }

  /** From now on, answer from {@code next}. */
  public void publish(ClusterNames next) {
    names = next;
  }

  public ClusterNames names() {
    return names;
  }

  public DnsSettings settings() {
    return settings;
  }

  public DnsMetrics metrics() {
    return metrics;
  }

  @Override
  public void close() {
    try {
      NettyTransport.closeAll(channels).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      // Closing anyway: the loops below go too.
    }
    transport.close();
  }

  /** One UDP socket's queries: replies written at once, flushed per read batch. */
  private final class UdpQueries extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      byte[] query = ByteBufUtil.getBytes(packet.content());
      InetSocketAddress client = packet.sender();
      QueryHandler.Reply reply = handler.handle(query, false);
      if (reply.now() != null) {
        ctx.write(new DatagramPacket(Unpooled.wrappedBuffer(reply.now()), client));
      } else if (reply.later() != null) {
        reply.later().thenAccept(b -> ctx.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(b), client)));
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // Never close the socket: one bad datagram must not stop the server.
      log.debug("DNS over UDP: {}", cause.toString());
      metrics.drop();
    }
  }

  /** One TCP client's queries: 2-byte length framing; answers in the order they complete. */
  private final class TcpQueries extends SimpleChannelInboundHandler<ByteBuf> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
      QueryHandler.Reply reply = handler.handle(ByteBufUtil.getBytes(frame), true);
      if (reply.now() != null) {
        ctx.write(Unpooled.wrappedBuffer(reply.now()));
      } else if (reply.later() != null) {
        reply.later().thenAccept(b -> ctx.writeAndFlush(Unpooled.wrappedBuffer(b)));
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.flush();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) ctx.close();
      else ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.debug("DNS over TCP from {}: {}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }
}
