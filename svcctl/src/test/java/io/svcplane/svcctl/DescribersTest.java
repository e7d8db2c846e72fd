package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServiceSpec;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DescribersTest {
  private static Service clusterIp(String name, Map<String, String> labels, Map<String, String> selector, String ip,
      String portName, int port) {
    ServiceSpec.Builder spec = Fixtures.clusterIpSpec(ip).clearInternalTrafficPolicy()
        .addPorts(Fixtures.port(portName, port, Integer.toString(port), 0));
    if (!selector.isEmpty()) spec.setSelector(Fixtures.selector(selector));
    return Service.newBuilder().setMetadata(Fixtures.meta(name, labels, 60)).setSpec(spec).build();
  }

  @Test
  void serviceMatchesRealKubectlOutput() {
    // Verbatim `kubectl describe services` output of a real cluster (kubectl of the
    // pre-"Internal Traffic Policy" releases, so the service has no internalTrafficPolicy here).
    Service svc = clusterIp("backend-feed", Map.of("service", "backend-feed"), Map.of("service", "backend-feed"),
        "10.100.7.214", "8080", 8080);
    Endpoints ep = Fixtures.endpoints("backend-feed", Fixtures.subset("8080", 8080, "192.168.37.44", "192.168.7.63"));
    assertEquals("""
        Name:              backend-feed
        Namespace:         default
        Labels:            service=backend-feed
        Annotations:       <none>
        Selector:          service=backend-feed
        Type:              ClusterIP
        IP Family Policy:  SingleStack
        IP Families:       IPv4
        IP:                10.100.7.214
        IPs:               10.100.7.214
        Port:              8080  8080/TCP
        TargetPort:        8080/TCP
        Endpoints:         192.168.37.44:8080,192.168.7.63:8080
        Session Affinity:  None
        Events:            <none>
        """, Describers.service(svc, ep));
  }

  @Test
  void severalLabelsAlignUnderTheFirst() {
    Service svc = clusterIp("kubernetes", Map.of("component", "apiserver", "provider", "kubernetes"), Map.of(),
        "10.100.0.1", "https", 443);
    Endpoints ep = Fixtures.endpoints("kubernetes", Fixtures.subset("https", 443, "192.168.109.32", "192.168.80.212"));
    assertEquals("""
        Name:              kubernetes
        Namespace:         default
        Labels:            component=apiserver
                           provider=kubernetes
        Annotations:       <none>
        Selector:          <none>
        Type:              ClusterIP
        IP Family Policy:  SingleStack
        IP Families:       IPv4
        IP:                10.100.0.1
        IPs:               10.100.0.1
        Port:              https  443/TCP
        TargetPort:        443/TCP
        Endpoints:         192.168.109.32:443,192.168.80.212:443
        Session Affinity:  None
        Events:            <none>
        """, Describers.service(svc, ep));
  }

  @Test
  void nodePortServiceShowsNodePortAndTrafficPolicies() {
    Endpoints ep = Fixtures.endpoints("svc-nginx", Fixtures.subset("web", 80, "10.244.167.211", "10.244.203.37"));
    assertEquals("""
        Name:                     svc-nginx
        Namespace:                default
        Labels:                   app=nginx
        Annotations:              <none>
        Selector:                 app=nginx-deploy
        Type:                     NodePort
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       10.96.0.10
        IPs:                      10.96.0.10
        Port:                     web  80/TCP
        TargetPort:               80/TCP
        NodePort:                 web  30550/TCP
        Endpoints:                10.244.167.211:80,10.244.203.37:80
        Session Affinity:         None
        External Traffic Policy:  Cluster
        Internal Traffic Policy:  Cluster
        Events:                   <none>
        """, Describers.service(Fixtures.svcNginx(), ep));
  }

  @Test
  void externalNameServiceShowsExternalNameAndNoEndpoints() {
    // kubectl pads the empty IP cell too: "IP:" is followed by spaces.
    assertEquals("Name:              my-external-domain\n"
        + "Namespace:         default\n"
        + "Labels:            app=my-external-domain\n"
        + "Annotations:       <none>\n"
        + "Selector:          <none>\n"
        + "Type:              ExternalName\n"
        + "IP Families:       <none>\n"
        + "IP:                \n"
        + "IPs:               <none>\n"
        + "External Name:     www.baidu.com\n"
        + "Session Affinity:  None\n"
        + "Events:            <none>\n", Describers.service(Fixtures.externalName(), null));
  }

  @Test
  void serviceWithoutEndpointsShowsNone() {
    String out = Describers.service(Fixtures.svcNginx(), null);
    assertEquals("Endpoints:                <none>", out.lines().filter(l -> l.startsWith("Endpoints:")).findFirst().orElseThrow());
  }

  @Test
  void endpointsShowSubsetsWithAddressesAndAPortsTable() {
    Endpoints ep = Fixtures.endpoints("nginx-svc-external", Fixtures.subset("web", 8081, "192.168.80.1")).toBuilder()
        .setMetadata(Fixtures.meta("nginx-svc-external", Map.of("app", "nginx"), 45)).build();
    assertEquals("""
        Name:         nginx-svc-external
        Namespace:    default
        Labels:       app=nginx
        Annotations:  <none>
        Subsets:
          Addresses:          192.168.80.1
          NotReadyAddresses:  <none>
          Ports:
            Name  Port  Protocol
            ----  ----  --------
            web   8081  TCP

        Events:  <none>
        """, Describers.endpoints(ep));
  }

  @Test
  void endpointsWithNotReadyAddressesAndUnnamedPort() {
    Endpoints ep = Fixtures.endpoints("svc-nginx", Fixtures.subset("", 80, "10.244.167.211", "10.244.203.37").toBuilder()
        .addNotReadyAddresses(Fixtures.addr("10.244.203.38")).build());
    assertEquals("""
        Name:         svc-nginx
        Namespace:    default
        Labels:       <none>
        Annotations:  <none>
        Subsets:
          Addresses:          10.244.167.211,10.244.203.37
          NotReadyAddresses:  10.244.203.38
          Ports:
            Name     Port  Protocol
            ----     ----  --------
            <unset>  80    TCP

        Events:  <none>
        """, Describers.endpoints(ep));
  }

  @Test
  void podInKubectlsLayout() {
    // No Volumes section (no volumes): the Conditions table shares its column block with the
    // lines after it, exactly as Go's tabwriter aligns kubectl's output in that case.
    assertEquals("""
        Name:         nginx-deploy-7d9f-a
        Namespace:    default
        Node:         node-1/
        Labels:       app=nginx-deploy
        Annotations:  <none>
        Status:       Running
        IP:           10.244.167.211
        IPs:
          IP:  10.244.167.211
        Containers:
          nginx:
            Image:        nginx
            Port:         80/TCP (web)
            Host Port:    0/TCP (web)
            Environment:  <none>
            Mounts:       <none>
        Conditions:
          Type           Status
          Ready          True\s
        Volumes:         <none>
        QoS Class:       BestEffort
        Node-Selectors:  <none>
        Tolerations:     <none>
        Events:          <none>
        """, Describers.pod(Fixtures.pod("nginx-deploy-7d9f-a", "node-1", "10.244.167.211", "Running", true, 45),
            Fixtures.NOW, ZoneId.of("UTC")));
  }

  @Test
  void longAnnotationsAreFoldedAndCut() {
    Service svc = Fixtures.svcNginx().toBuilder().setMetadata(Fixtures.svcNginx().getMetadata().toBuilder()
        .putAnnotations("short", "v").putAnnotations("long", "x".repeat(200))
        .putAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}")).build();
    String out = Describers.service(svc, null);
    String pad = " ".repeat("External Traffic Policy:".length() + 2);
    assertEquals(true, out.contains("Annotations:              long:\n" + pad + "  " + "x".repeat(138) + "...\n"
        + pad + "short: v\n"), out);
  }

  @Test
  void rfc1123zTimestampsAsKubectlPrintsThem() {
    assertEquals("Thu, 26 Nov 2026 11:59:15 +0000", Describers.time(Fixtures.ago(45), ZoneId.of("UTC")));
    assertEquals("Thu, 26 Nov 2026 12:59:15 +0100", Describers.time(Fixtures.ago(45), ZoneId.of("Europe/Paris")));
  }

  @Test
  void nodeShowsConditionsAddressesWhatItsProxyProgrammedAndItsPods() {
    var node = io.svcplane.api.v1.Node.newBuilder()
        .setMetadata(Fixtures.meta("node-1", Map.of("kubernetes.io/hostname", "node-1"), 3600).toBuilder().clearNamespace())
        .setSpec(io.svcplane.api.v1.NodeSpec.newBuilder().setPodCidr("10.244.1.0/24"))
        .setStatus(io.svcplane.api.v1.NodeStatus.newBuilder()
            .addAddresses(io.svcplane.api.v1.NodeAddress.newBuilder().setType("InternalIP").setAddress("127.0.1.1"))
            .addConditions(io.svcplane.api.v1.NodeCondition.newBuilder().setType("Ready").setStatus("True")
                .setLastHeartbeatTime(Fixtures.ago(5)).setReason("ProxyConnected").setMessage("feed stream open"))
            .setProxy(io.svcplane.api.v1.NodeProxyStatus.newBuilder().setConnected(true).setMode("userspace")
                .setProgrammedVersion("AQID").setLagEvents(2).setLagSeconds(0.25).setLastAckTime(Fixtures.ago(1))))
        .build();
    var pod = Fixtures.pod("nginx-deploy-7d9f-a", "node-1", "10.244.167.211", "Running", true, 45);
    assertEquals("""
        Name:               node-1
        Roles:              <none>
        Labels:             kubernetes.io/hostname=node-1
        Annotations:        <none>
        CreationTimestamp:  Thu, 26 Nov 2026 11:00:00 +0000
        Taints:             <none>
        Unschedulable:      false
        Conditions:
          Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason           Message
          ----    ------  -----------------                 ------------------                ------           -------
          Ready   True    Thu, 26 Nov 2026 11:59:55 +0000   Mon, 01 Jan 0001 00:00:00 +0000   ProxyConnected   feed stream open
        Addresses:
          InternalIP:  127.0.1.1
        PodCIDR:       10.244.1.0/24
        Proxy:
          Connected:           true
          Mode:                userspace
          Programmed:          no
          Programmed Version:  AQID
          Lag:                 2 events/0.3s
          Last ACK:            Thu, 26 Nov 2026 11:59:59 +0000
          Last Error:          <none>
        Non-terminated Pods:   (1 in total)
          Namespace            Name                 Age
          ---------            ----                 ---
          default              nginx-deploy-7d9f-a  45s
        Events:                <none>
        """, Describers.node(node, java.util.List.of(pod), Fixtures.NOW, ZoneId.of("UTC")));
  }
}
