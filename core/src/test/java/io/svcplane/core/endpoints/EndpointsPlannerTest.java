package io.svcplane.core.endpoints;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.svcplane.api.v1.Container;
import io.svcplane.api.v1.ContainerPort;
import io.svcplane.api.v1.EndpointAddress;
import io.svcplane.api.v1.EndpointPort;
import io.svcplane.api.v1.EndpointSubset;
import io.svcplane.api.v1.Endpoints;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.PodCondition;
import io.svcplane.api.v1.PodIP;
import io.svcplane.api.v1.PodSpec;
import io.svcplane.api.v1.PodStatus;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EndpointsPlannerTest {
  static final Instant T1 = Instant.parse("2026-11-26T10:00:00.123456789Z");
  static final Instant T2 = Instant.parse("2026-11-26T10:05:00Z");

  // --- fixtures -------------------------------------------------------------------------------

  static Struct selector(String... kv) {
    Struct.Builder s = Struct.newBuilder();
    for (int i = 0; i < kv.length; i += 2) s.putFields(kv[i], Value.newBuilder().setStringValue(kv[i + 1]).build());
    return s.build();
  }

  static Service.Builder service(String name, Struct selector, ServicePort... ports) {
    ServiceSpec.Builder spec = ServiceSpec.newBuilder().setClusterIp("10.96.0.10").addAllPorts(List.of(ports));
    if (selector != null) spec.setSelector(selector);
    return Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName(name).setUid("svc-uid-" + name))
        .setSpec(spec);
  }

  static ServicePort port(String name, int port, String targetPort) {
    return ServicePort.newBuilder().setName(name).setPort(port).setTargetPort(targetPort).setProtocol("TCP").build();
  }

  static Pod.Builder pod(String name, String ip, boolean ready, String... labels) {
    ObjectMeta.Builder m = ObjectMeta.newBuilder().setNamespace("ns").setName(name).setUid("uid-" + name);
    for (int i = 0; i < labels.length; i += 2) m.putLabels(labels[i], labels[i + 1]);
    return Pod.newBuilder()
        .setMetadata(m)
        .setSpec(PodSpec.newBuilder().setNodeName("node-1"))
        .setStatus(PodStatus.newBuilder().setPhase("Running").setPodIp(ip)
            .addConditions(PodCondition.newBuilder().setType("Ready").setStatus(ready ? "True" : "False")));
  }

  static Pod.Builder withPorts(Pod.Builder p, ContainerPort... ports) {
    return p.setSpec(p.getSpec().toBuilder().addContainers(Container.newBuilder().setName("c").addAllPorts(List.of(ports))));
  }

  static ContainerPort cport(String name, int port) {
    return ContainerPort.newBuilder().setName(name).setContainerPort(port).build();
  }

  static Endpoints plan(Service.Builder svc, Pod.Builder... pods) {
    List<Pod> list = new ArrayList<>();
    for (Pod.Builder p : pods) list.add(p.build());
    return EndpointsPlanner.plan(svc.build(), list, Optional.empty(), T1).orElseThrow();
  }

  static List<String> readyIps(Endpoints e) {
    return e.getSubsetsList().stream().flatMap(s -> s.getAddressesList().stream()).map(EndpointAddress::getIp).toList();
  }

  static List<String> notReadyIps(Endpoints e) {
    return e.getSubsetsList().stream().flatMap(s -> s.getNotReadyAddressesList().stream()).map(EndpointAddress::getIp).toList();
  }

  static final Service.Builder WEB = service("web", selector("app", "web"), port("http", 80, "8080"));

  // --- selection ------------------------------------------------------------------------------

  @Test
  void podsMatchingTheSelectorBecomeAddressesAndOthersDoNot() {
    Endpoints e = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"), pod("b", "10.244.0.2", true, "app", "db"));
    assertEquals(List.of("10.244.0.1"), readyIps(e));
  }

  @Test
  void emptySelectorSelectsEveryPodOfTheNamespace() {
    Endpoints e = plan(service("all", Struct.getDefaultInstance(), port("", 80, "80")),
        pod("a", "10.244.0.1", true, "app", "web"), pod("b", "10.244.0.2", true));
    assertEquals(List.of("10.244.0.1", "10.244.0.2"), readyIps(e));
  }

  @Test
  void podsOfOtherNamespacesNeverAppear() {
    Pod.Builder other = pod("x", "10.244.9.9", true, "app", "web");
    other.getMetadataBuilder().setNamespace("other");
    Endpoints e = plan(service("all", Struct.getDefaultInstance(), port("", 80, "80")), other, pod("a", "10.244.0.1", true));
    assertEquals(List.of("10.244.0.1"), readyIps(e));
  }

  @Test
  void serviceWithoutSelectorLeavesThePreviousEndpointsUntouched() {
    Endpoints user = Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("ext")).build();
    Service ext = service("ext", null, port("", 80, "80")).build();
    assertSame(user, EndpointsPlanner.plan(ext, List.of(pod("a", "10.244.0.1", true).build()), Optional.of(user), T1).orElseThrow());
    assertTrue(EndpointsPlanner.plan(ext, List.of(), Optional.empty(), T1).isEmpty());
  }

  @Test
  void externalNameServiceGetsNoEndpoints() {
    Service.Builder svc = service("ext", selector("app", "web"), port("", 80, "80"));
    svc.getSpecBuilder().setType("ExternalName").setExternalName("example.org").clearClusterIp();
    assertTrue(EndpointsPlanner.plan(svc.build(), List.of(pod("a", "10.244.0.1", true, "app", "web").build()),
        Optional.empty(), T1).isEmpty());
  }

  // --- readiness and exclusion ----------------------------------------------------------------

  @Test
  void notReadyPodGoesToNotReadyAddresses() {
    Endpoints e = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"), pod("b", "10.244.0.2", false, "app", "web"));
    assertEquals(List.of("10.244.0.1"), readyIps(e));
    assertEquals(List.of("10.244.0.2"), notReadyIps(e));
    assertEquals(1, e.getSubsetsCount(), "same ports: one subset with both kinds of address");
  }

  @Test
  void podWithoutReadyConditionIsNotReady() {
    Pod.Builder p = pod("a", "10.244.0.1", true, "app", "web");
    p.getStatusBuilder().clearConditions();
    assertEquals(List.of("10.244.0.1"), notReadyIps(plan(WEB, p)));
  }

  @Test
  void publishNotReadyAddressesPutsAllPodsInAddresses() {
    Service.Builder svc = WEB.clone();
    svc.getSpecBuilder().setPublishNotReadyAddresses(true);
    Endpoints e = plan(svc, pod("a", "10.244.0.1", true, "app", "web"), pod("b", "10.244.0.2", false, "app", "web"));
    assertEquals(List.of("10.244.0.1", "10.244.0.2"), readyIps(e));
    assertEquals(List.of(), notReadyIps(e));
  }

  @Test
  void failedAndSucceededPodsAreLeftOut() {
    Pod.Builder failed = pod("f", "10.244.0.3", false, "app", "web");
    failed.getStatusBuilder().setPhase("Failed");
    Pod.Builder done = pod("s", "10.244.0.4", true, "app", "web");
    done.getStatusBuilder().setPhase("Succeeded");
    Endpoints e = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"), failed, done);
    assertEquals(List.of("10.244.0.1"), readyIps(e));
    assertEquals(List.of(), notReadyIps(e));
  }

  @Test
  void podWithoutAnIpIsLeftOut() {
    Endpoints e = plan(WEB, pod("a", "", true, "app", "web"), pod("b", "10.244.0.2", false, "app", "web"));
    assertEquals(List.of(), readyIps(e));
    assertEquals(List.of("10.244.0.2"), notReadyIps(e));
  }

  @Test
  void podIpsServesWhenPodIpIsEmpty() {
    Pod.Builder p = pod("a", "", true, "app", "web");
    p.getStatusBuilder().addPodIps(PodIP.newBuilder().setIp("10.244.0.7"));
    assertEquals(List.of("10.244.0.7"), readyIps(plan(WEB, p)));
  }

  @Test
  void deletingPodIsLeftOut() {
    Pod.Builder p = pod("a", "10.244.0.1", true, "app", "web");
    p.getMetadataBuilder().setDeletionTimestamp(Timestamp.newBuilder().setSeconds(1));
    Endpoints e = plan(WEB, p);
    assertEquals(0, e.getSubsetsCount());
  }

  @Test
  void deletingPodStaysWithPublishNotReadyAddressesAsInKubernetes() {
    Service.Builder svc = WEB.clone();
    svc.getSpecBuilder().setPublishNotReadyAddresses(true);
    Pod.Builder p = pod("a", "10.244.0.1", true, "app", "web");
    p.getMetadataBuilder().setDeletionTimestamp(Timestamp.newBuilder().setSeconds(1));
    assertEquals(List.of("10.244.0.1"), readyIps(plan(svc, p)));
  }

  // --- ports ----------------------------------------------------------------------------------

  @Test
  void numericTargetPortBecomesTheEndpointPort() {
    Endpoints e = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"));
    assertEquals(List.of(EndpointPort.newBuilder().setName("http").setPort(8080).setProtocol("TCP").build()),
        e.getSubsets(0).getPortsList());
  }

  @Test
  void emptyTargetPortMeansTheServicePort() {
    Endpoints e = plan(service("web", selector("app", "web"), port("", 80, "")), pod("a", "10.244.0.1", true, "app", "web"));
    assertEquals(80, e.getSubsets(0).getPorts(0).getPort());
  }

  @Test
  void namedTargetPortIsResolvedPerPodAndPodsGroupByResolvedPort() {
    Service.Builder svc = service("web", selector("app", "web"), port("http", 80, "web"));
    Endpoints e = plan(svc,
        withPorts(pod("a", "10.244.0.1", true, "app", "web"), cport("web", 8080)),
        withPorts(pod("b", "10.244.0.2", true, "app", "web"), cport("web", 9090)),
        withPorts(pod("c", "10.244.0.3", true, "app", "web"), cport("web", 8080)));
    assertEquals(2, e.getSubsetsCount());
    assertEquals(8080, e.getSubsets(0).getPorts(0).getPort());
    assertEquals(List.of("10.244.0.1", "10.244.0.3"),
        e.getSubsets(0).getAddressesList().stream().map(EndpointAddress::getIp).toList());
    assertEquals(9090, e.getSubsets(1).getPorts(0).getPort());
    assertEquals("10.244.0.2", e.getSubsets(1).getAddresses(0).getIp());
  }

  @Test
  void podLackingANamedPortIsLeftOutOfThatPortOnly() {
    Service.Builder svc = service("web", selector("app", "web"), port("http", 80, "web"), port("metrics", 9100, "metrics"));
    Endpoints e = plan(svc,
        withPorts(pod("a", "10.244.0.1", true, "app", "web"), cport("web", 8080), cport("metrics", 9100)),
        withPorts(pod("b", "10.244.0.2", true, "app", "web"), cport("web", 8080)));
    // As Kubernetes' RepackSubsets: port http has {a, b}, port metrics has {a}.
    assertEquals(2, e.getSubsetsCount());
    EndpointSubset http = e.getSubsets(0);
    assertEquals("http", http.getPorts(0).getName());
    assertEquals(List.of("10.244.0.1", "10.244.0.2"), http.getAddressesList().stream().map(EndpointAddress::getIp).toList());
    EndpointSubset metrics = e.getSubsets(1);
    assertEquals("metrics", metrics.getPorts(0).getName());
    assertEquals(List.of("10.244.0.1"), metrics.getAddressesList().stream().map(EndpointAddress::getIp).toList());
  }

  @Test
  void portsOfferedByTheSameAddressesShareOneSubset() {
    Service.Builder svc = service("web", selector("app", "web"), port("http", 80, "8080"), port("https", 443, "8443"));
    Endpoints e = plan(svc, pod("a", "10.244.0.1", true, "app", "web"), pod("b", "10.244.0.2", false, "app", "web"));
    assertEquals(1, e.getSubsetsCount());
    assertEquals(List.of("http", "https"), e.getSubsets(0).getPortsList().stream().map(EndpointPort::getName).toList());
  }

  @Test
  void namedTargetPortMustMatchTheProtocol() {
    ServicePort udp = ServicePort.newBuilder().setName("dns").setPort(53).setTargetPort("dns").setProtocol("UDP").build();
    Endpoints e = plan(service("dns", selector("app", "dns"), udp),
        withPorts(pod("tcp-only", "10.244.0.1", true, "app", "dns"), cport("dns", 5353)));
    assertEquals(0, e.getSubsetsCount());
  }

  @Test
  void protocolAndAppProtocolAreCarriedOver() {
    ServicePort p = ServicePort.newBuilder().setName("h2").setPort(80).setTargetPort("8080").setProtocol("SCTP").setAppProtocol("http2").build();
    EndpointPort ep = plan(service("web", selector("app", "web"), p), pod("a", "10.244.0.1", true, "app", "web")).getSubsets(0).getPorts(0);
    assertEquals("SCTP", ep.getProtocol());
    assertEquals("http2", ep.getAppProtocol());
  }

  @Test
  void missingProtocolDefaultsToTcp() {
    ServicePort p = ServicePort.newBuilder().setPort(80).setTargetPort("8080").build();
    assertEquals("TCP", plan(service("web", selector("app", "web"), p), pod("a", "10.244.0.1", true, "app", "web"))
        .getSubsets(0).getPorts(0).getProtocol());
  }

  @Test
  void headlessServiceWithoutPortsListsAddressesWithoutPorts() {
    Service.Builder svc = service("db", selector("app", "db"));
    svc.getSpecBuilder().setClusterIp("None");
    Endpoints e = plan(svc, pod("a", "10.244.0.1", true, "app", "db"), pod("b", "10.244.0.2", false, "app", "db"));
    assertEquals(1, e.getSubsetsCount());
    assertEquals(0, e.getSubsets(0).getPortsCount());
    assertEquals(List.of("10.244.0.1"), readyIps(e));
    assertEquals(List.of("10.244.0.2"), notReadyIps(e));
  }

  @Test
  void serviceWithAClusterIpAndNoPortsGetsNoSubsets() {
    Endpoints e = plan(service("x", selector("app", "x")), pod("a", "10.244.0.1", true, "app", "x"));
    assertEquals(0, e.getSubsetsCount());
  }

  // --- addresses ------------------------------------------------------------------------------

  @Test
  void addressCarriesNodeNameAndATargetRefToThePod() {
    EndpointAddress a = plan(WEB, pod("a", "10.244.0.1", true, "app", "web")).getSubsets(0).getAddresses(0);
    assertEquals("node-1", a.getNodeName());
    assertEquals("Pod", a.getTargetRef().getKind());
    assertEquals("ns", a.getTargetRef().getNamespace());
    assertEquals("a", a.getTargetRef().getName());
    assertEquals("uid-a", a.getTargetRef().getUid());
    assertEquals("", a.getHostname());
  }

  @Test
  void hostnameIsSetWhenThePodsSubdomainIsTheServiceName() {
    Pod.Builder inSub = pod("a", "10.244.0.1", true, "app", "web");
    inSub.getSpecBuilder().setHostname("a-host").setSubdomain("web");
    Pod.Builder otherSub = pod("b", "10.244.0.2", true, "app", "web");
    otherSub.getSpecBuilder().setHostname("b-host").setSubdomain("other");
    Endpoints e = plan(WEB, inSub, otherSub);
    List<EndpointAddress> as = e.getSubsets(0).getAddressesList();
    assertEquals("a-host", as.get(0).getHostname());
    assertEquals("", as.get(1).getHostname());
  }

  // --- metadata -------------------------------------------------------------------------------

  @Test
  void endpointsCarryTheServicesNameNamespaceAndLabels() {
    Service.Builder svc = WEB.clone();
    svc.getMetadataBuilder().putLabels("team", "a");
    Endpoints e = plan(svc, pod("a", "10.244.0.1", true, "app", "web"));
    assertEquals("web", e.getMetadata().getName());
    assertEquals("ns", e.getMetadata().getNamespace());
    assertEquals(Map.of("team", "a"), e.getMetadata().getLabelsMap());
    assertEquals("Endpoints", e.getKind());
    assertEquals("v1", e.getApiVersion());
  }

  @Test
  void headlessServiceGetsTheHeadlessLabel() {
    Service.Builder svc = WEB.clone();
    svc.getSpecBuilder().setClusterIp("None");
    assertEquals(Map.of(EndpointsPlanner.HEADLESS_LABEL, ""), plan(svc).getMetadata().getLabelsMap());
  }

  @Test
  void changedEndpointsCarryTheTriggerTimeInRfc3339Nano() {
    Endpoints e = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"));
    assertEquals("2026-11-26T10:00:00.123456789Z", e.getMetadata().getAnnotationsOrThrow(EndpointsPlanner.LAST_CHANGE_TRIGGER_TIME));
    assertEquals("2026-11-26T10:05:00Z", EndpointsPlanner.rfc3339Nano(T2));
    assertEquals("2026-11-26T10:05:00.5Z", EndpointsPlanner.rfc3339Nano(T2.plusMillis(500)));
    assertEquals("2026-11-26T10:05:00.000000001Z", EndpointsPlanner.rfc3339Nano(T2.plusNanos(1)));
    assertEquals("1969-12-31T23:59:59.99Z", EndpointsPlanner.rfc3339Nano(Instant.ofEpochMilli(-10)));
  }

  @Test
  void rfc3339NanoMatchesGoFormattingForAnyInstant() {
    var seconds = java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss").withZone(java.time.ZoneOffset.UTC);
    var random = new java.util.Random(7);
    for (int i = 0; i < 10_000; i++) {
      Instant t = Instant.ofEpochSecond(random.nextLong() % 250_000_000_000L, random.nextInt(4) == 0 ? 0 : random.nextInt(1_000_000_000));
      String fraction = t.getNano() == 0 ? "" : "." + String.format("%09d", t.getNano()).replaceFirst("0+$", "");
      assertEquals(seconds.format(t) + fraction + "Z", EndpointsPlanner.rfc3339Nano(t), t.toString());
    }
  }

  @Test
  void unchangedResultReturnsThePreviousEndpointsAsTheyAre() {
    Endpoints first = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"), pod("b", "10.244.0.2", true, "app", "web"));
    List<Pod> reordered = List.of(pod("b", "10.244.0.2", true, "app", "web").build(), pod("a", "10.244.0.1", true, "app", "web").build());
    Optional<Endpoints> again = EndpointsPlanner.plan(WEB.build(), reordered, Optional.of(first), T2);
    assertSame(first, again.orElseThrow(), "same subsets and labels: nothing to publish, not even a new trigger time");
  }

  @Test
  void changeKeepsUidAndCreationTimeAndUpdatesTheTriggerTime() {
    Endpoints first = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"));
    Endpoints second = EndpointsPlanner.plan(WEB.build(), List.of(pod("a", "10.244.0.1", false, "app", "web").build()),
        Optional.of(first), T2).orElseThrow();
    assertNotEquals(first, second);
    assertEquals(first.getMetadata().getUid(), second.getMetadata().getUid());
    assertFalse(first.getMetadata().getUid().isEmpty());
    assertEquals(first.getMetadata().getCreationTimestamp(), second.getMetadata().getCreationTimestamp());
    assertEquals("2026-11-26T10:05:00Z", second.getMetadata().getAnnotationsOrThrow(EndpointsPlanner.LAST_CHANGE_TRIGGER_TIME));
  }

  @Test
  void labelChangeOfTheServiceAloneIsAChange() {
    Endpoints first = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"));
    Service.Builder relabeled = WEB.clone();
    relabeled.getMetadataBuilder().putLabels("tier", "front");
    Endpoints second = EndpointsPlanner.plan(relabeled.build(), List.of(pod("a", "10.244.0.1", true, "app", "web").build()),
        Optional.of(first), T2).orElseThrow();
    assertEquals(Map.of("tier", "front"), second.getMetadata().getLabelsMap());
  }

  @Test
  void resultIsCanonicalWhateverThePodOrder() {
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      pods.add(withPorts(pod("p" + i, "10.244.0." + (i + 1), i % 3 != 0, "app", "web"), cport("web", 8000 + i % 2)).build());
    }
    Service svc = service("web", selector("app", "web"), port("http", 80, "web"), port("x", 81, "81")).build();
    Endpoints a = EndpointsPlanner.plan(svc, pods, Optional.empty(), T1).orElseThrow();
    for (int seed = 0; seed < 5; seed++) {
      List<Pod> shuffled = new ArrayList<>(pods);
      Collections.shuffle(shuffled, new java.util.Random(seed));
      assertEquals(a, EndpointsPlanner.plan(svc, shuffled, Optional.empty(), T1).orElseThrow());
    }
  }

  // --- desired: the whole decision per service name --------------------------------------------

  @Test
  void deletedServiceWantsNoEndpoints() {
    Endpoints prev = plan(WEB, pod("a", "10.244.0.1", true, "app", "web"));
    assertTrue(EndpointsPlanner.desired(Optional.empty(), List.of(), Optional.empty(), Optional.of(prev), T2).isEmpty());
  }

  @Test
  void selectorlessServiceWantsTheUsersEndpointsAsWritten() {
    Endpoints user = Endpoints.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("ext").setResourceVersion("17").putLabels("x", "y"))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("192.0.2.1")))
        .build();
    Service ext = service("ext", null, port("", 80, "80")).build();
    Endpoints out = EndpointsPlanner.desired(Optional.of(ext), List.of(), Optional.of(user), Optional.empty(), T1).orElseThrow();
    assertEquals(user.toBuilder().setMetadata(user.getMetadata().toBuilder().clearResourceVersion()).build(), out);
    assertTrue(EndpointsPlanner.desired(Optional.of(ext), List.of(), Optional.empty(), Optional.of(out), T1).isEmpty(),
        "user deleted their Endpoints");
  }

  @Test
  void userEndpointsForAServiceWithASelectorAreIgnored() {
    Endpoints user = Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("web"))
        .addSubsets(EndpointSubset.newBuilder().addAddresses(EndpointAddress.newBuilder().setIp("192.0.2.1"))).build();
    Endpoints out = EndpointsPlanner.desired(Optional.of(WEB.build()), List.of(pod("a", "10.244.0.1", true, "app", "web").build()),
        Optional.of(user), Optional.empty(), T1).orElseThrow();
    assertEquals(List.of("10.244.0.1"), readyIps(out));
  }

  @Test
  void externalNameServiceWantsNoEndpointsEvenWithUserEndpoints() {
    Service.Builder svc = service("ext", null);
    svc.getSpecBuilder().setType("ExternalName").setExternalName("example.org").clearClusterIp();
    Endpoints user = Endpoints.newBuilder().setMetadata(ObjectMeta.newBuilder().setNamespace("ns").setName("ext")).build();
    assertTrue(EndpointsPlanner.desired(Optional.of(svc.build()), List.of(), Optional.of(user), Optional.empty(), T1).isEmpty());
  }

  @Test
  void selectsTellsWhetherAServiceSelectsAPod() {
    assertTrue(EndpointsPlanner.selects(WEB.build(), pod("a", "10.244.0.1", true, "app", "web").build()));
    assertFalse(EndpointsPlanner.selects(WEB.build(), pod("a", "10.244.0.1", true, "app", "db").build()));
    assertFalse(EndpointsPlanner.selects(service("ext", null).build(), pod("a", "10.244.0.1", true).build()));
  }
}
