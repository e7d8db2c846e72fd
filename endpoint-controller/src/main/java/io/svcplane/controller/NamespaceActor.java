package io.svcplane.controller;

import akka.actor.typed.ActorRef;
import akka.actor.typed.Behavior;
import akka.actor.typed.javadsl.AbstractBehavior;
import akka.actor.typed.javadsl.ActorContext;
import akka.actor.typed.javadsl.Behaviors;
import akka.actor.typed.javadsl.Receive;
import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.Cause;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.ResourceEvent;
import io.svcplane.api.v1.Service;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.selector.LabelSelector;
import io.svcplane.core.image.ClusterDelta;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.eventlog.LogRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Holds one namespace's image (pods, services, user Endpoints: the fold of svcplane.resources) and
 * the Endpoints last published for it. Each {@link Fold} folds a batch of the namespace's records,
 * plans every service the batch touched once (changes inside a batch coalesce), and replies with
 * the Endpoints events to publish, each caused by the last record that touched its service.
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
  private final String writer;
  private ClusterImage image;
  private final Map<String, Endpoints> published;
  /** Selector of every service that has one, parsed once per service version. */
  private final Map<String, LabelSelector> selectors = new HashMap<>();
  /** Names of the pods each service with a selector selects: the planner gets only these. */
  private final Map<String, Set<String>> members = new HashMap<>();

  public static Behavior<Command> create(String namespace, NamespaceSeed seed, String writer) {
    return Behaviors.setup(ctx -> new NamespaceActor(ctx, namespace, seed, writer));
  }

  private NamespaceActor(ActorContext<Command> ctx, String namespace, NamespaceSeed seed, String writer) {
    super(ctx);
    this.namespace = namespace;
    this.writer = writer;
    this.image = seed.resources();
    this.published = new HashMap<>(seed.published());
    NamespaceImage ns = image.namespace(namespace);
    ns.services().keySet().forEach(name -> reindexService(ns, name));
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Fold.class, this::onFold)
        .onMessage(GetPublished.class, this::onGetPublished)
        .build();
  }

  private Behavior<Command> onGetPublished(GetPublished g) {
    g.replyTo().tell(Map.copyOf(published));
    return this;
  }

  private Behavior<Command> onFold(Fold fold) {
    ClusterDelta delta = new ClusterDelta(image);
    // The last record that touched each object in this batch: it becomes the cause.
    Map<String, LogRecord> lastPod = new LinkedHashMap<>();
    Map<String, LogRecord> touchedServices = new HashMap<>();
    for (LogRecord r : fold.records()) {
      r.replayInto(delta);
      if (r.event() == null || r.event().getObject().getObjectCase() == Resource.ObjectCase.OBJECT_NOT_SET) continue;
      ObjectKey key = ObjectKey.of(r.event().getObject());
      switch (key.kind()) {
        case POD -> lastPod.put(key.name(), r);
        // a Service or the user's Endpoints of that name: the service is to be planned again
        case SERVICE, ENDPOINTS -> touchedServices.put(key.name(), r);
        default -> { }
      }
    }
    image = delta.apply();
    NamespaceImage after = image.namespace(namespace);

    Map<String, LogRecord> dirty = new TreeMap<>(touchedServices);
    // Services changed in this batch are re-indexed; what they selected before still counts below.
    Map<String, Set<String>> selectedBefore = new HashMap<>();
    for (String name : touchedServices.keySet()) {
      if (members.containsKey(name)) selectedBefore.put(name, members.get(name));
      reindexService(after, name);
    }
    // A service is planned again if it selected the pod before the batch or selects it now (a label
    // the pod held only in the middle of the batch changes no result). Its cause is the last record
    // that touched it or such a pod.
    lastPod.forEach((podName, record) -> {
      Pod pod = after.pods().get(podName);
      members.forEach((serviceName, podNames) -> {
        boolean was = podNames.contains(podName);
        boolean is = pod != null && selectors.get(serviceName).matches(pod.getMetadata().getLabelsMap());
        if (was || is) dirty.merge(serviceName, record, NamespaceActor::later);
        if (is && !was) podNames.add(podName);
        else if (was && !is) podNames.remove(podName);
      });
      selectedBefore.forEach((serviceName, podNames) -> {
        if (podNames.contains(podName)) dirty.merge(serviceName, record, NamespaceActor::later);
      });
    });

    List<EndpointsChange> changes = new ArrayList<>();
    dirty.forEach((name, cause) -> plan(after, name, cause).ifPresent(changes::add));
    fold.replyTo().tell(new Folded(namespace, changes, fold.records().size()));
    return this;
  }

  private static LogRecord later(LogRecord a, LogRecord b) {
    return a.offset() >= b.offset() ? a : b;
  }

  /** Parses the service's selector and finds the pods it selects (it is new or it changed). */
  private void reindexService(NamespaceImage ns, String name) {
    Service s = ns.services().get(name);
    Optional<LabelSelector> selector = s == null ? Optional.empty() : LabelSelector.ofService(s);
    if (selector.isEmpty()) {
      selectors.remove(name);
      members.remove(name);
      return;
    }
    selectors.put(name, selector.get());
    Set<String> podNames = new HashSet<>();
    ns.pods().forEach((podName, pod) -> {
      if (selector.get().matches(pod.getMetadata().getLabelsMap())) podNames.add(podName);
    });
    members.put(name, podNames);
  }

  /** The pods a service selects (all of the namespace's pods it may need). */
  private List<Pod> selectedPods(NamespaceImage ns, String service) {
    Set<String> names = members.get(service);
    if (names == null) return List.of();
    List<Pod> pods = new ArrayList<>(names.size());
    for (String n : names) pods.add(ns.pods().get(n));
    return pods;
  }

  private Optional<EndpointsChange> plan(NamespaceImage ns, String name, LogRecord cause) {
    Optional<Endpoints> previous = Optional.ofNullable(published.get(name));
    Instant triggerTime = eventTime(cause);
    Optional<Endpoints> desired = EndpointsPlanner.desired(
        Optional.ofNullable(ns.services().get(name)),
        selectedPods(ns, name),
        Optional.ofNullable(ns.userEndpoints().get(name)),
        previous,
        triggerTime);
    if (desired.equals(previous)) return Optional.empty();

    EventType type;
    Endpoints object;
    if (desired.isEmpty()) {
      type = EventType.DELETED;
      object = previous.get();
      published.remove(name);
    } else {
      type = previous.isEmpty() ? EventType.ADDED : EventType.MODIFIED;
      object = desired.get();
      published.put(name, object);
    }
    Instant now = Instant.now();
    ResourceEvent event = ResourceEvent.newBuilder()
        .setType(type)
        .setObject(Resource.newBuilder().setEndpoints(object))
        .setTime(timestamp(now))
        .setWriter(writer)
        .setCause(Cause.newBuilder()
            .setTopic(LogTopic.RESOURCES.topicName())
            .setPartition(cause.partition())
            .setOffset(cause.offset())
            .setTime(timestamp(triggerTime))
            .setKey(cause.key() == null ? "" : cause.key())
            .setType(cause.event().getType()))
        .build();
    return Optional.of(new EndpointsChange(new ObjectKey(Kind.ENDPOINTS, namespace, name).toString(), event));
  }

  /** When the causing change was accepted: the event's time, else the record's timestamp. */
  static Instant eventTime(LogRecord r) {
    if (r.event() != null && r.event().hasTime()) {
      Timestamp t = r.event().getTime();
      return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }
    return Instant.ofEpochMilli(r.timestamp());
  }

  static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
