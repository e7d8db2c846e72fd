package io.svcplane.apiserver.write;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.svcplane.api.v1.ApplyResult;
import io.svcplane.api.v1.EventType;
import io.svcplane.api.v1.Kind;
import io.svcplane.api.v1.ObjectMeta;
import io.svcplane.api.v1.Pod;
import io.svcplane.api.v1.Resource;
import io.svcplane.api.v1.Service;
import io.svcplane.api.v1.ServicePort;
import io.svcplane.api.v1.ServiceSpec;
import io.svcplane.apiserver.ApiException;
import io.svcplane.core.Kinds;
import io.svcplane.core.ObjectKey;
import io.svcplane.core.allocation.ClusterIpAllocator;
import io.svcplane.core.allocation.NodePortAllocator;
import io.svcplane.core.validation.FieldError;
import io.svcplane.core.validation.ResourceDefaults;
import io.svcplane.core.validation.ResourceValidator;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Decides one write against the writer's view: defaults, validation, preconditions, and
 * ClusterIP/NodePort allocation, as Kubernetes' apiserver does them. It produces the events to
 * append, or the refusal; it never touches Kafka. Only the writer thread calls it, one write at a
 * time, which is what keeps allocations from being handed out twice.
 */
final class Admission {

  /** One event to append. */
  record Change(ObjectKey key, EventType type, Resource object) {}

  sealed interface Decision {}

  record Rejected(ApiException error) implements Decision {}

  /** Nothing to append; the answer is the stored object. */
  record Unchanged(WriteView.Stored stored, ApplyResult result) implements Decision {}

  /** Append {@code changes}; the answer is the object of {@code changes.get(primary)}. */
  record Accepted(List<Change> changes, int primary, ApplyResult result) implements Decision {}

  /** Namespaces Kubernetes refuses to delete. */
  static final Set<String> PROTECTED_NAMESPACES = Set.of("default", "kube-system", "kube-public");

  private final WriteView view;
  private final Allocations alloc;
  private final Clock clock;

  Admission(WriteView view, Allocations alloc, Clock clock) {
    this.view = view;
    this.alloc = alloc;
    this.clock = clock;
  }

  Decision decide(WriteOp op) {
    try {
      Decision d;
      if (op instanceof WriteOp.Create c) d = create(c.object());
      else if (op instanceof WriteOp.Apply a) d = apply(a.object());
      else if (op instanceof WriteOp.Update u) d = update(u.object(), false);
      else if (op instanceof WriteOp.UpdateStatus u) d = update(u.object(), true);
      else if (op instanceof WriteOp.Delete del) d = delete(del);
      else if (op instanceof WriteOp.FinishGracefulDelete f) d = finishGracefulDelete(f);
      else throw new IllegalArgumentException("unknown write " + op);
      if (d instanceof Accepted a) checkSize(a);
      if (d instanceof Accepted && !isDryRun(op)) alloc.commit();
      else alloc.rollback();
      return d;
    } catch (ApiException e) {
      alloc.rollback();
      return new Rejected(e);
    } catch (RuntimeException e) {
      alloc.rollback();
      throw e;
    }
  }

  /** The largest object the log takes (Kafka's default message size is 1 MiB, with room for the record). */
  static final int MAX_OBJECT_BYTES = 1_000_000;

  private static void checkSize(Accepted a) {
    for (Change c : a.changes()) {
      int size = c.object().getSerializedSize();
      if (size > MAX_OBJECT_BYTES) {
        throw new ApiException(Status.Code.INVALID_ARGUMENT, "Request entity too large: " + Kinds.kindName(c.key().kind())
            + " \"" + c.key().name() + "\" is " + size + " bytes; the limit is " + MAX_OBJECT_BYTES + " bytes");
      }
    }
  }

  static boolean isDryRun(WriteOp op) {
    if (op instanceof WriteOp.Create c) return c.dryRun();
    if (op instanceof WriteOp.Apply a) return a.dryRun();
    if (op instanceof WriteOp.Update u) return u.dryRun();
    if (op instanceof WriteOp.UpdateStatus u) return u.dryRun();
    if (op instanceof WriteOp.Delete d) return d.dryRun();
    return false;
  }

  // ---- create ---------------------------------------------------------------------------------

  private Decision create(Resource input) {
    Resource r = prepare(input, null);
    ObjectKey key = ObjectKey.of(r);
    requireNamespace(key);
    List<FieldError> errs = ResourceValidator.validate(r);
    if (!errs.isEmpty()) throw ApiException.invalid(key, errs);
    if (view.lookup(key).isPresent()) throw ApiException.alreadyExists(key);
    ObjectMeta.Builder m = Kinds.metadata(r).toBuilder()
        .setUid(UUID.randomUUID().toString())
        .setCreationTimestamp(Timestamp.newBuilder().setSeconds(clock.instant().getEpochSecond()));
    r = Kinds.withMetadata(r, m.build());
    if (r.hasService()) r = Kinds.wrap(allocate(key, r.getService(), null));
    return new Accepted(List.of(new Change(key, EventType.ADDED, r)), 0, ApplyResult.CREATED);
  }

  // ---- apply / update / updateStatus ----------------------------------------------------------

  private Decision apply(Resource input) {
    ObjectKey key = ObjectKey.of(ResourceDefaults.apply(input));
    Optional<WriteView.Stored> stored = view.lookup(key);
    if (stored.isEmpty()) return create(input);
    return replace(key, prepare(input, stored.get().object()), stored.get(), ApplyResult.CONFIGURED);
  }

  private Decision update(Resource input, boolean statusOnly) {
    ObjectKey key = ObjectKey.of(ResourceDefaults.apply(input));
    WriteView.Stored stored = view.lookup(key).orElseThrow(() -> ApiException.notFound(key));
    String rv = Kinds.metadata(input).getResourceVersion();
    if (!rv.isEmpty() && !rv.equals(stored.resourceVersion())) throw ApiException.conflict(key);
    Resource desired = statusOnly ? withStatusOf(stored.object(), input) : withoutStatusChange(prepare(input, stored.object()), stored.object());
    if (statusOnly) desired = ResourceDefaults.apply(clearVersion(desired));
    return replace(key, desired, stored, ApplyResult.CONFIGURED);
  }

  /** The stored object made to match {@code desired}: unchanged, or one MODIFIED event. */
  private Decision replace(ObjectKey key, Resource desired, WriteView.Stored stored, ApplyResult changed) {
    Resource old = Kinds.withTypeMeta(clearVersion(stored.object()));
    desired = Kinds.withTypeMeta(desired);
    if (desired.equals(old)) return new Unchanged(stored, ApplyResult.UNCHANGED);
    List<FieldError> errs = ResourceValidator.validateUpdate(desired, old);
    if (!errs.isEmpty()) throw ApiException.invalid(key, errs);
    if (desired.hasService()) desired = Kinds.wrap(allocate(key, desired.getService(), old.getService()));
    return new Accepted(List.of(new Change(key, EventType.MODIFIED, desired)), 0, changed);
  }

  /**
   * The client's object as it would be stored: defaults filled in, server-owned metadata taken
   * from the stored object (or cleared on create), the allocated ClusterIP and NodePorts kept
   * where the client left them empty, and the status handled per kind (pods and nodes take the
   * status of the manifest when it has one; other kinds keep the stored status).
   */
  private Resource prepare(Resource input, Resource stored) {
    ObjectMeta in = Kinds.metadata(input);
    ObjectMeta.Builder m = in.toBuilder().clearResourceVersion();
    if (stored == null) {
      m.clearUid().clearCreationTimestamp().clearDeletionTimestamp().clearDeletionGracePeriodSeconds();
    } else {
      ObjectMeta s = Kinds.metadata(stored);
      m.setUid(s.getUid());
      if (s.hasCreationTimestamp()) m.setCreationTimestamp(s.getCreationTimestamp());
      else m.clearCreationTimestamp();
      if (s.hasDeletionTimestamp()) m.setDeletionTimestamp(s.getDeletionTimestamp());
      else m.clearDeletionTimestamp();
      m.setDeletionGracePeriodSeconds(s.getDeletionGracePeriodSeconds());
    }
    Resource r = Kinds.withMetadata(input, m.build());
    r = switch (r.getObjectCase()) {
      case SERVICE -> Kinds.wrap(r.getService().toBuilder().setStatus(
          stored == null ? io.svcplane.api.v1.ServiceStatus.getDefaultInstance() : stored.getService().getStatus()).build());
      case NAMESPACE -> stored == null ? r : Kinds.wrap(r.getNamespace().toBuilder().setStatus(stored.getNamespace().getStatus()).build());
      case POD -> stored == null || r.getPod().hasStatus() ? r : Kinds.wrap(r.getPod().toBuilder().setStatus(stored.getPod().getStatus()).build());
      case NODE -> {
        var node = r.getNode();
        if (stored != null && !node.hasStatus()) node = node.toBuilder().setStatus(stored.getNode().getStatus()).build();
        yield Kinds.wrap(node.toBuilder().setStatus(node.getStatus().toBuilder().clearProxy()).build());
      }
      default -> r;
    };
    r = Kinds.withTypeMeta(ResourceDefaults.apply(r));
    if (stored != null && r.hasService()) r = Kinds.wrap(keepAllocations(r.getService(), stored.getService()));
    return r;
  }

  /** Update keeps the stored status whatever the client sent. */
  private static Resource withoutStatusChange(Resource desired, Resource stored) {
    return switch (desired.getObjectCase()) {
      case POD -> Kinds.wrap(desired.getPod().toBuilder().setStatus(stored.getPod().getStatus()).build());
      case NODE -> Kinds.wrap(desired.getNode().toBuilder().setStatus(stored.getNode().getStatus()).build());
      case SERVICE -> Kinds.wrap(desired.getService().toBuilder().setStatus(stored.getService().getStatus()).build());
      case NAMESPACE -> Kinds.wrap(desired.getNamespace().toBuilder().setStatus(stored.getNamespace().getStatus()).build());
      default -> desired;
    };
  }

  /** The stored object with the client's status (UpdateStatus). */
  private static Resource withStatusOf(Resource stored, Resource input) {
    if (Kinds.kindOf(stored) != Kinds.kindOf(input)) throw new IllegalStateException("kind mismatch");
    return switch (stored.getObjectCase()) {
      case POD -> Kinds.wrap(stored.getPod().toBuilder().setStatus(input.getPod().getStatus()).build());
      case NODE -> Kinds.wrap(stored.getNode().toBuilder()
          .setStatus(input.getNode().getStatus().toBuilder().clearProxy()).build());
      case SERVICE -> Kinds.wrap(stored.getService().toBuilder().setStatus(input.getService().getStatus()).build());
      case NAMESPACE -> Kinds.wrap(stored.getNamespace().toBuilder().setStatus(input.getNamespace().getStatus()).build());
      default -> stored;
    };
  }

  private static Resource clearVersion(Resource r) {
    ObjectMeta m = Kinds.metadata(r);
    return m.getResourceVersion().isEmpty() ? r : Kinds.withMetadata(r, m.toBuilder().clearResourceVersion().build());
  }

  private void requireNamespace(ObjectKey key) {
    if (Kinds.isNamespaced(key.kind()) && !view.namespaceExists(key.namespace())) {
      throw new ApiException(Status.Code.NOT_FOUND, "namespaces \"" + key.namespace() + "\" not found");
    }
  }

  // ---- Service allocation ---------------------------------------------------------------------

  static boolean usesClusterIp(ServiceSpec s) {
    return !s.getType().equals("ExternalName");
  }

  static boolean usesNodePorts(ServiceSpec s) {
    return s.getType().equals("NodePort") || s.getType().equals("LoadBalancer");
  }

  private static boolean holdsIp(ServiceSpec s) {
    return usesClusterIp(s) && !s.getClusterIp().isEmpty() && !s.getClusterIp().equals("None");
  }

  /**
   * Kubernetes' patchAllocatedValues: an update that leaves clusterIP or a nodePort empty keeps
   * the allocated one (nodePorts matched by port name, unless the new spec uses that port already).
   */
  static Service keepAllocations(Service desired, Service old) {
    ServiceSpec.Builder s = desired.getSpec().toBuilder();
    ServiceSpec o = old.getSpec();
    if (usesClusterIp(s.build()) && usesClusterIp(o) && s.getClusterIp().isEmpty() && !o.getClusterIp().isEmpty()) {
      s.setClusterIp(o.getClusterIp()).clearClusterIps().addAllClusterIps(o.getClusterIpsList());
    }
    if (usesNodePorts(s.build()) && usesNodePorts(o)) {
      Map<String, Integer> byName = new HashMap<>();
      Set<Integer> oldPorts = new HashSet<>();
      for (ServicePort p : o.getPortsList()) {
        byName.putIfAbsent(p.getName(), p.getNodePort());
        if (p.getNodePort() != 0) oldPorts.add(p.getNodePort());
      }
      Set<Integer> used = new HashSet<>();
      for (ServicePort p : s.getPortsList()) if (oldPorts.contains(p.getNodePort())) used.add(p.getNodePort());
      for (int i = 0; i < s.getPortsCount(); i++) {
        ServicePort p = s.getPorts(i);
        if (p.getNodePort() == 0) {
          Integer v = byName.get(p.getName());
          if (v != null && v != 0 && !used.contains(v)) {
            s.setPorts(i, p.toBuilder().setNodePort(v));
            used.add(v);
          }
        }
      }
    }
    return desired.toBuilder().setSpec(s).build();
  }

  /**
   * Takes what {@code svc} asks for and allocates what it leaves empty; gives back what
   * {@code old} held and {@code svc} no longer does. Errors name the field, as Kubernetes does.
   */
  private Service allocate(ObjectKey key, Service svc, Service old) {
    ServiceSpec.Builder s = svc.getSpec().toBuilder();
    ServiceSpec o = old == null ? null : old.getSpec();
    List<FieldError> errs = new ArrayList<>();
    String oldIp = o != null && holdsIp(o) ? o.getClusterIp() : "";

    boolean wantsIp = usesClusterIp(s.build());
    String ip = wantsIp ? s.getClusterIp() : "";
    if (wantsIp && !ip.isEmpty() && !ip.equals("None") && !ip.equals(oldIp)) {
      ClusterIpAllocator.Claim c = alloc.claimIp(ip);
      String prefix = "failed to allocate IP " + ip + ": ";
      if (c == ClusterIpAllocator.Claim.OUTSIDE_RANGE) {
        errs.add(FieldError.invalid("spec.clusterIPs", List.of(ip), prefix + "the provided IP (" + ip
            + ") is not in the valid range. The range of valid IPs is " + alloc.ips.cidr()));
      } else if (c == ClusterIpAllocator.Claim.TAKEN) {
        errs.add(FieldError.invalid("spec.clusterIPs", List.of(ip), prefix + "provided IP is already allocated"));
      }
    }

    Set<Integer> oldPorts = new HashSet<>();
    if (o != null && usesNodePorts(o)) for (ServicePort p : o.getPortsList()) if (p.getNodePort() != 0) oldPorts.add(p.getNodePort());
    boolean wantsPorts = usesNodePorts(s.build());
    Set<Integer> mine = new HashSet<>();
    if (wantsPorts) {
      for (int i = 0; i < s.getPortsCount(); i++) {
        int np = s.getPorts(i).getNodePort();
        if (np == 0 || !mine.add(np) || oldPorts.contains(np)) continue;
        NodePortAllocator.Claim c = alloc.claimPort(np);
        String path = "spec.ports[" + i + "].nodePort";
        if (c == NodePortAllocator.Claim.OUTSIDE_RANGE) {
          errs.add(FieldError.invalid(path, np, "provided port is not in the valid range. The range of valid ports is "
              + alloc.ports.range()));
        } else if (c == NodePortAllocator.Claim.TAKEN) {
          errs.add(FieldError.invalid(path, np, "provided port is already allocated"));
        }
      }
    }
    if (!errs.isEmpty()) throw ApiException.invalid(key, errs);

    if (wantsIp && ip.isEmpty()) {
      ip = alloc.allocateIp();
      if (ip == null) {
        throw new ApiException(Status.Code.RESOURCE_EXHAUSTED,
            "Internal error occurred: failed to allocate a serviceIP: range is full (" + alloc.ips.cidr() + ")");
      }
      s.setClusterIp(ip);
    }
    if (wantsIp) s.clearClusterIps().addClusterIps(s.getClusterIp());
    if (wantsPorts) {
      for (int i = 0; i < s.getPortsCount(); i++) {
        if (s.getPorts(i).getNodePort() != 0) continue;
        int np = alloc.allocatePort();
        if (np == 0) {
          throw new ApiException(Status.Code.RESOURCE_EXHAUSTED,
              "Internal error occurred: failed to allocate a nodePort: range is full (" + alloc.ports.range() + ")");
        }
        mine.add(np);
        s.setPorts(i, s.getPorts(i).toBuilder().setNodePort(np));
      }
    }
    if (!oldIp.isEmpty() && !oldIp.equals(s.getClusterIp())) alloc.releaseIp(oldIp);
    for (int p : oldPorts) if (!mine.contains(p)) alloc.releasePort(p);
    return svc.toBuilder().setSpec(s).build();
  }

  private void release(Service svc) {
    ServiceSpec s = svc.getSpec();
    if (holdsIp(s)) alloc.releaseIp(s.getClusterIp());
    if (usesNodePorts(s)) for (ServicePort p : s.getPortsList()) if (p.getNodePort() != 0) alloc.releasePort(p.getNodePort());
  }

  // ---- delete ---------------------------------------------------------------------------------

  private Decision delete(WriteOp.Delete d) {
    ObjectKey key = d.key();
    WriteView.Stored stored = view.lookup(key).orElseThrow(() -> ApiException.notFound(key));
    if (!d.resourceVersion().isEmpty() && !d.resourceVersion().equals(stored.resourceVersion())) {
      throw ApiException.conflict(key);
    }
    Resource last = clearVersion(stored.object());
    if (key.kind() == Kind.NAMESPACE) {
      if (PROTECTED_NAMESPACES.contains(key.name())) {
        throw new ApiException(Status.Code.FAILED_PRECONDITION,
            "namespaces \"" + key.name() + "\" is forbidden: this namespace may not be deleted");
      }
      List<Change> changes = new ArrayList<>();
      for (ObjectKey k : view.keysInNamespace(key.name())) {
        Resource o = clearVersion(view.lookup(k).orElseThrow().object());
        if (o.hasService()) release(o.getService());
        changes.add(new Change(k, EventType.DELETED, o));
      }
      changes.add(new Change(key, EventType.DELETED, last));
      return new Accepted(changes, changes.size() - 1, ApplyResult.CONFIGURED);
    }
    if (key.kind() == Kind.POD && d.gracePeriodSeconds() > 0) {
      Pod pod = last.getPod();
      Instant now = clock.instant();
      // deletionTimestamp has whole seconds: round up so the grace period is never cut short.
      long deadline = now.getEpochSecond() + d.gracePeriodSeconds() + (now.getNano() > 0 ? 1 : 0);
      if (pod.getMetadata().hasDeletionTimestamp() && pod.getMetadata().getDeletionTimestamp().getSeconds() <= deadline) {
        return new Unchanged(stored, ApplyResult.UNCHANGED);
      }
      Pod terminating = pod.toBuilder().setMetadata(pod.getMetadata().toBuilder()
          .setDeletionTimestamp(Timestamp.newBuilder().setSeconds(deadline))
          .setDeletionGracePeriodSeconds(d.gracePeriodSeconds())).build();
      return new Accepted(List.of(new Change(key, EventType.MODIFIED, Kinds.wrap(terminating))), 0, ApplyResult.CONFIGURED);
    }
    if (last.hasService()) release(last.getService());
    return new Accepted(List.of(new Change(key, EventType.DELETED, last)), 0, ApplyResult.CONFIGURED);
  }

  private Decision finishGracefulDelete(WriteOp.FinishGracefulDelete f) {
    WriteView.Stored stored = view.lookup(f.key()).orElseThrow(() -> ApiException.notFound(f.key()));
    ObjectMeta m = Kinds.metadata(stored.object());
    if (!m.getUid().equals(f.uid()) || !m.hasDeletionTimestamp()) return new Unchanged(stored, ApplyResult.UNCHANGED);
    return new Accepted(List.of(new Change(f.key(), EventType.DELETED, clearVersion(stored.object()))), 0, ApplyResult.CONFIGURED);
  }
}
