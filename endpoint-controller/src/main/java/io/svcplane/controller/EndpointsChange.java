package io.svcplane.controller;

import io.svcplane.api.v1.ResourceEvent;

/**
 * One Endpoints event to publish on svcplane.endpoints.
 *
 * @param key the record key, {@code Endpoints/namespace/name}
 * @param event ADDED, MODIFIED or DELETED with the full Endpoints and its cause
 */
public record EndpointsChange(String key, ResourceEvent event) {}
