package io.svcplane.proxy.userspace;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Scheduler;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.AskPattern;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.proxy.ForwardingBackend;
import io.svcplane.proxy.ProxyMetrics;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Forwarding in user space with Netty: every service port becomes listeners that relay TCP
 * connections and UDP sessions to endpoints. The work happens in actors spawned under the node
 * guardian ({@link ServicePorts}, one {@link ServicePortProxy} per port); {@link #apply} hands them
 * the table and waits for their answer.
 */
public final class UserspaceBackend implements ForwardingBackend {
  private final NettyTransport transport;
  private final ActorRef<ServicePorts.Command> ports;
  private final Scheduler scheduler;

  private UserspaceBackend(NettyTransport transport, ActorRef<ServicePorts.Command> ports, Scheduler scheduler) {
    this.transport = transport;
    this.ports = ports;
    this.scheduler = scheduler;
  }

  /** Spawns the backend's actors under {@code ctx} (the node guardian). */
  public static UserspaceBackend create(ActorContext<?> ctx, String node, String address, int threads, ProxyMetrics metrics) {
    NettyTransport transport = new NettyTransport(threads);
    org.slf4j.LoggerFactory.getLogger(UserspaceBackend.class).info("userspace data path: {} event loops, {}",
        transport.threads(), transport.kind());
    var ports = ctx.spawn(ServicePorts.create(new UserspaceSettings(node, address, transport, metrics)), "service-ports");
    return new UserspaceBackend(transport, ports, ctx.getSystem().scheduler());
  }

  @Override
  public String mode() {
    return "userspace";
  }

  @Override
  public void apply(ForwardingTable desired) throws Exception {
    ServicePorts.Applied applied;
    try {
      applied = AskPattern.<ServicePorts.Command, ServicePorts.Applied>ask(
              ports, r -> new ServicePorts.Apply(desired, r), Duration.ofSeconds(60), scheduler)
          .toCompletableFuture().get(70, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new Exception("userspace backend did not answer: " + e.getCause(), e.getCause());
    }
    if (!applied.errors().isEmpty()) throw new Exception(String.join("; ", applied.errors()));
  }

  @Override
  public void close() {
    transport.close();
  }
}
