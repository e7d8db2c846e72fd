package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.ApplyRequest;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.GetRequest;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ListRequest;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.core.Kinds;
import io.svcplane.core.endpoints.EndpointsPlanner;
import io.svcplane.core.manifest.Manifests;
import io.svcplane.eventlog.testing.KafkaExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * svcctl against a real apiserver and broker: the examples of the repository created as a
 * Kubernetes tutorial would, then get and describe compared with kubectl's output, character for
 * character. AGE is pinned by running svcctl with a clock 10.5 days ahead (every AGE reads 10d);
 * allocated ClusterIPs and NodePorts are filled in from the server.
 */
@ExtendWith({KafkaExtension.class, ApiServerExtension.class})
class GoldenOutputTest {
  private static final Clock TEN_DAYS_LATER = Clock.offset(Clock.systemUTC(), Duration.ofDays(10).plusHours(12));
  private static Instant triggerTime;
  private static String externalIp;
  private static String nginxIp;
  private static int nodePort;

  private final Cli cli;

  GoldenOutputTest(TestApiServer api) {
    cli = new Cli().server(api.address()).clock(TEN_DAYS_LATER);
  }

  @BeforeAll
  static void createTheExamplesAndPublishTheirEndpoints(TestApiServer api) throws Exception {
    Cli.Result r = new Cli().server(api.address()).run("create", "-f", "../examples/");
    assertEquals(0, r.code(), r.toString());
    assertEquals("""
        service/my-external-domain created
        pod/nginx-deploy-7d9f-a created
        pod/nginx-deploy-7d9f-b created
        pod/nginx-deploy-7d9f-c created
        service/nginx-svc-external created
        endpoints/nginx-svc-external created
        service/svc-nginx created
        """, r.out());
    assertEquals("", r.err());

    // No endpoint controller runs here: publish what it would, computed by the same planner.
    triggerTime = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    List<Pod> pods = api.api().list(ListRequest.newBuilder().setKind(Kind.POD).setNamespace("default").build())
        .getItemsList().stream().map(Resource::getPod).toList();
    Resource userEndpoints = Manifests.read(Files.readString(Path.of("../examples/nginx-svc-external.yaml"))).get(1).resource();
    Endpoints stored = api.api().apply(ApplyRequest.newBuilder().setObject(userEndpoints).build()).getObject().getEndpoints();
    for (String name : List.of("svc-nginx", "nginx-svc-external")) {
      Service svc = service(api, name);
      Optional<Endpoints> user = name.equals("nginx-svc-external") ? Optional.of(stored) : Optional.empty();
      Endpoints published = EndpointsPlanner.desired(Optional.of(svc), pods, user, Optional.empty(), triggerTime).orElseThrow();
      api.publishEndpoints(Kinds.wrap(published), triggerTime);
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (api.api().list(ListRequest.newBuilder().setKind(Kind.ENDPOINTS).setNamespace("default").build()).getItemsCount() < 2) {
      if (System.nanoTime() > deadline) throw new AssertionError("the apiserver did not fold the published Endpoints");
      Thread.sleep(20);
    }
    externalIp = service(api, "nginx-svc-external").getSpec().getClusterIp();
    nginxIp = service(api, "svc-nginx").getSpec().getClusterIp();
    nodePort = service(api, "svc-nginx").getSpec().getPorts(0).getNodePort();
    // The goldens assume the usual 10.96.0.x: a ClusterIP no wider than the CLUSTER-IP header.
    assertTrue(externalIp.length() <= 10 && nginxIp.length() <= 10, externalIp + " " + nginxIp);
  }

  private static Service service(TestApiServer api, String name) {
    return api.api().get(GetRequest.newBuilder().setKind(Kind.SERVICE).setNamespace("default").setName(name).build())
        .getService();
  }

  private String ok(String... args) {
    Cli.Result r = cli.run(args);
    assertEquals(0, r.code(), r.toString());
    assertEquals("", r.err(), r.toString());
    return r.out();
  }

  @Test
  void getServices() {
    assertEquals(String.format("""
        NAME                 TYPE           CLUSTER-IP   EXTERNAL-IP     PORT(S)        AGE
        my-external-domain   ExternalName   <none>       www.baidu.com   <none>         10d
        nginx-svc-external   ClusterIP      %-10s   <none>          80/TCP         10d
        svc-nginx            NodePort       %-10s   <none>          80:%d/TCP   10d
        """, externalIp, nginxIp, nodePort), ok("get", "services"));
  }

  @Test
  void getServicesWideAddsTheSelector() {
    assertEquals(String.format("""
        NAME                 TYPE           CLUSTER-IP   EXTERNAL-IP     PORT(S)        AGE   SELECTOR
        my-external-domain   ExternalName   <none>       www.baidu.com   <none>         10d   <none>
        nginx-svc-external   ClusterIP      %-10s   <none>          80/TCP         10d   <none>
        svc-nginx            NodePort       %-10s   <none>          80:%d/TCP   10d   app=nginx-deploy
        """, externalIp, nginxIp, nodePort), ok("get", "svc", "-o", "wide"));
  }

  @Test
  void getEndpointsListsReadyAddresses() {
    assertEquals("""
        NAME                 ENDPOINTS                            AGE
        nginx-svc-external   192.168.80.1:8081                    10d
        svc-nginx            10.244.167.211:80,10.244.203.37:80   10d
        """, ok("get", "ep"));
  }

  @Test
  void getPodsShowsReadinessFromTheReadyCondition() {
    assertEquals("""
        NAME                  READY   STATUS    RESTARTS   AGE
        nginx-deploy-7d9f-a   1/1     Running   0          10d
        nginx-deploy-7d9f-b   1/1     Running   0          10d
        nginx-deploy-7d9f-c   0/1     Running   0          10d
        """, ok("get", "pods"));
    assertEquals("""
        NAME                  READY   STATUS    RESTARTS   AGE   IP               NODE     NOMINATED NODE   READINESS GATES
        nginx-deploy-7d9f-a   1/1     Running   0          10d   10.244.167.211   node-1   <none>           <none>
        nginx-deploy-7d9f-b   1/1     Running   0          10d   10.244.203.37    node-2   <none>           <none>
        nginx-deploy-7d9f-c   0/1     Running   0          10d   10.244.203.38    node-2   <none>           <none>
        """, ok("get", "po", "-o", "wide"));
  }

  @Test
  void severalKindsPrintOneTableEachWithKindPrefixes() {
    assertEquals(String.format("""
        NAME                         TYPE           CLUSTER-IP   EXTERNAL-IP     PORT(S)        AGE
        service/my-external-domain   ExternalName   <none>       www.baidu.com   <none>         10d
        service/nginx-svc-external   ClusterIP      %-10s   <none>          80/TCP         10d
        service/svc-nginx            NodePort       %-10s   <none>          80:%d/TCP   10d

        NAME                           ENDPOINTS                            AGE
        endpoints/nginx-svc-external   192.168.80.1:8081                    10d
        endpoints/svc-nginx            10.244.167.211:80,10.244.203.37:80   10d
        """, externalIp, nginxIp, nodePort), ok("get", "svc,ep"));
    assertEquals("""
        NAME                      READY   STATUS    RESTARTS   AGE
        pod/nginx-deploy-7d9f-c   0/1     Running   0          10d

        NAME                           ENDPOINTS           AGE
        endpoints/nginx-svc-external   192.168.80.1:8081   10d
        """, ok("get", "po/nginx-deploy-7d9f-c", "ep/nginx-svc-external"));
  }

  @Test
  void oneObjectByNameAndAsNames() {
    assertEquals(String.format("""
        NAME        TYPE       CLUSTER-IP   EXTERNAL-IP   PORT(S)        AGE
        svc-nginx   NodePort   %-10s   <none>        80:%d/TCP   10d
        """, nginxIp, nodePort), ok("get", "service", "svc-nginx"));
    assertEquals("service/my-external-domain\nservice/nginx-svc-external\nservice/svc-nginx\n", ok("get", "svc", "-o", "name"));
    assertEquals("pod/nginx-deploy-7d9f-a\npod/nginx-deploy-7d9f-b\npod/nginx-deploy-7d9f-c\n",
        ok("get", "po", "-l", "app=nginx-deploy", "-o", "name"));
    assertEquals("", ok("get", "po", "-l", "app=other", "-o", "name"));
  }

  @Test
  void allNamespacesAddsTheNamespaceColumn() {
    String out = ok("get", "pods", "-A");
    List<String> lines = out.lines().toList();
    assertTrue(lines.get(0).matches("NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE"), out);
    assertTrue(lines.stream().anyMatch(l -> l.matches("default +nginx-deploy-7d9f-c +0/1 +Running +0 +10d")), out);
    assertTrue(ok("get", "ns").lines().anyMatch(l -> l.matches("default +Active +10d")));
  }

  @Test
  void emptyListSaysNoResourcesFoundOnStderr() {
    Cli.Result r = cli.run("get", "svc", "-n", "nothing-here");
    assertEquals(0, r.code(), r.toString());
    assertEquals("", r.out());
    assertEquals("No resources found in nothing-here namespace.\n", r.err());
  }

  @Test
  void describeNodePortService() {
    assertEquals(String.format("""
        Name:                     svc-nginx
        Namespace:                default
        Labels:                   app=nginx
        Annotations:              <none>
        Selector:                 app=nginx-deploy
        Type:                     NodePort
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       %s
        IPs:                      %s
        Port:                     web  80/TCP
        TargetPort:               80/TCP
        NodePort:                 web  %d/TCP
        Endpoints:                10.244.167.211:80,10.244.203.37:80
        Session Affinity:         None
        External Traffic Policy:  Cluster
        Internal Traffic Policy:  Cluster
        Events:                   <none>
        """, nginxIp, nginxIp, nodePort), ok("describe", "svc", "svc-nginx"));
  }

  @Test
  void describeServiceWithoutSelector() {
    assertEquals(String.format("""
        Name:                     nginx-svc-external
        Namespace:                default
        Labels:                   app=nginx
        Annotations:              <none>
        Selector:                 <none>
        Type:                     ClusterIP
        IP Family Policy:         SingleStack
        IP Families:              IPv4
        IP:                       %s
        IPs:                      %s
        Port:                     web  80/TCP
        TargetPort:               8001/TCP
        Endpoints:                192.168.80.1:8081
        Session Affinity:         None
        Internal Traffic Policy:  Cluster
        Events:                   <none>
        """, externalIp, externalIp), ok("describe", "service/nginx-svc-external"));
  }

  @Test
  void describeExternalNameServiceShowsItsExternalName() {
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
        + "Events:            <none>\n", ok("describe", "svc", "my-external-domain"));
  }

  @Test
  void describeEndpointsShowsSubsets() {
    assertEquals("""
        Name:         svc-nginx
        Namespace:    default
        Labels:       app=nginx
        Annotations:  endpoints.kubernetes.io/last-change-trigger-time: %s
        Subsets:
          Addresses:          10.244.167.211,10.244.203.37
          NotReadyAddresses:  10.244.203.38
          Ports:
            Name  Port  Protocol
            ----  ----  --------
            web   80    TCP

        Events:  <none>
        """.formatted(EndpointsPlanner.rfc3339Nano(triggerTime)), ok("describe", "ep", "svc-nginx"));
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
        """, ok("describe", "endpoints", "nginx-svc-external"));
  }

  @Test
  void describeNotReadyPod() {
    assertEquals("""
        Name:         nginx-deploy-7d9f-c
        Namespace:    default
        Node:         node-2/
        Labels:       app=nginx-deploy
        Annotations:  <none>
        Status:       Running
        IP:           10.244.203.38
        IPs:
          IP:  10.244.203.38
        Containers:
          nginx:
            Image:        nginx
            Port:         80/TCP (web)
            Host Port:    0/TCP (web)
            Environment:  <none>
            Mounts:       <none>
        Conditions:
          Type           Status
          Ready          False\s
        Volumes:         <none>
        QoS Class:       BestEffort
        Node-Selectors:  <none>
        Tolerations:     <none>
        Events:          <none>
        """, ok("describe", "pod", "nginx-deploy-7d9f-c"));
  }

  @Test
  void describeByNamePrefixAndSeveralObjectsSeparatedByBlankLines() {
    String one = ok("describe", "svc", "nginx");
    assertTrue(one.startsWith("Name:                     nginx-svc-external\n"), one);
    String all = ok("describe", "po");
    assertEquals(3, all.split("\n\n\n", -1).length, all);
  }

  @Test
  void yamlOfOneObjectIsTheObjectAndOfAListingAList() {
    String yaml = ok("get", "svc", "svc-nginx", "-o", "yaml");
    String normalized = yaml.replaceAll("creationTimestamp: \"[0-9T:Z-]+\"", "creationTimestamp: \"T\"")
        .replaceAll("resourceVersion: .*", "resourceVersion: V").replaceAll("uid: .*", "uid: U")
        .replace(nginxIp, "IP").replace(Integer.toString(nodePort), "NP");
    assertEquals("""
        apiVersion: v1
        kind: Service
        metadata:
          creationTimestamp: "T"
          labels:
            app: nginx
          name: svc-nginx
          namespace: default
          resourceVersion: V
          uid: U
        spec:
          clusterIP: IP
          clusterIPs:
          - IP
          externalTrafficPolicy: Cluster
          internalTrafficPolicy: Cluster
          ipFamilies:
          - IPv4
          ipFamilyPolicy: SingleStack
          ports:
          - name: web
            nodePort: NP
            port: 80
            protocol: TCP
            targetPort: 80
          selector:
            app: nginx-deploy
          sessionAffinity: None
          type: NodePort
        status: {}
        """, normalized);
    String list = ok("get", "po", "-o", "yaml");
    assertTrue(list.startsWith("apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Pod\n"), list);
    assertTrue(list.endsWith("kind: List\nmetadata:\n  resourceVersion: \"\"\n"), list);
    String json = ok("get", "svc", "my-external-domain", "-o", "json");
    assertTrue(json.startsWith("{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"Service\",\n"), json);
  }

  @Test
  void outputOfGetYamlAndJsonAppliesAsUnchanged() {
    for (String format : List.of("yaml", "json")) {
      Cli.Result r = cli.runWithStdin(ok("get", "svc,po", "-o", format), "apply", "-f", "-");
      assertEquals(0, r.code(), r.toString());
      assertEquals("""
          service/my-external-domain unchanged
          service/nginx-svc-external unchanged
          service/svc-nginx unchanged
          pod/nginx-deploy-7d9f-a unchanged
          pod/nginx-deploy-7d9f-b unchanged
          pod/nginx-deploy-7d9f-c unchanged
          """, r.out(), format);
    }
    Cli.Result one = cli.runWithStdin(ok("get", "svc", "svc-nginx", "-o", "yaml"), "apply", "-f", "-");
    assertEquals("service/svc-nginx unchanged\n", one.out(), one.toString());
    Cli.Result ep = cli.runWithStdin(ok("get", "ep", "nginx-svc-external", "-o", "yaml"), "apply", "-f", "-");
    assertEquals("endpoints/nginx-svc-external unchanged\n", ep.out(), ep.toString());
  }

  @Test
  void applyingTheExamplesAgainChangesNothing() {
    Cli.Result r = cli.run("apply", "-f", "../examples/");
    assertEquals(0, r.code(), r.toString());
    assertEquals("""
        service/my-external-domain unchanged
        pod/nginx-deploy-7d9f-a unchanged
        pod/nginx-deploy-7d9f-b unchanged
        pod/nginx-deploy-7d9f-c unchanged
        service/nginx-svc-external unchanged
        endpoints/nginx-svc-external unchanged
        service/svc-nginx unchanged
        """, r.out());
  }

  @Test
  void nodesShowReadinessAndTheirProxyState(TestApiServer api) {
    Cli.Result created = cli.runWithStdin("""
        apiVersion: v1
        kind: Node
        metadata:
          name: golden-node
        status:
          addresses:
          - type: InternalIP
            address: 127.0.1.9
          conditions:
          - type: Ready
            status: "True"
        """, "apply", "-f", "-");
    assertEquals(0, created.code(), created.toString());
    assertEquals("""
        NAME          STATUS   PROGRAMMED   LAG      AGE
        golden-node   Ready    <none>       <none>   10d
        """, ok("get", "nodes", "golden-node"));
    assertEquals("""
        NAME          STATUS   PROGRAMMED   LAG      AGE   INTERNAL-IP   EXTERNAL-IP   MODE
        golden-node   Ready    <none>       <none>   10d   127.0.1.9     <none>        <none>
        """, ok("get", "no/golden-node", "-o", "wide"));
    var ts = api.api().get(GetRequest.newBuilder().setKind(Kind.NODE).setName("golden-node").build())
        .getNode().getMetadata().getCreationTimestamp();
    String createdAt = java.time.format.DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss Z", java.util.Locale.US)
        .format(Instant.ofEpochSecond(ts.getSeconds()).atZone(java.time.ZoneOffset.UTC));
    String zero = "Mon, 01 Jan 0001 00:00:00 +0000";
    assertEquals("Name:               golden-node\n"
        + "Roles:              <none>\n"
        + "Labels:             <none>\n"
        + "Annotations:        <none>\n"
        + "CreationTimestamp:  " + createdAt + "\n"
        + "Taints:             <none>\n"
        + "Unschedulable:      false\n"
        + "Conditions:\n"
        + "  Type    Status  LastHeartbeatTime                 LastTransitionTime                Reason  Message\n"
        + "  ----    ------  -----------------                 ------------------                ------  -------\n"
        + "  Ready   True    " + zero + "   " + zero + "           \n"
        + "Addresses:\n"
        + "  InternalIP:  127.0.1.9\n"
        + "Proxy:\n"
        + "  Connected:          false\n"
        + "Non-terminated Pods:  (0 in total)\n"
        + "Events:               <none>\n", ok("describe", "node", "golden-node"));
  }
}
