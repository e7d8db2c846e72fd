package io.svcplane.proxy.nftables;

import java.util.List;

/**
 * A regular chain of the table, identified by its name: chains are shared by every service port
 * with the same shape (protocol, endpoint count, traffic path, affinity timeout), so the same name
 * always has the same rules.
 *
 * @param level chains of a lower level are only jumped to from higher ones: a transaction adds
 *     them first and deletes them last
 */
public record NftChain(String name, List<String> rules, int level) {
  public NftChain {
    rules = List.copyOf(rules);
  }
}
