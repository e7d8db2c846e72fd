package io.svcplane.svcctl;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.svcplane.api.v1.Kind;
import io.svcplane.core.Kinds;
import io.svcplane.security.TlsDiagnosis;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the apiserver's gRPC statuses into the lines kubectl prints for the equivalent HTTP
 * statuses (cmdutil.CheckErr / StandardErrorMessage), e.g.
 * {@code Error from server (NotFound): services "x" not found}.
 */
final class ApiErrors {
  private ApiErrors() {}

  /**
   * What was being done when the call failed: the object, and for {@code -f} the manifest it
   * came from with kubectl's verb ("creating", "applying", "deleting").
   */
  record Op(Kind kind, String name, String verb, String source) {
    static Op of(Kind kind, String name) {
      return new Op(kind, name, null, null);
    }
  }

  /** With what svcctl knows of the connection: TLS failures are explained and the fix named. */
  static String message(StatusRuntimeException e, Op op, Connection connection) {
    ServerAddress server = connection.server();
    Status status = e.getStatus();
    if (status.getCode() == Status.Code.UNAVAILABLE) {
      TlsDiagnosis.Problem p = TlsDiagnosis.classify(e);
      if (p == null && !connection.tls().tls() && !refused(e)
          && TlsDiagnosis.speaksTls(server.host(), server.port(), java.time.Duration.ofSeconds(3))) {
        p = TlsDiagnosis.Problem.SERVER_WANTS_TLS;
      }
      if (p != null) return "Unable to connect to the server: " + TlsDiagnosis.explain(p, server.toString(), connection.tls()) + ".\n"
          + hint(p, server);
    }
    if (status.getCode() == Status.Code.UNAUTHENTICATED && !connection.hasCredentials()) {
      return message(e, op, server) + "\nsvcctl sent no credentials: give --token (or $" + Connection.TOKEN_ENV
          + "), --cert-file and --key-file, or a configuration file with --config (bin/svcplane up writes .svcplane/config).";
    }
    return message(e, op, server);
  }

  private static String hint(TlsDiagnosis.Problem p, ServerAddress server) {
    return switch (p) {
      case SERVER_WANTS_TLS, UNKNOWN_AUTHORITY -> "Give the cluster's CA with --ca-file and your credentials (--token, or --cert-file"
          + " and --key-file), or its configuration file with --config (bin/svcplane up writes .svcplane/config, which bin/svcctl"
          + " reads by default).";
      case SERVER_NOT_TLS -> "To talk plaintext to it, give the address as --server http://" + server + ".";
      case WRONG_NAME -> "Use an address the certificate names (bin/svcplane's: 127.0.0.1 or localhost).";
      case EXPIRED -> "Issue it again (bin/svcplane up renews the local cluster's certificates).";
      case CLIENT_CERTIFICATE_REFUSED -> "Use a certificate and key issued by the cluster's CA.";
    };
  }

  private static boolean refused(StatusRuntimeException e) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof NoRouteToHostException || t instanceof UnknownHostException
          || t instanceof UnresolvedAddressException) {
        return true;
      }
    }
    String d = e.getStatus().getDescription();
    return d != null && d.contains("Connection refused");
  }

  static String message(StatusRuntimeException e, Op op, ServerAddress server) {
    Status status = e.getStatus();
    String what = op.kind() == null ? "" : Kinds.plural(op.kind()) + " \"" + op.name() + "\"";
    String desc = status.getDescription() == null ? "" : status.getDescription();
    return switch (status.getCode()) {
      case INVALID_ARGUMENT -> invalid(e, op, desc);
      // The server's message says what is missing: the object, or e.g. its namespace.
      case NOT_FOUND -> fromServer("NotFound", op, !desc.isEmpty() || op.kind() == null ? desc : what + " not found");
      case ALREADY_EXISTS -> fromServer("AlreadyExists", op,
          !desc.isEmpty() || op.kind() == null ? desc : what + " already exists");
      case ABORTED -> fromServer("Conflict", op, "Operation cannot be fulfilled on " + what
          + ": the object has been modified; please apply your changes to the latest version and try again");
      case FAILED_PRECONDITION -> fromServer("Conflict", op, desc);
      case RESOURCE_EXHAUSTED -> fromServer("InternalError", op, "Internal error occurred: " + desc);
      case OUT_OF_RANGE -> fromServer("Expired", op, desc);
      case PERMISSION_DENIED -> fromServer("Forbidden", op, desc);
      case UNAUTHENTICATED -> "error: You must be logged in to the server (" + desc + ")";
      case UNIMPLEMENTED -> "error: the server at " + server + " does not serve svcplane's Resources API"
          + " (is --server pointing at an svcplane apiserver?): " + desc;
      case DEADLINE_EXCEEDED -> "Unable to connect to the server: " + server
          + " did not answer in time (is --server pointing at an svcplane apiserver?)";
      case UNAVAILABLE -> unavailable(e, server, op, desc);
      default -> fromServer("InternalError", op, desc.isEmpty() ? status.getCode().toString() : desc);
    };
  }

  private static String fromServer(String reason, Op op, String message) {
    String source = op.source() == null ? "" : "error when " + op.verb() + " \"" + op.source() + "\": ";
    return "Error from server (" + reason + "): " + source + message;
  }

  private static String unavailable(StatusRuntimeException e, ServerAddress server, Op op, String desc) {
    for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
      if (t instanceof ConnectException || t instanceof NoRouteToHostException) {
        return "The connection to the server " + server + " was refused - did you specify the right host or port?\n"
            + "Start a local cluster with bin/svcplane up, or point svcctl at a running apiserver"
            + " with --server HOST:PORT or " + ServerAddress.ENV + ".";
      }
      if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
        return "Unable to connect to the server: lookup " + server.host() + ": no such host";
      }
    }
    if (desc.startsWith("io exception") || desc.contains("Connection refused")) {
      return "Unable to connect to the server " + server + ": " + desc;
    }
    return fromServer("ServiceUnavailable", op, desc);
  }

  /**
   * kubectl's Invalid handling: {@code The Service "x" is invalid: FIELD: MESSAGE}, or one
   * {@code * FIELD: MESSAGE} line per cause when there are several. The causes come from the
   * google.rpc.BadRequest detail; without it, from the status message.
   */
  private static String invalid(StatusRuntimeException e, Op op, String desc) {
    List<String> causes = new ArrayList<>();
    com.google.rpc.Status rich = StatusProto.fromThrowable(e);
    if (rich != null) {
      for (Any any : rich.getDetailsList()) {
        if (!any.is(BadRequest.class)) continue;
        try {
          for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
            String d = v.getDescription();
            causes.add(v.getField().isEmpty() || d.startsWith(v.getField() + ":") ? d : v.getField() + ": " + d);
          }
        } catch (InvalidProtocolBufferException ignored) {
          // An undecodable detail: fall back to the message.
        }
      }
    }
    String kindName = op.kind() == null || op.name() == null ? null : Kinds.kindName(op.kind());
    String prefix = kindName == null ? "The request is invalid" : "The " + kindName + " \"" + op.name() + "\" is invalid";
    if (causes.isEmpty()) {
      // Kubernetes-shaped message without details: 'Service "x" is invalid: ...'.
      if (kindName != null && desc.startsWith(kindName + " \"")) return "The " + desc;
      if (desc.isEmpty()) return prefix;
      if (kindName == null || !desc.contains(": ")) return fromServer("BadRequest", op, desc);
      // The message names the object already ("... is invalid: ..."): keep it whole.
      if (desc.contains(" is invalid")) return "The " + kindName + " \"" + op.name() + "\" is invalid: "
          + desc.substring(desc.indexOf(" is invalid") + " is invalid".length()).replaceFirst("^: ", "");
      return prefix + ": " + desc;
    }
    if (causes.size() == 1) return prefix + ": " + causes.get(0);
    StringBuilder sb = new StringBuilder(prefix).append(": ");
    for (String c : causes) sb.append("\n* ").append(c);
    return sb.toString();
  }
}
