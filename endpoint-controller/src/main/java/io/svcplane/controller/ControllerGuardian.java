package io.svcplane.controller;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import io.svcplane.eventlog.LogRecord;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The root of the controller's actors: one {@link NamespaceActor} per namespace of the partitions
 * this instance owns. The Kafka loop assigns and revokes partitions and hands it each poll batch,
 * which it splits by namespace; a {@link BatchCollector} answers when every namespace is done.
 */
public final class ControllerGuardian extends AbstractBehavior<ControllerGuardian.Command> {

  public interface Command {}

  /** The partition is now ours: start its namespaces from their rebuilt state. */
  public record Assign(int partition, Map<String, NamespaceSeed> namespaces) implements Command {}

  /** The partitions are no longer ours: drop their namespaces' actors and state. */
  public record Revoke(Set<Integer> partitions) implements Command {}

  /**
   * Fold one poll batch: the records of each namespace, in log order.
   *
   * @param byNamespace records by namespace; a namespace lives in exactly one partition
   */
  public record FoldBatch(Map<String, List<LogRecord>> byNamespace, ActorRef<BatchCollector.BatchFolded> replyTo)
      implements Command {}

  /** Reply with the namespaces that have an actor (tests, metrics). */
  public record GetNamespaces(ActorRef<Set<String>> replyTo) implements Command {}

  /** Ask one namespace actor for its published Endpoints (tests). */
  public record GetPublished(String namespace, ActorRef<Map<String, io.svcplane.api.v1.Endpoints>> replyTo)
      implements Command {}

  private record Owned(ActorRef<NamespaceActor.Command> ref, int partition) {}

  private final String writer;
  private final ControllerMetrics metrics;
  private final Map<String, Owned> namespaces = new HashMap<>();
  private long spawned;

  public static Behavior<Command> create(String writer, ControllerMetrics metrics) {
    return Behaviors.setup(ctx -> new ControllerGuardian(ctx, writer, metrics));
  }

  private ControllerGuardian(ActorContext<Command> ctx, String writer, ControllerMetrics metrics) {
    super(ctx);
    this.writer = writer;
    this.metrics = metrics;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Assign.class, this::onAssign)
        .onMessage(Revoke.class, this::onRevoke)
        .onMessage(FoldBatch.class, this::onFoldBatch)
        .onMessage(GetNamespaces.class, this::onGetNamespaces)
        .onMessage(GetPublished.class, this::onGetPublished)
        .build();
  }

  private Behavior<Command> onAssign(Assign a) {
    drop(Set.of(a.partition()));
    a.namespaces().forEach((ns, seed) -> spawn(ns, a.partition(), seed));
    metrics.namespaces(namespaces.size());
    return this;
  }

  private Behavior<Command> onRevoke(Revoke r) {
    drop(r.partitions());
    metrics.namespaces(namespaces.size());
    return this;
  }

  private Behavior<Command> onFoldBatch(FoldBatch b) {
    if (b.byNamespace().isEmpty()) {
      b.replyTo().tell(new BatchCollector.BatchFolded(List.of(), 0));
      return this;
    }
    ActorRef<NamespaceActor.Folded> collector =
        getContext().spawnAnonymous(BatchCollector.create(b.byNamespace().size(), b.replyTo()));
    b.byNamespace().forEach((ns, records) -> {
      Owned owned = namespaces.get(ns);
      // A namespace we have not seen yet (its first objects are in this batch) starts empty.
      if (owned == null) owned = spawn(ns, records.get(0).partition(), NamespaceSeed.EMPTY);
      owned.ref().tell(new NamespaceActor.Fold(records, collector));
    });
    metrics.namespaces(namespaces.size());
    return this;
  }

  private Behavior<Command> onGetNamespaces(GetNamespaces g) {
    g.replyTo().tell(Set.copyOf(namespaces.keySet()));
    return this;
  }

  private Behavior<Command> onGetPublished(GetPublished g) {
    Owned owned = namespaces.get(g.namespace());
    if (owned == null) g.replyTo().tell(Map.of());
    else owned.ref().tell(new NamespaceActor.GetPublished(g.replyTo()));
    return this;
  }

  private Owned spawn(String ns, int partition, NamespaceSeed seed) {
    Owned old = namespaces.remove(ns);
    if (old != null) getContext().stop(old.ref());
    // A sequence number keeps names unique while a stopped actor of the same namespace winds down.
    String name = "ns-" + URLEncoder.encode(ns, StandardCharsets.UTF_8) + "-" + (spawned++);
    Owned owned = new Owned(getContext().spawn(NamespaceActor.create(ns, seed, writer), name), partition);
    namespaces.put(ns, owned);
    return owned;
  }

  private void drop(Set<Integer> partitions) {
    namespaces.values().removeIf(owned -> {
      if (!partitions.contains(owned.partition())) return false;
      getContext().stop(owned.ref());
      return true;
    });
  }
}
