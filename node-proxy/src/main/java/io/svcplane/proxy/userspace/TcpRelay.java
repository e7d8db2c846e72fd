package io.svcplane.proxy.userspace;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
import io.svcplane.proxy.ProxyMetrics;
import java.net.InetSocketAddress;

/**
 * TCP forwarding of one listener: for each accepted connection, connect to the chosen endpoint on
 * the same event loop, then relay buffers in both directions without copying them (the buffer read
 * from one side is the one written to the other). Backpressure through autoread: a side stops
 * reading while the other cannot take more. No endpoint: the connection is reset at once.
 */
final class TcpRelay {
  private TcpRelay() {}

  static ChannelInitializer<SocketChannel> acceptor(NettyTransport transport, PortRoute route, boolean viaNodePort,
      ProxyMetrics metrics) {
    return new ChannelInitializer<>() {
      @Override
      protected void initChannel(SocketChannel ch) {
        ch.pipeline().addLast(new Frontend(transport, route, viaNodePort, metrics));
      }
    };
  }

  /** The client side of one connection. */
  static final class Frontend extends ChannelInboundHandlerAdapter {
    private final NettyTransport transport;
    private final PortRoute route;
    private final boolean viaNodePort;
    private final ProxyMetrics metrics;
    private Channel backend;
    // What the client sent before the backend connection was up (typically the first request).
    private java.util.ArrayDeque<Object> early;
    private boolean connected;
    private int earlyBytes;

    Frontend(NettyTransport transport, PortRoute route, boolean viaNodePort, ProxyMetrics metrics) {
      this.transport = transport;
      this.route = route;
      this.viaNodePort = viaNodePort;
      this.metrics = metrics;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel client = ctx.channel();
      InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
      InetSocketAddress target = route.picker().pick(viaNodePort, from == null ? null : from.getAddress());
      if (target == null) {
        metrics.refused();
        reset(client);
        return;
      }
      metrics.accepted();
      var f = transport.connect(client.eventLoop(), target, new Backend(client));
      backend = f.channel();
      f.addListener((ChannelFutureListener) done -> {
        if (done.isSuccess()) {
          connected = true;
          if (early != null) {
            Object m;
            while ((m = early.poll()) != null) backend.write(m, backend.voidPromise());
            backend.flush();
            early = null;
            if (!client.config().isAutoRead()) client.config().setAutoRead(true);
          }
          if (!client.isActive()) closeOnFlush(backend);
        } else {
          metrics.backendFailed();
          if (early != null) early.forEach(io.netty.util.ReferenceCountUtil::release);
          early = null;
          reset(client);
        }
      });
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (connected) {
        backend.write(msg, backend.voidPromise());
      } else if (backend != null) {
        if (early == null) early = new java.util.ArrayDeque<>(2);
        early.add(msg);
        // Bounded: past 64 KiB stop reading until the backend is there.
        earlyBytes += msg instanceof io.netty.buffer.ByteBuf b ? b.readableBytes() : 0;
        if (earlyBytes > 65536) ctx.channel().config().setAutoRead(false);
      } else {
        io.netty.util.ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (connected) backend.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (backend != null) backend.config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      metrics.closed();
      if (backend != null && connected) closeOnFlush(backend);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      closeOnFlush(ctx.channel());
    }
  }

  /** The endpoint side of one connection. */
  static final class Backend extends ChannelInboundHandlerAdapter {
    private final Channel client;

    Backend(Channel client) {
      this.client = client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      client.write(msg, client.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      client.flush();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      client.config().setAutoRead(ctx.channel().isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      closeOnFlush(client);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      closeOnFlush(ctx.channel());
    }
  }

  /** Refuses a connection: RST instead of FIN, so the client fails at once. */
  static void reset(Channel ch) {
    ch.config().setOption(ChannelOption.SO_LINGER, 0);
    ch.close();
  }

  /** Closes once what was written is sent; at once when nothing is pending (the common case). */
  static void closeOnFlush(Channel ch) {
    if (!ch.isActive()) return;
    var pending = ch.unsafe().outboundBuffer();
    if (pending == null || pending.isEmpty()) ch.close();
    else ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }
}
