package io.svcplane.proxy.dns;

import io.svcplane.api.v1.Backend;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointsDelta;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.proxy.ProxyState;
import java.io.IOException;
import java.util.List;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;

/** Feed objects and DNS messages for the DNS unit tests. */
final class DnsFixtures {
  private DnsFixtures() {}

  static Service clusterIp(String ns, String name, String ip, ServicePort... ports) {
    return service(ns, name, ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp(ip).addClusterIps(ip), ports);
  }

  static Service headless(String ns, String name, boolean publishNotReady, ServicePort... ports) {
    return service(ns, name, ServiceSpec.newBuilder().setType("ClusterIP").setClusterIp("None").addClusterIps("None")
        .setPublishNotReadyAddresses(publishNotReady), ports);
  }

  static Service externalName(String ns, String name, String target, ServicePort... ports) {
    return service(ns, name, ServiceSpec.newBuilder().setType("ExternalName").setExternalName(target), ports);
  }

  static Service service(String ns, String name, ServiceSpec.Builder spec, ServicePort... ports) {
    for (ServicePort p : ports) spec.addPorts(p);
    return Service.newBuilder().setApiVersion("v1").setKind("Service")
        .setMetadata(ObjectMeta.newBuilder().setNamespace(ns).setName(name)).setSpec(spec).build();
  }

  static ServicePort port(String name, String protocol, int port) {
    return ServicePort.newBuilder().setName(name).setProtocol(protocol).setPort(port).setTargetPort(Integer.toString(port)).build();
  }

  /** A backend with one port named {@code portName}; hostname "" for none. */
  static Backend backend(String ip, boolean ready, String hostname, String portName, int port) {
    return Backend.newBuilder().setIp(ip).setReady(ready).setServing(ready).setHostname(hostname)
        .addPorts(EndpointPort.newBuilder().setName(portName).setPort(port).setProtocol("TCP")).build();
  }

  static EndpointsDelta endpoints(Service s, Backend... backends) {
    return EndpointsDelta.newBuilder().setNamespace(s.getMetadata().getNamespace()).setName(s.getMetadata().getName())
        .setReplace(true).addAllUpserted(List.of(backends)).build();
  }

  /** A proxy state and its DNS names after one update. */
  static final class Fed {
    final ProxyState state = new ProxyState();
    final NameCatalog catalog = new NameCatalog();
    ClusterNames names = ClusterNames.NONE;

    Fed apply(ProxyUpdate u) {
      state.apply(u);
      catalog.fold(u, state);
      names = catalog.snapshot(u.getVersion());
      return this;
    }
  }

  static Message query(String name, int type) {
    try {
      return Message.newQuery(Record.newRecord(Name.fromString(name), type, DClass.IN));
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
  }

  static List<String> section(Message m, int section) {
    return m.getSection(section).stream().map(r -> r.toString().replaceAll("\\s+", " ")).toList();
  }

  static List<String> answers(Message m) {
    return section(m, Section.ANSWER);
  }
}
