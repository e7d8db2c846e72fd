package io.svcplane.proxy.nftables;

/**
 * One element of a named set or map, in nft syntax.
 *
 * @param value the map value ("10.244.1.5 . 8080", "goto cluster-tcp-3"); empty in a set
 */
public record NftElement(NftSet set, String key, String value) {
  /** "key" in a set, "key : value" in a map. */
  public String text() {
    return value.isEmpty() ? key : key + " : " + value;
  }
}
