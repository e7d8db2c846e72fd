package io.svcplane.proxy.userspace;

import io.svcplane.proxy.ProxyMetrics;

/** What every service port actor of the userspace backend shares. */
public record UserspaceSettings(String node, String address, NettyTransport transport, ProxyMetrics metrics) {}
