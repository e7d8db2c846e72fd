package io.svcplane.controller;

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
import io.svcplane.core.image.LogTopic;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.eventlog.LogRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The endpoint controller's state of one namespace and its fold: the pods, services and
 * user-written Endpoints of the namespace, which pods each service selects
 * ({@link SelectionIndex}), and the Endpoints last published. {@link #fold} takes a batch of the
 * namespace's records and returns the Endpoints events to publish.
 *
 * <p>Only the services a batch can affect are planned: a service that changed, whose user
 * Endpoints changed, or that selected a changed pod before the change or selects it after. The
 * maps are mutable and owned by one actor, so a batch costs what it changes, not the size of the
 * namespace. They start from the rebuilt {@link NamespaceSeed} (the one fold of the log,
 * ClusterDelta); objects are kept as read, without a resourceVersion, which nothing here reads.
 */
final class NamespaceEndpoints {
  private final String namespace;
  private final String writer;
  private final Map<String, Pod> pods;
  private final Map<String, Service> services;
  private final Map<String, Endpoints> userEndpoints;
  private final Map<String, Endpoints> published;
  private final SelectionIndex selection = new SelectionIndex();

  NamespaceEndpoints(String namespace, NamespaceSeed seed, String writer) {
    this.namespace = namespace;
    this.writer = writer;
    NamespaceImage image = seed.resources().namespace(namespace);
    this.pods = new HashMap<>(image.pods());
    this.services = new HashMap<>(image.services());
    this.userEndpoints = new HashMap<>(image.userEndpoints());
    this.published = new HashMap<>(seed.published());
    pods.forEach((name, pod) -> selection.podChanged(name, pod.getMetadata().getLabelsMap()));
    services.forEach((name, service) -> selection.serviceChanged(name, SelectionIndex.selectorOf(service)));
  }

  /** The Endpoints published so far, by name. */
  Map<String, Endpoints> published() {
    return Map.copyOf(published);
  }

  /**
   * Folds records of this namespace, in log order, and plans each service they affect once
   * (changes inside a batch coalesce), each caused by the last record that affected it.
   *
   * @return the Endpoints events to publish, by service name
   */
  List<EndpointsChange> fold(List<LogRecord> records) {
    // Sorted: the events of a batch come out in a stable order.
    Map<String, LogRecord> dirty = new TreeMap<>();
    for (LogRecord r : records) {
      if (r.event() == null) continue;
      Resource object = r.event().getObject();
      boolean deleted = r.event().getType() == EventType.DELETED;
      switch (object.getObjectCase()) {
        case POD -> {
          Pod pod = object.getPod();
          if (!namespace.equals(pod.getMetadata().getNamespace())) continue;
          String name = pod.getMetadata().getName();
          if (deleted) pods.remove(name);
          else pods.put(name, pod);
          Set<String> affected = selection.podChanged(name, deleted ? null : pod.getMetadata().getLabelsMap());
          for (String service : affected) dirty.put(service, r);
        }
        case SERVICE -> {
          Service service = object.getService();
          if (!namespace.equals(service.getMetadata().getNamespace())) continue;
          String name = service.getMetadata().getName();
          if (deleted) services.remove(name);
          else services.put(name, service);
          selection.serviceChanged(name, deleted ? null : SelectionIndex.selectorOf(service));
          dirty.put(name, r);
        }
        case ENDPOINTS -> {
          // the user's Endpoints of a service's name: that service is planned again
          Endpoints endpoints = object.getEndpoints();
          if (!namespace.equals(endpoints.getMetadata().getNamespace())) continue;
          String name = endpoints.getMetadata().getName();
          if (deleted) userEndpoints.remove(name);
          else userEndpoints.put(name, endpoints);
          dirty.put(name, r);
        }
        default -> { } // cluster-scoped kinds make no Endpoints
      }
    }
    List<EndpointsChange> changes = new ArrayList<>();
    dirty.forEach((name, cause) -> plan(name, cause).ifPresent(changes::add));
    return changes;
  }

  /** The pods a service selects: all the planner needs of the namespace's pods. */
  private List<Pod> selectedPods(String service) {
    Set<String> names = selection.members(service);
    List<Pod> selected = new ArrayList<>(names.size());
    for (String n : names) selected.add(pods.get(n));
    return selected;
  }

  private Optional<EndpointsChange> plan(String name, LogRecord cause) {
    Optional<Endpoints> previous = Optional.ofNullable(published.get(name));
    Instant triggerTime = eventTime(cause);
    Optional<Endpoints> desired = EndpointsPlanner.desired(
        Optional.ofNullable(services.get(name)),
        selectedPods(name),
        Optional.ofNullable(userEndpoints.get(name)),
        previous,
        triggerTime);
    if (desired.equals(previous)) return Optional.empty(); // the planner returns previous itself then

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
    ResourceEvent event = ResourceEvent.newBuilder()
        .setType(type)
        .setObject(Resource.newBuilder().setEndpoints(object))
        .setTime(timestamp(Instant.now()))
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
