package io.svcplane.proxy.userspace;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.PostStop;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.netty.channel.Channel;
import io.svcplane.core.forwarding.Protocol;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One service port on this node: owns its listeners (on ClusterIP:port, and on the node address at
 * the NodePort) and its endpoint set. A listener is bound only while it has a usable endpoint, so
 * a connection to a service port without endpoints is refused by the kernel at once, as kube-proxy
 * rejects it. Endpoint changes swap the picker that new connections read; established
 * connections are untouched. Stopping closes the listeners (not the established connections).
 */
public final class ServicePortProxy extends AbstractBehavior<ServicePortProxy.Command> {
  public interface Command {}

  /** Make this port forward as {@code rule} says; answers when its listeners are in place. */
  public record Program(ServicePortRule rule, ActorRef<Programmed> replyTo) implements Command {}

  /** Close the listeners, answer, and stop. */
  public record Stop(ActorRef<Programmed> replyTo) implements Command {}

  /** @param error null when the port forwards as programmed */
  public record Programmed(ServicePortName name, String error) {}

  private record Rebound(int slot, String key, List<Channel> channels, Throwable error) implements Command {}

  private record Closed(ActorRef<Programmed> replyTo) implements Command {}

  private static final int CLUSTER_IP = 0;
  private static final int NODE_PORT = 1;

  private final UserspaceSettings settings;
  private final ServicePortName name;
  private final PortRoute route = new PortRoute(null);
  private final String[] keys = new String[2];
  @SuppressWarnings("unchecked")
  private final List<Channel>[] listeners = new List[] {List.of(), List.of()};
  private int pending;
  private final List<String> errors = new ArrayList<>();
  private ActorRef<Programmed> replyTo;

  public static Behavior<Command> create(UserspaceSettings settings, ServicePortName name) {
    return Behaviors.setup(ctx -> new ServicePortProxy(ctx, settings, name));
  }

  private ServicePortProxy(ActorContext<Command> ctx, UserspaceSettings settings, ServicePortName name) {
    super(ctx);
    this.settings = settings;
    this.name = name;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Program.class, this::onProgram)
        .onMessage(Rebound.class, this::onRebound)
        .onMessage(Stop.class, this::onStop)
        .onMessage(Closed.class, this::onClosed)
        .onSignal(PostStop.class, s -> onPostStop())
        .build();
  }

  private Behavior<Command> onProgram(Program p) {
    ServicePortRule rule = p.rule();
    EndpointPicker picker = EndpointPicker.of(rule, settings.node(), route.picker());
    route.set(picker);
    String[] desired = {
        rule.hasClusterIp() && picker.hasClusterIpEndpoints() ? key(rule.protocol(), rule.clusterIp(), rule.port()) : null,
        rule.hasNodePort() && picker.hasNodePortEndpoints() ? key(rule.protocol(), settings.address(), rule.nodePort()) : null};
    replyTo = p.replyTo();
    errors.clear();
    for (int slot = 0; slot < 2; slot++) {
      if (Objects.equals(desired[slot], keys[slot])) continue;
      pending++;
      List<Channel> old = listeners[slot];
      listeners[slot] = List.of();
      keys[slot] = null;
      int s = slot;
      String k = desired[slot];
      InetSocketAddress at = k == null ? null
          : new InetSocketAddress(slot == CLUSTER_IP ? rule.clusterIp() : settings.address(), slot == CLUSTER_IP ? rule.port() : rule.nodePort());
      CompletableFuture<List<Channel>> rebind = NettyTransport.closeAll(old)
          .thenCompose(v -> k == null ? CompletableFuture.completedFuture(List.of()) : bind(rule.protocol(), at, s == NODE_PORT));
      getContext().pipeToSelf(rebind, (chs, err) -> new Rebound(s, k, chs, err));
    }
    if (pending == 0) reply();
    return this;
  }

  private CompletableFuture<List<Channel>> bind(Protocol protocol, InetSocketAddress at, boolean viaNodePort) {
    return switch (protocol) {
      case TCP -> settings.transport().bindTcp(at, TcpRelay.acceptor(settings.transport(), route, viaNodePort, settings.metrics()));
      case UDP -> settings.transport().bindUdp(at, () -> new UdpRelay(settings.transport(), route, viaNodePort, settings.metrics()));
      case SCTP -> CompletableFuture.failedFuture(new UnsupportedOperationException("SCTP is not forwarded in userspace"));
    };
  }

  private Behavior<Command> onRebound(Rebound r) {
    pending--;
    if (r.error() != null) {
      Throwable cause = r.error() instanceof CompletionException && r.error().getCause() != null ? r.error().getCause() : r.error();
      errors.add(name + ": listen " + r.key() + ": " + cause.getMessage());
    } else {
      listeners[r.slot()] = r.channels();
      keys[r.slot()] = r.key();
    }
    if (pending == 0) reply();
    return this;
  }

  private void reply() {
    replyTo.tell(new Programmed(name, errors.isEmpty() ? null : String.join("; ", errors)));
  }

  private Behavior<Command> onStop(Stop s) {
    List<Channel> all = new ArrayList<>(listeners[0]);
    all.addAll(listeners[1]);
    listeners[0] = List.of();
    listeners[1] = List.of();
    getContext().pipeToSelf(NettyTransport.closeAll(all), (v, err) -> new Closed(s.replyTo()));
    return this;
  }

  private Behavior<Command> onClosed(Closed c) {
    c.replyTo().tell(new Programmed(name, null));
    return Behaviors.stopped();
  }

  private Behavior<Command> onPostStop() {
    listeners[0].forEach(Channel::close);
    listeners[1].forEach(Channel::close);
    return this;
  }

  private static String key(Protocol protocol, String ip, int port) {
    return protocol.lower() + " " + ip + ":" + port;
  }
}
