package io.svcplane.proxy.nftables;

import io.svcplane.core.forwarding.Endpoint;
import io.svcplane.core.forwarding.ServicePortName;
import java.util.List;

/**
 * What one service port puts into the table: its elements and the shared chains it jumps to. The
 * slots say which endpoint sits at which index of the endpoint maps, for ClusterIP and for NodePort
 * traffic; the next plan of the same service port starts from them.
 */
public record ServicePortPlan(
    ServicePortName name,
    List<Endpoint> clusterSlots,
    List<Endpoint> externalSlots,
    List<NftElement> elements,
    List<NftChain> chains) {

  public ServicePortPlan {
    clusterSlots = List.copyOf(clusterSlots);
    externalSlots = List.copyOf(externalSlots);
    elements = List.copyOf(elements);
    chains = List.copyOf(chains);
  }
}
