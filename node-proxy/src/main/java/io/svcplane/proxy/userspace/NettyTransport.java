package io.svcplane.proxy.userspace;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The userspace data path's threads and sockets: one single-threaded event loop per core, epoll
 * where available. Every listener is bound once per loop with SO_REUSEPORT, so the kernel spreads
 * new connections over the loops (and over every proxy of the machine that listens on the same
 * ClusterIP), and a connection's client and backend sides live on one thread: no hand-offs.
 * Sockets are IPv4 (AF_INET): the cluster is single-stack, and dual-stack sockets cost more.
 */
public final class NettyTransport implements AutoCloseable {
  private final boolean epoll;
  private final List<EventLoopGroup> loops = new ArrayList<>();

  public NettyTransport(int threads) {
    this.epoll = Epoll.isAvailable();
    for (int i = 0; i < Math.max(1, threads); i++) {
      loops.add(new MultiThreadIoEventLoopGroup(1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory()));
    }
  }

  public boolean isEpoll() {
    return epoll;
  }

  public int threads() {
    return loops.size();
  }

  Class<? extends SocketChannel> socketChannel() {
    return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /**
   * Connects to a backend on the loop of the connection it serves. Builds the channel directly
   * (no Bootstrap per connection): this is the hot path of every new connection.
   */
  ChannelFuture connect(EventLoop loop, InetSocketAddress target, io.netty.channel.ChannelHandler handler) {
    SocketChannel ch = epoll ? new EpollSocketChannel(SocketProtocolFamily.INET) : new NioSocketChannel();
    var config = ch.config();
    config.setAllocator(PooledByteBufAllocator.DEFAULT);
    // TCP_NODELAY: Netty sets it on every new socket on Linux already; setting it again costs a syscall.
    config.setConnectTimeoutMillis(5000);
    ch.pipeline().addLast(handler);
    ChannelFuture registered = loop.register(ch);
    if (registered.cause() != null) return registered;
    return ch.connect(target);
  }

  /** Binds one TCP listener per loop at {@code address}, sharing the port with SO_REUSEPORT. */
  public CompletableFuture<List<Channel>> bindTcp(InetSocketAddress address, ChannelInitializer<SocketChannel> child) {
    List<ChannelFuture> futures = new ArrayList<>();
    for (EventLoopGroup loop : loops) {
      ServerBootstrap b = new ServerBootstrap().group(loop, loop)
          .channelFactory(epoll ? () -> new EpollServerSocketChannel(SocketProtocolFamily.INET) : NioServerSocketChannel::new)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .option(ChannelOption.SO_REUSEADDR, true)
          .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .childHandler(child);
      if (epoll) b.option(EpollChannelOption.SO_REUSEPORT, true);
      else b.option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
      futures.add(b.bind(address));
    }
    return all(futures);
  }

  /** Binds one UDP socket per loop at {@code address} with SO_REUSEPORT. */
  public CompletableFuture<List<Channel>> bindUdp(InetSocketAddress address, java.util.function.Supplier<io.netty.channel.ChannelHandler> handler) {
    List<ChannelFuture> futures = new ArrayList<>();
    for (EventLoopGroup loop : loops) {
      Bootstrap b = new Bootstrap().group(loop)
          .channelFactory(epoll ? () -> new EpollDatagramChannel(SocketProtocolFamily.INET) : NioDatagramChannel::new)
          .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .option(ChannelOption.SO_REUSEADDR, true)
          .handler(handler.get());
      if (epoll) b.option(EpollChannelOption.SO_REUSEPORT, true);
      else b.option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
      futures.add(b.bind(address));
    }
    return all(futures);
  }

  /** A UDP socket towards one backend, on the loop of the listener that owns the session. */
  Bootstrap udpConnector(EventLoop loop) {
    return new Bootstrap().group(loop)
        .channelFactory(epoll ? () -> new EpollDatagramChannel(SocketProtocolFamily.INET) : NioDatagramChannel::new)
        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT);
  }

  /** All bound, or none: a failed bind closes the ones that succeeded. */
  private static CompletableFuture<List<Channel>> all(List<ChannelFuture> futures) {
    CompletableFuture<List<Channel>> result = new CompletableFuture<>();
    int[] left = {futures.size()};
    for (ChannelFuture f : futures) {
      f.addListener(x -> {
        synchronized (left) {
          if (--left[0] > 0) return;
        }
        Throwable err = null;
        List<Channel> channels = new ArrayList<>();
        for (ChannelFuture g : futures) {
          if (g.isSuccess()) channels.add(g.channel());
          else if (err == null) err = g.cause();
        }
        if (err != null) {
          channels.forEach(Channel::close);
          result.completeExceptionally(err);
        } else {
          result.complete(channels);
        }
      });
    }
    return result;
  }

  /** Closes channels; completes when all are closed. */
  public static CompletableFuture<Void> closeAll(List<Channel> channels) {
    CompletableFuture<?>[] fs = channels.stream().map(c -> {
      CompletableFuture<Void> cf = new CompletableFuture<>();
      c.close().addListener(x -> cf.complete(null));
      return cf;
    }).toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(fs);
  }

  @Override
  public void close() {
    for (EventLoopGroup g : loops) g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    for (EventLoopGroup g : loops) g.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
