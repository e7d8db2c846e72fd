package io.svcplane.controller;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.eventlog.LogRecord;
import java.util.List;
import java.util.Map;

/**
 * Owns one namespace's {@link NamespaceEndpoints}: its pods, services and user Endpoints (the fold
 * of svcplane.resources), which pods each service selects, and the Endpoints last published. Each
 * {@link Fold} folds a batch of the namespace's records, plans once each service the batch affected
 * (changes inside a batch coalesce), and replies with the Endpoints events to publish, each caused
 * by the last record that affected its service.
 */
public final class NamespaceActor extends AbstractBehavior<NamespaceActor.Command> {

  public interface Command {}

  /** Fold these records (in log order, all of this namespace) and reply with the changes. */
  public record Fold(List<LogRecord> records, ActorRef<Folded> replyTo) implements Command {}

  /** The changes of one Fold; {@code events} is how many records were folded. */
  public record Folded(String namespace, List<EndpointsChange> changes, int events) {}

  /** Reply with the Endpoints published so far, by name (tests, diagnostics). */
  public record GetPublished(ActorRef<Map<String, Endpoints>> replyTo) implements Command {}

  private final String namespace;
  private final NamespaceEndpoints state;

  public static Behavior<Command> create(String namespace, NamespaceSeed seed, String writer) {
    return Behaviors.setup(ctx -> new NamespaceActor(ctx, namespace, seed, writer));
  }

  private NamespaceActor(ActorContext<Command> ctx, String namespace, NamespaceSeed seed, String writer) {
    super(ctx);
    this.namespace = namespace;
    this.state = new NamespaceEndpoints(namespace, seed, writer);
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Fold.class, this::onFold)
        .onMessage(GetPublished.class, this::onGetPublished)
        .build();
  }

  private Behavior<Command> onGetPublished(GetPublished g) {
    g.replyTo().tell(state.published());
    return this;
  }

  private Behavior<Command> onFold(Fold fold) {
    fold.replyTo().tell(new Folded(namespace, state.fold(fold.records()), fold.records().size()));
    return this;
  }
}
