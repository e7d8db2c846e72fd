package io.svcplane.core.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.core.Kinds;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class ResourceValidatorTest {

  static Resource service(String name, UnaryOperator<ServiceSpec.Builder> spec) {
    ServiceSpec.Builder s = ServiceSpec.newBuilder().addPorts(ServicePort.newBuilder().setPort(80));
    return ResourceDefaults.apply(Kinds.wrap(Service.newBuilder()
        .setMetadata(ObjectMeta.newBuilder().setName(name)).setSpec(spec.apply(s)).build()));
  }

  static String message(Resource r) {
    return InvalidObjectException.message("Service", Kinds.metadata(r).getName(), ResourceValidator.validate(r));
  }

  @Test
  void validServiceHasNoErrors() {
    assertEquals(List.of(), ResourceValidator.validate(service("web", s -> s)));
  }

  @Test
  void portOutOfRangeIsReportedOnceInKubernetesWords() {
    Resource r = service("web", s -> s.setPorts(0, ServicePort.newBuilder().setPort(70000)));
    assertEquals("Service \"web\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        message(r));
  }

  @Test
  void serviceNameMustBeDns1035Label() {
    Resource r = service("Foo", s -> s);
    assertEquals("Service \"Foo\" is invalid: metadata.name: Invalid value: \"Foo\": a DNS-1035 label must consist of lower"
        + " case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric"
        + " character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        message(r));
  }

  @Test
  void severalErrorsAreJoinedInsideBrackets() {
    Resource r = service("web", s -> s.setType("Bogus").setPorts(0, ServicePort.newBuilder().setPort(0).setProtocol("FOO")));
    assertEquals("Service \"web\" is invalid: [spec.type: Unsupported value: \"Bogus\": supported values: \"ClusterIP\","
        + " \"ExternalName\", \"LoadBalancer\", \"NodePort\", spec.ports[0].port: Invalid value: 0: must be between 1 and"
        + " 65535, inclusive, spec.ports[0].protocol: Unsupported value: \"FOO\": supported values: \"SCTP\", \"TCP\","
        + " \"UDP\"]", message(r));
  }

  @Test
  void multiPortServicesNeedUniquePortNames() {
    Resource unnamed = service("web", s -> s.addPorts(ServicePort.newBuilder().setPort(443)));
    assertEquals(List.of("spec.ports[0].name: Required value", "spec.ports[1].name: Required value"),
        strings(ResourceValidator.validate(unnamed)));
    Resource dup = service("web", s -> s.setPorts(0, ServicePort.newBuilder().setName("web").setPort(80))
        .addPorts(ServicePort.newBuilder().setName("web").setPort(443)));
    assertEquals(List.of("spec.ports[1].name: Duplicate value: \"web\""), strings(ResourceValidator.validate(dup)));
  }

  @Test
  void externalNameIsRequiredForExternalNameServices() {
    Resource r = service("ext", s -> s.setType("ExternalName").clearPorts());
    assertEquals(List.of("spec.externalName: Required value"), strings(ResourceValidator.validate(r)));
    Resource ok = service("ext", s -> s.setType("ExternalName").clearPorts().setExternalName("my.database.example.com"));
    assertEquals(List.of(), ResourceValidator.validate(ok));
  }

  @Test
  void nodePortIsForbiddenOnClusterIpServices() {
    Resource r = service("web", s -> s.setPorts(0, ServicePort.newBuilder().setPort(80).setNodePort(30080)));
    assertEquals(List.of("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"),
        strings(ResourceValidator.validate(r)));
  }

  @Test
  void headlessNodePortServiceIsRejected() {
    Resource r = service("web", s -> s.setType("NodePort").setClusterIp("None"));
    assertEquals(List.of("spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for NodePort services"),
        strings(ResourceValidator.validate(r)));
  }

  @Test
  void clusterIpMayNotChangeOnceSet() {
    Resource old = service("web", s -> s.setClusterIp("10.96.0.10"));
    Resource next = service("web", s -> s.setClusterIp("10.96.0.11"));
    assertEquals(List.of("spec.clusterIPs[0]: Invalid value: [\"10.96.0.11\"]: may not change once set"),
        strings(ResourceValidator.validateUpdate(next, old)));
  }

  @Test
  void clientIpTimeoutMustBeInRange() {
    Resource r = service("web", s -> s.setSessionAffinity("ClientIP").setSessionAffinityConfig(
        io.svcplane.api.v1.SessionAffinityConfig.newBuilder().setClientIp(
            io.svcplane.api.v1.ClientIPConfig.newBuilder().setTimeoutSeconds(90000))));
    assertEquals(List.of("spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater"
        + " than 0 and less than 86400"), strings(ResourceValidator.validate(r)));
  }

  @Test
  void labelsAreQualifiedNamesAndValues() {
    Resource r = Kinds.wrap(ResourceDefaults.service(Service.newBuilder().setMetadata(ObjectMeta.newBuilder()
        .setName("web").setNamespace("default").putLabels("bad key", "ok").putLabels("app", "-x"))
        .setSpec(ServiceSpec.newBuilder().addPorts(ServicePort.newBuilder().setPort(80))).build()));
    List<String> errs = strings(ResourceValidator.validate(r));
    assertEquals(2, errs.size(), errs.toString());
    assertTrue(errs.get(0).startsWith("metadata.labels: Invalid value: \"-x\": a valid label must be an empty string"), errs.get(0));
    assertTrue(errs.get(1).startsWith("metadata.labels: Invalid value: \"bad key\": name part must consist of"), errs.get(1));
  }

  @Test
  void podsNeedContainersWithImagesAndValidPorts() {
    Resource r = ResourceDefaults.apply(Kinds.wrap(Pod.newBuilder().setMetadata(ObjectMeta.newBuilder().setName("p"))
        .setSpec(io.svcplane.api.v1.PodSpec.newBuilder().addContainers(io.svcplane.api.v1.Container.newBuilder()
            .setName("c").addPorts(io.svcplane.api.v1.ContainerPort.newBuilder().setContainerPort(0).setName("Web"))))
        .setStatus(io.svcplane.api.v1.PodStatus.newBuilder().setPodIp("10.0.0.300")).build()));
    assertEquals(List.of(
        "spec.containers[0].image: Required value",
        "spec.containers[0].ports[0].name: Invalid value: \"Web\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
        "spec.containers[0].ports[0].containerPort: Required value",
        "status.podIP: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        "status.podIPs[0].ip: Invalid value: \"10.0.0.300\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
        strings(ResourceValidator.validate(r)));
  }

  static List<String> strings(List<FieldError> errs) {
    return errs.stream().map(FieldError::toString).toList();
  }
}
