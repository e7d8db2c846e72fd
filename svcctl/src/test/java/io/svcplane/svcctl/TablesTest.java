package io.svcplane.svcctl;

import static io.svcplane.svcctl.Fixtures.NOW;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Timestamp;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.Namespace;
import io.svcplane.api.v1.NamespaceStatus;
import io.svcplane.api.v1.Node;
import io.svcplane.api.v1.NodeAddress;
import io.svcplane.api.v1.NodeCondition;
import io.svcplane.api.v1.NodeProxyStatus;
import io.svcplane.api.v1.NodeStatus;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.core.Kinds;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TablesTest {
  private static String table(Kind kind, boolean wide, boolean allNamespaces, boolean withKind, List<Resource> items) {
    TablePrinter t = new TablePrinter(kind, wide, allNamespaces, withKind, false, true);
    items.forEach(r -> t.add(r, NOW));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    t.flushTo(new PrintStream(out, true, StandardCharsets.UTF_8));
    return out.toString(StandardCharsets.UTF_8);
  }

  private static List<Resource> services() {
    return List.of(Kinds.wrap(Fixtures.headless()), Kinds.wrap(Fixtures.externalName()), Kinds.wrap(Fixtures.svcNginx()));
  }

  @Test
  void servicesShowTypeClusterIpExternalNameNodePortsAndHeadlessNone() {
    assertEquals("""
        NAME                 TYPE           CLUSTER-IP   EXTERNAL-IP     PORT(S)             AGE
        db                   ClusterIP      None         <none>          5432/TCP,9187/UDP   3d19h
        my-external-domain   ExternalName   <none>       www.baidu.com   <none>              12m
        svc-nginx            NodePort       10.96.0.10   <none>          80:30550/TCP        45s
        """, table(Kind.SERVICE, false, false, false, services()));
  }

  @Test
  void wideServicesAddTheSelector() {
    assertEquals("""
        NAME                 TYPE           CLUSTER-IP   EXTERNAL-IP     PORT(S)             AGE     SELECTOR
        db                   ClusterIP      None         <none>          5432/TCP,9187/UDP   3d19h   app=db,tier=data
        my-external-domain   ExternalName   <none>       www.baidu.com   <none>              12m     <none>
        svc-nginx            NodePort       10.96.0.10   <none>          80:30550/TCP        45s     app=nginx-deploy
        """, table(Kind.SERVICE, true, false, false, services()));
  }

  @Test
  void allNamespacesAddsANamespaceColumnAndSeveralKindsPrefixTheName() {
    assertEquals("""
        NAMESPACE   NAME                TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE
        default     service/svc-nginx   NodePort   10.96.0.10   <none>        80:30550/TCP   45s
        """, table(Kind.SERVICE, false, true, true, List.of(Kinds.wrap(Fixtures.svcNginx()))));
  }

  @Test
  void loadBalancerWithoutIngressIsPending() {
    Service lb = Fixtures.svcNginx().toBuilder().setSpec(Fixtures.svcNginx().getSpec().toBuilder().setType("LoadBalancer")).build();
    assertEquals("<pending>", Tables.externalIp(lb, false));
  }

  @Test
  void endpointsShowReadyAddressPortPairsAbbreviatedAfterThree() {
    var items = List.of(
        Kinds.wrap(Fixtures.endpoints("empty")),
        Kinds.wrap(Fixtures.endpoints("five", Fixtures.subset("", 80, "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"))),
        Kinds.wrap(Fixtures.endpoints("nginx-svc-external", Fixtures.subset("web", 8081, "192.168.80.1"))),
        Kinds.wrap(Fixtures.endpoints("not-ready", EndpointSubset.newBuilder().addNotReadyAddresses(Fixtures.addr("10.0.0.9"))
            .addPorts(io.svcplane.api.v1.EndpointPort.newBuilder().setPort(80)).build())),
        Kinds.wrap(Fixtures.endpoints("svc-nginx", Fixtures.subset("web", 80, "10.244.167.211", "10.244.203.37"))));
    assertEquals("""
        NAME                 ENDPOINTS                                         AGE
        empty                <none>                                            45s
        five                 10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...   45s
        nginx-svc-external   192.168.80.1:8081                                 45s
        not-ready            <none>                                            45s
        svc-nginx            10.244.167.211:80,10.244.203.37:80                45s
        """, table(Kind.ENDPOINTS, false, false, false, items));
  }

  @Test
  void endpointsWithSeveralPortsCountEveryAddressPortPair() {
    EndpointSubset two = Fixtures.subset("web", 80, "10.0.0.1", "10.0.0.2").toBuilder()
        .addPorts(io.svcplane.api.v1.EndpointPort.newBuilder().setName("metrics").setPort(9000)).build();
    assertEquals("10.0.0.1:80,10.0.0.2:80,10.0.0.1:9000 + 1 more...", Tables.formatEndpoints(Fixtures.endpoints("x", two), null));
    assertEquals("10.0.0.1:9000,10.0.0.2:9000", Tables.formatEndpoints(Fixtures.endpoints("x", two), java.util.Set.of("metrics")));
  }

  @Test
  void podsShowReadinessPhaseAndTerminating() {
    Pod terminating = Fixtures.pod("old", "node-1", "10.244.1.9", "Running", true, 3600).toBuilder()
        .setMetadata(Fixtures.meta("old", Map.of(), 3600).toBuilder().setDeletionTimestamp(Fixtures.ago(2))).build();
    Pod pending = Pod.newBuilder().setMetadata(Fixtures.meta("pending", Map.of(), 10))
        .setSpec(Fixtures.pod("x", "", "", "", false, 0).getSpec().toBuilder().setNodeName(""))
        .setStatus(io.svcplane.api.v1.PodStatus.newBuilder().setPhase("Pending")).build();
    var items = List.of(
        Kinds.wrap(Fixtures.pod("nginx-deploy-7d9f-a", "node-1", "10.244.167.211", "Running", true, 45)),
        Kinds.wrap(Fixtures.pod("nginx-deploy-7d9f-c", "node-2", "10.244.203.38", "Running", false, 45)),
        Kinds.wrap(terminating), Kinds.wrap(pending));
    assertEquals("""
        NAME                  READY   STATUS        RESTARTS   AGE
        nginx-deploy-7d9f-a   1/1     Running       0          45s
        nginx-deploy-7d9f-c   0/1     Running       0          45s
        old                   1/1     Terminating   0          60m
        pending               0/1     Pending       0          10s
        """, table(Kind.POD, false, false, false, items));
    assertEquals("""
        NAME                  READY   STATUS        RESTARTS   AGE   IP               NODE     NOMINATED NODE   READINESS GATES
        nginx-deploy-7d9f-a   1/1     Running       0          45s   10.244.167.211   node-1   <none>           <none>
        nginx-deploy-7d9f-c   0/1     Running       0          45s   10.244.203.38    node-2   <none>           <none>
        old                   1/1     Terminating   0          60m   10.244.1.9       node-1   <none>           <none>
        pending               0/1     Pending       0          10s   <none>           <none>   <none>           <none>
        """, table(Kind.POD, true, false, false, items));
  }

  private static Node node(String name, String ready, NodeProxyStatus proxy, long age) {
    NodeStatus.Builder s = NodeStatus.newBuilder().addAddresses(NodeAddress.newBuilder().setType("InternalIP").setAddress("127.0.1.1"));
    if (ready != null) s.addConditions(NodeCondition.newBuilder().setType("Ready").setStatus(ready));
    if (proxy != null) s.setProxy(proxy);
    return Node.newBuilder().setMetadata(Fixtures.meta(name, Map.of(), age).toBuilder().clearNamespace()).setStatus(s).build();
  }

  @Test
  void nodesShowReadinessAndWhatTheirProxyHasProgrammed() {
    var items = List.of(
        Kinds.wrap(node("node-1", "True", NodeProxyStatus.newBuilder().setConnected(true).setProgrammedVersion("v9")
            .setMode("userspace").setLastAckTime(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond())).build(), 3 * 86400)),
        Kinds.wrap(node("node-2", "False", NodeProxyStatus.newBuilder().setConnected(true).setProgrammedVersion("v7")
            .setLagEvents(3).setLagSeconds(1.234).setMode("nftables").build(), 300)),
        Kinds.wrap(node("node-3", null, null, 10)));
    assertEquals("""
        NAME     STATUS     PROGRAMMED   LAG             AGE
        node-1   Ready      yes          0               3d
        node-2   NotReady   no           3 events/1.2s   5m
        node-3   Unknown    <none>       <none>          10s
        """, table(Kind.NODE, false, false, false, items));
    assertEquals("""
        NAME     STATUS     PROGRAMMED   LAG             AGE   INTERNAL-IP   EXTERNAL-IP   MODE
        node-1   Ready      yes          0               3d    127.0.1.1     <none>        userspace
        node-2   NotReady   no           3 events/1.2s   5m    127.0.1.1     <none>        nftables
        node-3   Unknown    <none>       <none>          10s   127.0.1.1     <none>        <none>
        """, table(Kind.NODE, true, false, false, items));
  }

  @Test
  void namespacesShowTheirPhase() {
    Namespace ns = Namespace.newBuilder().setMetadata(Fixtures.meta("default", Map.of(), 3 * 86400).toBuilder().clearNamespace())
        .setStatus(NamespaceStatus.newBuilder().setPhase("Active")).build();
    assertEquals("NAME      STATUS   AGE\ndefault   Active   3d\n", table(Kind.NAMESPACE, false, false, false, List.of(Kinds.wrap(ns))));
  }
}
