package io.svcplane.proxy.nftables;

import java.util.ArrayList;
import java.util.List;

/** An {@link Nft} that records transactions and can be told to refuse the next one. */
final class RecordingNft implements Nft {
  final List<String> applied = new ArrayList<>();
  private String refuseWith;

  void refuseNext(String error) {
    refuseWith = error;
  }

  String last() {
    return applied.get(applied.size() - 1);
  }

  @Override
  public void apply(String script) throws NftException {
    if (refuseWith != null) {
      String e = refuseWith;
      refuseWith = null;
      throw new NftException(e);
    }
    applied.add(script);
  }

  @Override
  public String run(String... args) {
    throw new UnsupportedOperationException();
  }
}
