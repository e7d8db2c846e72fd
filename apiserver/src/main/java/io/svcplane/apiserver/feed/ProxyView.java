package io.svcplane.apiserver.feed;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.EndpointsDelta;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Service;
import io.svcplane.core.forwarding.ServiceBackends;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the apiserver has sent one proxy (services and their backends), and the planning of the
 * next update to it: a snapshot, a resume against the proxy's digests, or a delta over the
 * services that changed. Each call returns the update and records it as sent. Pure, not
 * thread-safe (its session serializes calls).
 */
public final class ProxyView {
  /** One service as the proxy holds it. */
  private record Held(Service service, Map<String, Backend> backends) {}

  private final Map<String, Held> held = new HashMap<>();
  private String version = "";

  /** Version of the last update planned. */
  public String version() {
    return version;
  }

  public int services() {
    return held.size();
  }

  /** Every service with all its backends; the proxy drops anything else. */
  public ProxyUpdate snapshot(ImageBackends image) {
    held.clear();
    ProxyUpdate.Builder u = ProxyUpdate.newBuilder().setSnapshot(true);
    for (String key : allServices(image)) {
      Service s = image.service(key);
      List<Backend> backends = image.backends(key, s);
      u.addServices(s).addEndpoints(full(s, backends));
      held.put(key, new Held(s, byIp(backends)));
    }
    return finish(u, image);
  }

  /**
   * A proxy that comes back holding {@code known} ("namespace/name" -> digest): only services
   * whose digest differs (whole, with all backends) and those it holds that are gone.
   */
  public ProxyUpdate resume(ImageBackends image, Map<String, String> known) {
    held.clear();
    ProxyUpdate.Builder u = ProxyUpdate.newBuilder();
    Set<String> current = allServices(image);
    for (String key : current) {
      Service s = image.service(key);
      List<Backend> backends = image.backends(key, s);
      held.put(key, new Held(s, byIp(backends)));
      String digest = known.get(key);
      if (digest != null && digest.equals(ServiceBackends.digest(s, backends))) continue;
      u.addServices(s).addEndpoints(full(s, backends));
    }
    for (String key : new TreeSet<>(known.keySet())) {
      if (!current.contains(key)) u.addRemovedServices(key);
    }
    return finish(u, image);
  }

  /** The changes of {@code dirty} services since what was sent: added/removed backends only. */
  public ProxyUpdate delta(ImageBackends image, Collection<String> dirty) {
    ProxyUpdate.Builder u = ProxyUpdate.newBuilder();
    for (String key : new TreeSet<>(dirty)) {
      Service s = image.service(key);
      Held was = held.get(key);
      if (s == null) {
        if (was != null) {
          u.addRemovedServices(key);
          held.remove(key);
        }
        continue;
      }
      List<Backend> backends = image.backends(key, s);
      if (was == null) {
        u.addServices(s).addEndpoints(full(s, backends));
        held.put(key, new Held(s, byIp(backends)));
        continue;
      }
      if (!was.service().equals(s)) u.addServices(s);
      Map<String, Backend> now = byIp(backends);
      EndpointsDelta.Builder d = EndpointsDelta.newBuilder()
          .setNamespace(s.getMetadata().getNamespace()).setName(s.getMetadata().getName());
      now.forEach((ip, b) -> {
        if (!b.equals(was.backends().get(ip))) d.addUpserted(b);
      });
      was.backends().keySet().forEach(ip -> {
        if (!now.containsKey(ip)) d.addRemoved(ip);
      });
      if (d.getUpsertedCount() > 0 || d.getRemovedCount() > 0) u.addEndpoints(d);
      held.put(key, new Held(s, now));
    }
    return finish(u, image);
  }

  private ProxyUpdate finish(ProxyUpdate.Builder u, ImageBackends image) {
    version = image.version();
    return u.setVersion(version).build();
  }

  private static Set<String> allServices(ImageBackends image) {
    Set<String> keys = new TreeSet<>();
    image.image().namespaces().forEach((ns, nsImage) ->
        nsImage.services().keySet().forEach(name -> keys.add(ns + "/" + name)));
    return keys;
  }

  private static EndpointsDelta full(Service s, List<Backend> backends) {
    return EndpointsDelta.newBuilder().setNamespace(s.getMetadata().getNamespace())
        .setName(s.getMetadata().getName()).addAllUpserted(backends).setReplace(true).build();
  }

  private static Map<String, Backend> byIp(List<Backend> backends) {
    Map<String, Backend> m = new LinkedHashMap<>();
    for (Backend b : backends) m.put(b.getIp(), b);
    return m;
  }

  /** For tests: the IPs held for a service. */
  List<String> heldBackends(String key) {
    Held h = held.get(key);
    return h == null ? List.of() : new ArrayList<>(h.backends().keySet());
  }
}
