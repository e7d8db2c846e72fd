package io.svcplane.svcctl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.svcplane.api.v1.Kind;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class ApiErrorsTest {
  private static final ServerAddress SERVER = new ServerAddress("127.0.0.1", 6443);

  private static StatusRuntimeException invalid(String message, String... fieldAndDescription) {
    BadRequest.Builder br = BadRequest.newBuilder();
    for (int i = 0; i < fieldAndDescription.length; i += 2) {
      br.addFieldViolations(BadRequest.FieldViolation.newBuilder().setField(fieldAndDescription[i])
          .setDescription(fieldAndDescription[i + 1]));
    }
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder().setCode(Code.INVALID_ARGUMENT_VALUE)
        .setMessage(message).addDetails(Any.pack(br.build())).build());
  }

  @Test
  void oneFieldErrorIsOneKubectlLine() {
    var e = invalid("Service \"x\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.ports[0].port", "Invalid value: 70000: must be between 1 and 65535, inclusive");
    assertEquals("The Service \"x\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
        ApiErrors.message(e, ApiErrors.Op.of(Kind.SERVICE, "x"), SERVER));
  }

  @Test
  void severalFieldErrorsAreAStarredList() {
    var e = invalid("Service \"x\" is invalid: [...]",
        "spec.ports[0].port", "Invalid value: 70000: must be between 1 and 65535, inclusive",
        "spec.type", "spec.type: Unsupported value: \"Foo\": supported values: \"ClusterIP\", \"ExternalName\"");
    assertEquals("""
        The Service "x" is invalid:\s
        * spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive
        * spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName\"""",
        ApiErrors.message(e, new ApiErrors.Op(Kind.SERVICE, "x", "creating", "bad.yaml"), SERVER));
  }

  @Test
  void invalidWithoutDetailsUsesTheKubernetesShapedMessage() {
    var e = Status.INVALID_ARGUMENT.withDescription("Service \"x\" is invalid: spec.type: Required value").asRuntimeException();
    assertEquals("The Service \"x\" is invalid: spec.type: Required value",
        ApiErrors.message(e, ApiErrors.Op.of(Kind.SERVICE, "x"), SERVER));
  }

  @Test
  void badSelectorOnAListIsABadRequest() {
    var e = Status.INVALID_ARGUMENT.withDescription("unable to parse requirement: app==").asRuntimeException();
    assertEquals("Error from server (BadRequest): unable to parse requirement: app==",
        ApiErrors.message(e, ApiErrors.Op.of(Kind.SERVICE, null), SERVER));
  }

  @Test
  void notFoundAndAlreadyExistsNameTheResource() {
    var nf = Status.NOT_FOUND.asRuntimeException();
    assertEquals("Error from server (NotFound): services \"x\" not found",
        ApiErrors.message(nf, ApiErrors.Op.of(Kind.SERVICE, "x"), SERVER));
    assertEquals("Error from server (NotFound): error when deleting \"svc.yaml\": endpoints \"x\" not found",
        ApiErrors.message(nf, new ApiErrors.Op(Kind.ENDPOINTS, "x", "deleting", "svc.yaml"), SERVER));
    var ae = Status.ALREADY_EXISTS.asRuntimeException();
    assertEquals("Error from server (AlreadyExists): error when creating \"examples/svc-nginx.yaml\": services \"svc-nginx\" already exists",
        ApiErrors.message(ae, new ApiErrors.Op(Kind.SERVICE, "svc-nginx", "creating", "examples/svc-nginx.yaml"), SERVER));
  }

  @Test
  void theServersNotFoundMessageWinsBecauseItMayNameTheNamespace() {
    var nf = Status.NOT_FOUND.withDescription("namespaces \"dev\" not found").asRuntimeException();
    assertEquals("Error from server (NotFound): error when creating \"svc.yaml\": namespaces \"dev\" not found",
        ApiErrors.message(nf, new ApiErrors.Op(Kind.SERVICE, "x", "creating", "svc.yaml"), SERVER));
  }

  @Test
  void staleVersionIsAConflict() {
    assertEquals("Error from server (Conflict): Operation cannot be fulfilled on pods \"p\": the object has been modified;"
            + " please apply your changes to the latest version and try again",
        ApiErrors.message(Status.ABORTED.asRuntimeException(), ApiErrors.Op.of(Kind.POD, "p"), SERVER));
  }

  @Test
  void refusedConnectionSaysWhereAndHowToStartAServer() {
    var e = Status.UNAVAILABLE.withDescription("io exception").withCause(new ConnectException("Connection refused"))
        .asRuntimeException();
    assertEquals("The connection to the server 127.0.0.1:6443 was refused - did you specify the right host or port?\n"
            + "Start a local cluster with bin/svcplane up, or point svcctl at a running apiserver with --server HOST:PORT"
            + " or SVCPLANE_SERVER.",
        ApiErrors.message(e, ApiErrors.Op.of(Kind.SERVICE, null), SERVER));
  }

  @Test
  void startingApiserverIsServiceUnavailable() {
    var e = Status.UNAVAILABLE.withDescription("the apiserver is replaying the log").asRuntimeException();
    assertEquals("Error from server (ServiceUnavailable): the apiserver is replaying the log",
        ApiErrors.message(e, ApiErrors.Op.of(Kind.SERVICE, null), SERVER));
  }
}
