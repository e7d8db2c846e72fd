package io.svcplane.core.forwarding;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.core.image.ClusterImage;
import io.svcplane.core.image.NamespaceImage;
import io.svcplane.core.selector.LabelSelector;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The backends of a service as the ProxyFeed carries them, derived from a cluster image. Pure.
 *
 * <ul>
 *   <li>From the service's Endpoints: {@code addresses} are ready (and serving),
 *       {@code notReadyAddresses} are neither. Services with a selector take the Endpoints the
 *       endpoint controller published; selector-less services take the Endpoints users wrote
 *       (which the controller only copies), so their forwarding does not wait for that copy.
 *   <li>Plus terminating endpoints, which Endpoints cannot express: pods the service selects that
 *       have a deletionTimestamp and are still Ready become serving, terminating, not-ready
 *       backends. Proxies fall back to them when no endpoint is ready, as kube-proxy does with
 *       EndpointSlice's serving/terminating conditions.
 * </ul>
 */
public final class ServiceBackends {
  private static final Comparator<Backend> BY_IP = Comparator.comparing(Backend::getIp);

  private ServiceBackends() {}

  /** The backends of {@code service} in {@code image}, sorted by IP, one per IP. */
  public static List<Backend> of(ClusterImage image, Service service) {
    if ("ExternalName".equals(service.getSpec().getType())) return List.of();
    String name = service.getMetadata().getName();
    NamespaceImage ns = image.namespace(service.getMetadata().getNamespace());
    Optional<LabelSelector> selector = LabelSelector.ofService(service);
    Endpoints endpoints = selector.isPresent() ? ns.endpoints().get(name) : ns.userEndpoints().get(name);

    Map<String, Backend.Builder> byIp = new LinkedHashMap<>();
    if (endpoints != null) {
      for (var subset : endpoints.getSubsetsList()) {
        for (EndpointAddress a : subset.getAddressesList()) add(byIp, a, true, subset.getPortsList());
        for (EndpointAddress a : subset.getNotReadyAddressesList()) add(byIp, a, false, subset.getPortsList());
      }
    }
    if (selector.isPresent()) {
      for (Pod pod : ns.pods().values()) {
        if (!isTerminatingButReady(pod) || !selector.get().matches(pod.getMetadata().getLabelsMap())) continue;
        String ip = pod.getStatus().getPodIp();
        if (byIp.containsKey(ip)) continue;
        List<EndpointPort> ports = portsOf(service, pod);
        if (ports.isEmpty()) continue;
        byIp.put(ip, Backend.newBuilder().setIp(ip).addAllPorts(ports).setReady(false).setServing(true)
            .setTerminating(true).setNodeName(pod.getSpec().getNodeName()).setHostname(pod.getSpec().getHostname())
            .setPodName(pod.getMetadata().getName()));
      }
    }
    List<Backend> out = new ArrayList<>(byIp.size());
    byIp.values().forEach(b -> out.add(b.build()));
    out.sort(BY_IP);
    return out;
  }

  /** A pod being deleted that still answers: deletionTimestamp set, Ready, has an IP, not finished. */
  public static boolean isTerminatingButReady(Pod pod) {
    if (!pod.getMetadata().hasDeletionTimestamp() || pod.getStatus().getPodIp().isEmpty()) return false;
    String phase = pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) return false;
    return pod.getStatus().getConditionsList().stream()
        .anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private static void add(Map<String, Backend.Builder> byIp, EndpointAddress a, boolean ready, List<EndpointPort> ports) {
    Backend.Builder b = byIp.get(a.getIp());
    if (b == null) {
      b = Backend.newBuilder().setIp(a.getIp()).setNodeName(a.getNodeName()).setHostname(a.getHostname());
      if ("Pod".equals(a.getTargetRef().getKind())) b.setPodName(a.getTargetRef().getName());
      byIp.put(a.getIp(), b);
    }
    // Readiness belongs to the pod, not the subset: one ready listing makes the address ready.
    if (ready) b.setReady(true).setServing(true);
    for (EndpointPort p : ports) {
      if (!b.getPortsList().contains(p)) b.addPorts(p);
    }
  }

  /** The service's ports resolved on one pod (named targetPorts against its container ports). */
  static List<EndpointPort> portsOf(Service service, Pod pod) {
    List<EndpointPort> out = new ArrayList<>();
    for (ServicePort sp : service.getSpec().getPortsList()) {
      String protocol = sp.getProtocol().isEmpty() ? "TCP" : sp.getProtocol();
      int port = resolve(sp, protocol, pod);
      if (port <= 0) continue;
      out.add(EndpointPort.newBuilder().setName(sp.getName()).setPort(port).setProtocol(protocol)
          .setAppProtocol(sp.getAppProtocol()).build());
    }
    return out;
  }

  private static int resolve(ServicePort sp, String protocol, Pod pod) {
    String target = sp.getTargetPort().isEmpty() ? Integer.toString(sp.getPort()) : sp.getTargetPort();
    if (!target.isEmpty() && target.chars().allMatch(Character::isDigit)) return Integer.parseInt(target);
    for (var c : pod.getSpec().getContainersList()) {
      for (ContainerPort cp : c.getPortsList()) {
        String cpProtocol = cp.getProtocol().isEmpty() ? "TCP" : cp.getProtocol();
        if (target.equals(cp.getName()) && protocol.equals(cpProtocol)) return cp.getContainerPort();
      }
    }
    return 0;
  }

  /**
   * A digest of what a proxy holds for one service: the Service object and its backends (in any
   * order). The apiserver and the proxy compute it alike; a proxy that reconnects sends the digest
   * of each service it holds, and gets only the services whose digest differs.
   */
  public static String digest(Service service, Collection<Backend> backends) {
    TreeMap<String, Backend> sorted = new TreeMap<>();
    for (Backend b : backends) sorted.put(b.getIp(), b);
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(deterministic(service));
      for (Backend b : sorted.values()) md.update(deterministic(b));
      byte[] d = md.digest();
      StringBuilder s = new StringBuilder(24);
      for (int i = 0; i < 12; i++) s.append(String.format("%02x", d[i]));
      return s.toString();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] deterministic(MessageLite m) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(m.getSerializedSize() + 4);
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      out.writeUInt32NoTag(m.getSerializedSize());
      m.writeTo(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
