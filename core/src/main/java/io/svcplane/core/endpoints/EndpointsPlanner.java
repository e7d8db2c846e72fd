package io.svcplane.core.endpoints;

import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ObjectReference;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.core.selector.LabelSelector;
import com.google.protobuf.Timestamp;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Kubernetes' endpoints controller as a pure function: (service, pods of its namespace, previous
 * Endpoints) to the Endpoints that should be published. No I/O and no clock: the time of the
 * change that triggered the computation is an input. The result is in a canonical order, so an
 * unchanged result is {@code equals} to the previous Endpoints, which are then returned as they are
 * (and nothing needs publishing).
 */
public final class EndpointsPlanner {
  /** Annotation with the time of the pod or service change that led to the Endpoints change. */
  public static final String LAST_CHANGE_TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";
  /** Label that marks the Endpoints of a headless service (clusterIP None). */
  public static final String HEADLESS_LABEL = "service.kubernetes.io/headless";

  private static final String TCP = "TCP";
  private static final DateTimeFormatter SECONDS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(ZoneOffset.UTC);

  private EndpointsPlanner() {}

  /**
   * What svcplane.endpoints should hold for the service named {@code service}'s name: the planned
   * Endpoints for a service with a selector; the user's Endpoints, as written, for a service
   * without one; none for an ExternalName service or a deleted one.
   *
   * @param service the service, or empty when it does not exist (was deleted)
   * @param pods the pods of the service's namespace (others are ignored)
   * @param userEndpoints Endpoints a user wrote under the service's name (svcplane.resources)
   * @param previous the Endpoints last published for the service, if any
   * @param triggerTime time of the change that led here, or null for none
   */
  public static Optional<Endpoints> desired(
      Optional<Service> service,
      Collection<Pod> pods,
      Optional<Endpoints> userEndpoints,
      Optional<Endpoints> previous,
      Instant triggerTime) {
    if (service.isEmpty() || isExternalName(service.get())) return Optional.empty();
    if (!service.get().getSpec().hasSelector()) return userEndpoints.map(EndpointsPlanner::asPublished);
    return plan(service.get(), pods, previous, triggerTime);
  }

  /**
   * Kubernetes' syncService for one service. ExternalName services get none; a service without a
   * selector is not the controller's to compute, so {@code previous} is returned untouched; for a
   * selector ({@code {}} selects the whole namespace) the matching pods of the service's namespace
   * become addresses. If subsets and labels equal {@code previous}'s, {@code previous} itself is
   * returned; otherwise new Endpoints carrying {@code triggerTime} in the
   * {@value #LAST_CHANGE_TRIGGER_TIME} annotation.
   */
  public static Optional<Endpoints> plan(
      Service service, Collection<Pod> pods, Optional<Endpoints> previous, Instant triggerTime) {
    if (isExternalName(service)) return Optional.empty();
    Optional<LabelSelector> selector = LabelSelector.ofService(service);
    if (selector.isEmpty()) return previous;

    List<EndpointSubset> subsets = subsets(service, selector.get(), pods);
    Map<String, String> labels = labels(service);
    if (previous.isPresent()
        && previous.get().getSubsetsList().equals(subsets)
        && previous.get().getMetadata().getLabelsMap().equals(labels)) {
      return previous;
    }

    ObjectMeta serviceMeta = service.getMetadata();
    ObjectMeta.Builder meta = ObjectMeta.newBuilder()
        .setName(serviceMeta.getName())
        .setNamespace(serviceMeta.getNamespace())
        .putAllLabels(labels);
    Map<String, String> annotations = new TreeMap<>();
    if (previous.isPresent()) {
      ObjectMeta prev = previous.get().getMetadata();
      annotations.putAll(prev.getAnnotationsMap());
      meta.setUid(prev.getUid());
      if (prev.hasCreationTimestamp()) meta.setCreationTimestamp(prev.getCreationTimestamp());
    } else {
      meta.setUid(endpointsUid(service));
      if (triggerTime != null) {
        meta.setCreationTimestamp(Timestamp.newBuilder().setSeconds(triggerTime.getEpochSecond()));
      }
    }
    if (triggerTime != null) annotations.put(LAST_CHANGE_TRIGGER_TIME, rfc3339Nano(triggerTime));
    else annotations.remove(LAST_CHANGE_TRIGGER_TIME);
    meta.putAllAnnotations(annotations);

    return Optional.of(Endpoints.newBuilder()
        .setApiVersion("v1")
        .setKind("Endpoints")
        .setMetadata(meta)
        .addAllSubsets(subsets)
        .build());
  }

  /** True if the service's selector (present, possibly {@code {}}) selects the pod. */
  public static boolean selects(Service service, Pod pod) {
    if (!service.getMetadata().getNamespace().equals(pod.getMetadata().getNamespace())) return false;
    return LabelSelector.ofService(service)
        .map(s -> s.matches(pod.getMetadata().getLabelsMap()))
        .orElse(false);
  }

  public static boolean isExternalName(Service service) {
    return "ExternalName".equals(service.getSpec().getType());
  }

  /** Headless: no cluster IP ("None", or none set), as Kubernetes' IsServiceIPSet says. */
  public static boolean isHeadless(Service service) {
    String ip = service.getSpec().getClusterIp();
    return ip.isEmpty() || "None".equals(ip);
  }

  /** Condition Ready=True. */
  public static boolean isReady(Pod pod) {
    for (PodCondition c : pod.getStatus().getConditionsList()) {
      if ("Ready".equals(c.getType())) return "True".equals(c.getStatus());
    }
    return false;
  }

  /**
   * Whether the pod can be an endpoint at all: not terminal (Failed, Succeeded), has an IP, and is
   * not being deleted, unless {@code includeTerminating} (Kubernetes' ShouldPodBeInEndpoints).
   */
  public static boolean shouldBeEndpoint(Pod pod, boolean includeTerminating) {
    String phase = pod.getStatus().getPhase();
    if ("Failed".equals(phase) || "Succeeded".equals(phase)) return false;
    if (podIp(pod).isEmpty()) return false;
    return includeTerminating || !pod.getMetadata().hasDeletionTimestamp();
  }

  /**
   * The pod port a service port reaches: its targetPort as a number, or the container port of that
   * name and the service port's protocol; empty when the pod has no such named port. An empty
   * targetPort means the service port itself.
   */
  public static OptionalInt findPort(Pod pod, ServicePort servicePort) {
    String target = servicePort.getTargetPort();
    if (target.isEmpty()) return OptionalInt.of(servicePort.getPort());
    if (target.chars().allMatch(Character::isDigit)) {
      try {
        return OptionalInt.of(Integer.parseInt(target));
      } catch (NumberFormatException e) {
        return OptionalInt.empty();
      }
    }
    String protocol = protocolOrTcp(servicePort.getProtocol());
    for (Container c : pod.getSpec().getContainersList()) {
      for (ContainerPort p : c.getPortsList()) {
        if (target.equals(p.getName()) && protocol.equals(protocolOrTcp(p.getProtocol()))) {
          return OptionalInt.of(p.getContainerPort());
        }
      }
    }
    return OptionalInt.empty();
  }

  /** Kubernetes' RFC3339Nano in UTC: seconds, then the fraction without trailing zeros. */
  public static String rfc3339Nano(Instant t) {
    // Built by hand: the controller stamps every Endpoints event, and String.format is costly.
    LocalDateTime d = LocalDateTime.ofEpochSecond(t.getEpochSecond(), 0, ZoneOffset.UTC);
    if (d.getYear() < 1 || d.getYear() > 9999) return SECONDS.format(t) + fraction(t.getNano()) + "Z";
    StringBuilder b = new StringBuilder(30);
    pad(b, d.getYear(), 4).append('-');
    pad(b, d.getMonthValue(), 2).append('-');
    pad(b, d.getDayOfMonth(), 2).append('T');
    pad(b, d.getHour(), 2).append(':');
    pad(b, d.getMinute(), 2).append(':');
    pad(b, d.getSecond(), 2);
    return b.append(fraction(t.getNano())).append('Z').toString();
  }

  /** ".5" for 500 ms, "" for none: nanoseconds without trailing zeros. */
  private static String fraction(int nanos) {
    if (nanos == 0) return "";
    int digits = 9;
    while (nanos % 10 == 0) {
      nanos /= 10;
      digits--;
    }
    StringBuilder b = new StringBuilder(10).append('.');
    return pad(b, nanos, digits).toString();
  }

  private static StringBuilder pad(StringBuilder b, int value, int width) {
    String s = Integer.toString(value);
    for (int i = s.length(); i < width; i++) b.append('0');
    return b.append(s);
  }

  /** User-written Endpoints as they are published: as written, without the log-assigned version. */
  public static Endpoints asPublished(Endpoints user) {
    if (user.getMetadata().getResourceVersion().isEmpty()) return user;
    return user.toBuilder().setMetadata(user.getMetadata().toBuilder().clearResourceVersion()).build();
  }

  // ---------------------------------------------------------------------------------------------

  private static Map<String, String> labels(Service service) {
    Map<String, String> labels = new TreeMap<>(service.getMetadata().getLabelsMap());
    if (isHeadless(service)) labels.put(HEADLESS_LABEL, "");
    else labels.remove(HEADLESS_LABEL);
    return labels;
  }

  /** Derived from the service's identity so that a replay gives the same uid. */
  private static String endpointsUid(Service service) {
    ObjectMeta m = service.getMetadata();
    String seed = "Endpoints/" + m.getNamespace() + "/" + m.getName() + "/" + m.getUid();
    return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
  }

  /** Address identity, as Kubernetes dedups: IP and the pod's uid. */
  private record AddressKey(String ip, String uid) {}

  /** A port of a subset; the sentinel NO_PORT stands for "no ports" of a headless service. */
  private static final EndpointPort NO_PORT = EndpointPort.newBuilder().setPort(-1).build();

  /**
   * Every selected pod contributes its address to each service port it resolves; then, as
   * Kubernetes' RepackSubsets, ports offered by the same set of addresses share one subset.
   */
  private static List<EndpointSubset> subsets(Service service, LabelSelector selector, Collection<Pod> pods) {
    String namespace = service.getMetadata().getNamespace();
    boolean publishNotReady = service.getSpec().getPublishNotReadyAddresses();
    boolean headless = isHeadless(service);
    List<ServicePort> servicePorts = service.getSpec().getPortsList();

    Map<AddressKey, EndpointAddress> addresses = new LinkedHashMap<>();
    // per endpoint port: address -> ready; not ready wins over ready, as in Kubernetes
    Map<EndpointPort, Map<AddressKey, Boolean>> byPort = new LinkedHashMap<>();
    for (Pod pod : pods) {
      if (!namespace.equals(pod.getMetadata().getNamespace())) continue;
      if (!selector.matches(pod.getMetadata().getLabelsMap())) continue;
      if (!shouldBeEndpoint(pod, publishNotReady)) continue;
      EndpointAddress address = address(service, pod);
      AddressKey key = new AddressKey(address.getIp(), address.getTargetRef().getUid());
      boolean ready = publishNotReady || isReady(pod);
      if (servicePorts.isEmpty()) {
        if (headless) add(byPort, addresses, NO_PORT, key, address, ready);
        continue;
      }
      for (ServicePort sp : servicePorts) {
        OptionalInt port = findPort(pod, sp);
        if (port.isEmpty()) continue;
        EndpointPort ep = EndpointPort.newBuilder()
            .setName(sp.getName())
            .setPort(port.getAsInt())
            .setProtocol(protocolOrTcp(sp.getProtocol()))
            .setAppProtocol(sp.getAppProtocol())
            .build();
        add(byPort, addresses, ep, key, address, ready);
      }
    }

    // Ports with the same set of (address, ready) go into one subset.
    Map<Map<AddressKey, Boolean>, List<EndpointPort>> portsByAddressSet = new LinkedHashMap<>();
    byPort.forEach((port, set) -> portsByAddressSet.computeIfAbsent(set, s -> new ArrayList<>()).add(port));

    List<EndpointSubset> subsets = new ArrayList<>();
    portsByAddressSet.forEach((set, ports) -> {
      EndpointSubset.Builder b = EndpointSubset.newBuilder();
      List<EndpointAddress> ready = new ArrayList<>();
      List<EndpointAddress> notReady = new ArrayList<>();
      set.forEach((key, isReady) -> (isReady ? ready : notReady).add(addresses.get(key)));
      ready.sort(ADDRESS_ORDER);
      notReady.sort(ADDRESS_ORDER);
      b.addAllAddresses(ready).addAllNotReadyAddresses(notReady);
      ports.stream().filter(p -> p != NO_PORT).sorted(PORT_ORDER).forEach(b::addPorts);
      subsets.add(b.build());
    });
    subsets.sort(SUBSET_ORDER);
    return subsets;
  }

  private static void add(
      Map<EndpointPort, Map<AddressKey, Boolean>> byPort,
      Map<AddressKey, EndpointAddress> addresses,
      EndpointPort port,
      AddressKey key,
      EndpointAddress address,
      boolean ready) {
    addresses.putIfAbsent(key, address);
    // TreeMap: the address set compares and hashes independent of insertion order
    byPort.computeIfAbsent(port, p -> new TreeMap<>(KEY_ORDER)).merge(key, ready, Boolean::logicalAnd);
  }

  private static EndpointAddress address(Service service, Pod pod) {
    ObjectMeta m = pod.getMetadata();
    EndpointAddress.Builder a = EndpointAddress.newBuilder()
        .setIp(podIp(pod))
        .setNodeName(pod.getSpec().getNodeName())
        .setTargetRef(ObjectReference.newBuilder()
            .setKind("Pod")
            .setNamespace(m.getNamespace())
            .setName(m.getName())
            .setUid(m.getUid()));
    // Kubernetes' ShouldSetHostname: the pod's subdomain names this service.
    if (!pod.getSpec().getHostname().isEmpty()
        && pod.getSpec().getSubdomain().equals(service.getMetadata().getName())) {
      a.setHostname(pod.getSpec().getHostname());
    }
    return a.build();
  }

  private static String podIp(Pod pod) {
    String ip = pod.getStatus().getPodIp();
    if (!ip.isEmpty() || pod.getStatus().getPodIpsCount() == 0) return ip;
    return pod.getStatus().getPodIps(0).getIp();
  }

  private static String protocolOrTcp(String protocol) {
    return protocol.isEmpty() ? TCP : protocol;
  }

  private static final Comparator<AddressKey> KEY_ORDER =
      Comparator.comparing(AddressKey::ip).thenComparing(AddressKey::uid);

  private static final Comparator<EndpointAddress> ADDRESS_ORDER =
      Comparator.comparing(EndpointAddress::getIp).thenComparing(a -> a.getTargetRef().getUid());

  private static final Comparator<EndpointPort> PORT_ORDER =
      Comparator.comparing(EndpointPort::getName)
          .thenComparingInt(EndpointPort::getPort)
          .thenComparing(EndpointPort::getProtocol)
          .thenComparing(EndpointPort::getAppProtocol);

  /** Subsets by their first port, then their first address: a total order on disjoint subsets. */
  private static final Comparator<EndpointSubset> SUBSET_ORDER = (a, b) -> {
    int c = compareLists(a.getPortsList(), b.getPortsList(), PORT_ORDER);
    if (c != 0) return c;
    c = compareLists(a.getAddressesList(), b.getAddressesList(), ADDRESS_ORDER);
    if (c != 0) return c;
    return compareLists(a.getNotReadyAddressesList(), b.getNotReadyAddressesList(), ADDRESS_ORDER);
  };

  private static <T> int compareLists(List<T> a, List<T> b, Comparator<T> order) {
    for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
      int c = order.compare(a.get(i), b.get(i));
      if (c != 0) return c;
    }
    return Integer.compare(a.size(), b.size());
  }
}
