package io.svcplane.apiserver.feed;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.svcplane.api.v1.Hello;
import io.svcplane.api.v1.ProxyFeedGrpc;
import io.svcplane.api.v1.ProxyRequest;
import io.svcplane.api.v1.ProxyUpdate;
import io.svcplane.api.v1.Kind;
import io.svcplane.apiserver.ApiException;
import io.svcplane.apiserver.auth.Attributes;
import io.svcplane.apiserver.auth.RequestAuthorizer;
import java.util.regex.Pattern;

/** The ProxyFeed gRPC service: a thin adapter from the stream to {@link ProxyFeedHub}. */
public final class ProxyFeedService extends ProxyFeedGrpc.ProxyFeedImplBase {
  private static final Pattern DNS_SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern IPV4 =
      Pattern.compile("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

  private final ProxyFeedHub hub;
  private final java.util.function.BooleanSupplier serving;
  private final RequestAuthorizer authorizer;

  public ProxyFeedService(ProxyFeedHub hub) {
    this(hub, () -> true);
  }

  /** @param serving false while the apiserver is still folding the log: proxies are told to come back */
  public ProxyFeedService(ProxyFeedHub hub, java.util.function.BooleanSupplier serving) {
    this(hub, serving, RequestAuthorizer.ALLOW_ALL);
  }

  /**
   * @param authorizer decides whether the caller may speak for the node its hello names: it
   *     registers that Node and writes its status, and reads every service and endpoints
   */
  public ProxyFeedService(ProxyFeedHub hub, java.util.function.BooleanSupplier serving, RequestAuthorizer authorizer) {
    this.hub = hub;
    this.serving = serving;
    this.authorizer = authorizer;
  }

  @Override
  public StreamObserver<ProxyRequest> stream(StreamObserver<ProxyUpdate> responseObserver) {
    var out = (ServerCallStreamObserver<ProxyUpdate>) responseObserver;
    var call = new Call(out);
    // Both handlers must be set before this method returns.
    out.setOnReadyHandler(call::onReady);
    out.setOnCancelHandler(call::closed);
    return call;
  }

  private final class Call implements StreamObserver<ProxyRequest> {
    private final ServerCallStreamObserver<ProxyUpdate> out;
    private volatile ProxySession session;

    Call(ServerCallStreamObserver<ProxyUpdate> out) {
      this.out = out;
    }

    void onReady() {
      ProxySession s = session;
      if (s != null) s.onReady();
    }

    @Override
    public void onNext(ProxyRequest req) {
      ProxySession s = session;
      if (s == null) {
        if (!serving.getAsBoolean()) {
          out.onError(Status.UNAVAILABLE.withDescription("the apiserver is not serving yet").asRuntimeException());
          return;
        }
        if (!req.hasHello()) {
          fail("the first message of a ProxyFeed stream must be hello");
          return;
        }
        String error = validate(req.getHello());
        if (error != null) {
          fail(error);
          return;
        }
        String denied = authorize(req.getHello().getNodeName());
        if (denied != null) {
          closed();
          out.onError(Status.PERMISSION_DENIED.withDescription(denied).asRuntimeException());
          return;
        }
        session = hub.open(req.getHello(), out);
        return;
      }
      switch (req.getMessageCase()) {
        case ACK -> s.onAck(req.getAck().getVersion());
        case NACK -> s.onNack(req.getNack().getVersion(), req.getNack().getError());
        case HELLO -> fail("hello: only the first message of a stream may be hello");
        default -> { }
      }
    }

    private void fail(String message) {
      closed();
      out.onError(Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException());
    }

    void closed() {
      ProxySession s = session;
      if (s != null) hub.close(s);
    }

    @Override
    public void onError(Throwable t) {
      closed();
    }

    @Override
    public void onCompleted() {
      closed();
      out.onCompleted();
    }
  }

  /**
   * Null when the caller may speak for {@code node} (register its Node, write its status, read
   * what every node is sent); else the Forbidden message. A node proxy's certificate names its
   * node: it may open the feed for that node only, so every ACK on the stream is that node's.
   */
  private String authorize(String node) {
    try {
      authorizer.check(Attributes.of("create", Kind.NODE, "", node));
      authorizer.check(Attributes.of("update", Kind.NODE, "", node).subresource("status"));
      authorizer.check(Attributes.of("watch", Kind.SERVICE, "", ""));
      authorizer.check(Attributes.of("watch", Kind.ENDPOINTS, "", ""));
      return null;
    } catch (ApiException e) {
      return e.getMessage();
    }
  }

  /** Kubernetes-style message for the first invalid field of a hello, or null. */
  static String validate(Hello h) {
    String name = h.getNodeName();
    if (name.isEmpty()) return "hello.nodeName: Required value";
    if (name.length() > 253 || !DNS_SUBDOMAIN.matcher(name).matches()) {
      return "hello.nodeName: Invalid value: \"" + name + "\": a lowercase RFC 1123 subdomain must consist of lower case"
          + " alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    }
    String address = h.getNodeAddress();
    if (address.isEmpty()) return "hello.nodeAddress: Required value";
    if (!IPV4.matcher(address).matches()) {
      return "hello.nodeAddress: Invalid value: \"" + address + "\": must be a valid IPv4 address";
    }
    return null;
  }
}
