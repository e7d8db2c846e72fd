package io.svcplane.controller;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.Behaviors;
import java.util.ArrayList;
import java.util.List;

/**
 * Completes one poll batch: waits for the reply of every namespace actor the batch went to, then
 * hands the Kafka loop all their changes at once and stops. One per batch, so batches never mix.
 */
public final class BatchCollector {
  private BatchCollector() {}

  /** All changes of one batch, and how many records the actors folded. */
  public record BatchFolded(List<EndpointsChange> changes, int events) {}

  public static Behavior<NamespaceActor.Folded> create(int expected, ActorRef<BatchFolded> replyTo) {
    return collecting(expected, new ArrayList<>(), 0, replyTo);
  }

  private static Behavior<NamespaceActor.Folded> collecting(
      int remaining, List<EndpointsChange> changes, int events, ActorRef<BatchFolded> replyTo) {
    return Behaviors.receiveMessage(folded -> {
      // the list is this actor's own: only its next behavior sees it
      changes.addAll(folded.changes());
      int total = events + folded.events();
      if (remaining == 1) {
        replyTo.tell(new BatchFolded(List.copyOf(changes), total));
        return Behaviors.stopped();
      }
      return collecting(remaining - 1, changes, total, replyTo);
    });
  }
}
