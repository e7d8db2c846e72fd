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
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
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
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The userspace data path's threads and sockets: one single-threaded event loop per core, on
 * io_uring where the kernel allows it (about a fifth less CPU per connection than epoll here: its
 * system calls are batched), else epoll, else the JDK's nio (bench/README.md has the figures).
 * Every listener is bound once per loop with SO_REUSEPORT, so the kernel spreads new connections
 * over the loops (and over every proxy of the machine that listens on the same ClusterIP), and a
 * connection's client and backend sides live on one thread: no hand-offs.
 * Sockets are IPv4 (AF_INET): the cluster is single-stack, and dual-stack sockets cost more.
 */
public final class NettyTransport implements AutoCloseable {
  /** The system property that picks the I/O mechanism: auto (default), io_uring, epoll or nio. */
  public static final String PROPERTY = "svcplane.proxy.transport";

  /** How the event loops talk to the kernel. */
  public enum Kind {
    IO_URING("io_uring"),
    EPOLL("epoll"),
    NIO("nio");

    private final String flag;

    Kind(String flag) {
      this.flag = flag;
    }

    @Override
    public String toString() {
      return flag;
    }

    public boolean isAvailable() {
      return switch (this) {
        case IO_URING -> IoUring.isAvailable();
        case EPOLL -> Epoll.isAvailable();
        case NIO -> true;
      };
    }

    /** Why this kind cannot be used here, or null. */
    public Throwable unavailabilityCause() {
      return switch (this) {
        case IO_URING -> IoUring.unavailabilityCause();
        case EPOLL -> Epoll.unavailabilityCause();
        case NIO -> null;
      };
    }

    /**
     * {@code auto} (or null/blank) is the fastest kind that works here: io_uring, else epoll, else
     * nio. A named kind must be available: asking for io_uring where the kernel forbids it fails.
     */
    public static Kind choose(String name) {
      String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
      if (n.isEmpty() || n.equals("auto")) {
        for (Kind k : values()) if (k.isAvailable()) return k;
      }
      for (Kind k : values()) {
        if (k.flag.equals(n)) {
          if (!k.isAvailable()) {
            throw new IllegalArgumentException(PROPERTY + ": \"" + n + "\" is not available here: " + k.unavailabilityCause());
          }
          return k;
        }
      }
      throw new IllegalArgumentException(PROPERTY + ": Unsupported value: \"" + name
          + "\": supported values: \"auto\", \"io_uring\", \"epoll\", \"nio\"");
    }
  }

  private final Kind kind;
  private final List<EventLoopGroup> loops = new ArrayList<>();
  /**
   * Every listener still open (a closed channel leaves the group by itself). {@link #close()}
   * closes them while the loops still run: a loop that shuts down with channels registered closes
   * them from its cleanup, and Netty then logs a RejectedExecutionException with its stack trace
   * for each one (on io_uring, thousands at a node proxy's stop).
   */
  private final ChannelGroup listeners = new DefaultChannelGroup("listeners", GlobalEventExecutor.INSTANCE);

  /** The kind named by the system property {@value #PROPERTY} (default auto). */
  public NettyTransport(int threads) {
    this(threads, Kind.choose(System.getProperty(PROPERTY)));
  }

  public NettyTransport(int threads, Kind kind) {
    if (!kind.isAvailable()) throw new IllegalArgumentException(kind + " is not available here: " + kind.unavailabilityCause());
    this.kind = kind;
    for (int i = 0; i < Math.max(1, threads); i++) {
      loops.add(new MultiThreadIoEventLoopGroup(1, ioHandler()));
    }
  }

  private IoHandlerFactory ioHandler() {
    return switch (kind) {
      case IO_URING -> IoUringIoHandler.newFactory();
      case EPOLL -> EpollIoHandler.newFactory();
      case NIO -> NioIoHandler.newFactory();
    };
  }

  public Kind kind() {
    return kind;
  }

  public int threads() {
    return loops.size();
  }

  private SocketChannel newSocket() {
    return switch (kind) {
      case IO_URING -> new IoUringSocketChannel();
      case EPOLL -> new EpollSocketChannel(SocketProtocolFamily.INET);
      case NIO -> new NioSocketChannel();
    };
  }

  private ServerSocketChannel newServerSocket() {
    return switch (kind) {
      case IO_URING -> new IoUringServerSocketChannel();
      case EPOLL -> new EpollServerSocketChannel(SocketProtocolFamily.INET);
      case NIO -> new NioServerSocketChannel();
    };
  }

  private DatagramChannel newDatagram() {
    return switch (kind) {
      case IO_URING -> new IoUringDatagramChannel();
      case EPOLL -> new EpollDatagramChannel(SocketProtocolFamily.INET);
      case NIO -> new NioDatagramChannel();
    };
  }

  private ChannelOption<Boolean> reusePort() {
    return kind == Kind.NIO ? NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT) : UnixChannelOption.SO_REUSEPORT;
  }

  /**
   * Connects to a backend on the loop of the connection it serves. Builds the channel directly
   * (no Bootstrap per connection): this is the hot path of every new connection.
   */
  ChannelFuture connect(EventLoop loop, InetSocketAddress target, io.netty.channel.ChannelHandler handler) {
    SocketChannel ch = newSocket();
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
          .channelFactory(this::newServerSocket)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .option(ChannelOption.SO_REUSEADDR, true)
          .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .childHandler(child);
      b.option(reusePort(), true);
      futures.add(b.bind(address));
    }
    return all(futures).thenApply(this::tracked);
  }

  /** Binds one UDP socket per loop at {@code address} with SO_REUSEPORT. */
  public CompletableFuture<List<Channel>> bindUdp(InetSocketAddress address, java.util.function.Supplier<io.netty.channel.ChannelHandler> handler) {
    List<ChannelFuture> futures = new ArrayList<>();
    for (EventLoopGroup loop : loops) {
      Bootstrap b = new Bootstrap().group(loop)
          .channelFactory(this::newDatagram)
          .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
          .option(ChannelOption.SO_REUSEADDR, true)
          .handler(handler.get());
      b.option(reusePort(), true);
      futures.add(b.bind(address));
    }
    return all(futures).thenApply(this::tracked);
  }

  private List<Channel> tracked(List<Channel> bound) {
    listeners.addAll(bound);
    return bound;
  }

  /** A UDP socket towards one backend, on the loop of the listener that owns the session. */
  Bootstrap udpConnector(EventLoop loop) {
    return new Bootstrap().group(loop)
        .channelFactory(this::newDatagram)
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

  /** Listeners bound and not closed yet. */
  int openListeners() {
    return listeners.size();
  }

  @Override
  public void close() {
    listeners.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    for (EventLoopGroup g : loops) g.shutdownGracefully(0, 2, TimeUnit.SECONDS);
    for (EventLoopGroup g : loops) g.terminationFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
