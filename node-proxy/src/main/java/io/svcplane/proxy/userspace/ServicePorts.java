package io.svcplane.proxy.userspace;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.svcplane.core.forwarding.ForwardingTable;
import io.svcplane.core.forwarding.ServicePortName;
import io.svcplane.core.forwarding.ServicePortRule;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The userspace backend's supervisor: one {@link ServicePortProxy} child per service port. It
 * applies a whole table by touching only the ports that changed since the last one (plus those
 * that failed, which it retries), and answers once every touched port has answered.
 */
public final class ServicePorts extends AbstractBehavior<ServicePorts.Command> {
  public interface Command {}

  public record Apply(ForwardingTable table, ActorRef<Applied> replyTo) implements Command {}

  /** @param errors one per port that could not be programmed; empty on success */
  public record Applied(List<String> errors) {}

  private record PortDone(ServicePortProxy.Programmed programmed) implements Command {}

  private final UserspaceSettings settings;
  private final Map<ServicePortName, ActorRef<ServicePortProxy.Command>> ports = new HashMap<>();
  private final Set<ServicePortName> failed = new TreeSet<>();
  private final ActorRef<ServicePortProxy.Programmed> portDone;
  private ForwardingTable current = ForwardingTable.EMPTY;
  private int pending;
  private final List<String> errors = new ArrayList<>();
  private ActorRef<Applied> replyTo;
  private long spawned;

  public static Behavior<Command> create(UserspaceSettings settings) {
    return Behaviors.setup(ctx -> new ServicePorts(ctx, settings));
  }

  private ServicePorts(ActorContext<Command> ctx, UserspaceSettings settings) {
    super(ctx);
    this.settings = settings;
    this.portDone = ctx.messageAdapter(ServicePortProxy.Programmed.class, PortDone::new);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Apply.class, this::onApply)
        .onMessage(PortDone.class, this::onPortDone)
        .build();
  }

  private Behavior<Command> onApply(Apply a) {
    Set<ServicePortName> touched = new TreeSet<>(a.table().changedFrom(current));
    touched.addAll(failed);
    failed.clear();
    current = a.table();
    replyTo = a.replyTo();
    errors.clear();
    pending = 0;
    for (ServicePortName name : touched) {
      ServicePortRule rule = a.table().rule(name);
      ActorRef<ServicePortProxy.Command> port = ports.get(name);
      if (rule == null) {
        if (port == null) continue;
        ports.remove(name);
        port.tell(new ServicePortProxy.Stop(portDone));
      } else {
        if (port == null) {
          port = getContext().spawn(ServicePortProxy.create(settings, name), "port-" + (++spawned));
          ports.put(name, port);
        }
        port.tell(new ServicePortProxy.Program(rule, portDone));
      }
      pending++;
    }
    if (pending == 0) replyTo.tell(new Applied(List.of()));
    return this;
  }

  private Behavior<Command> onPortDone(PortDone d) {
    if (d.programmed().error() != null) {
      errors.add(d.programmed().error());
      failed.add(d.programmed().name());
    }
    if (--pending == 0) replyTo.tell(new Applied(List.copyOf(errors)));
    return this;
  }
}
