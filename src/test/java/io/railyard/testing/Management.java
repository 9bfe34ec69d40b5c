package io.railyard.testing;

import io.quarkus.test.common.http.TestHTTPResourceManager;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;

import java.net.URI;

/**
 * The running test gateway's management interface ({@code /q/health/*}, {@code /q/metrics}, {@code /status}), which
 * listens on its own free port ({@code quarkus.management.test-port=0}) apart from the RPC port.
 */
public final class Management {

    private Management() {
    }

    /** The port the management interface listens on. */
    public static int port() {
        return URI.create(TestHTTPResourceManager.getManagementUri()).getPort();
    }

    /** {@code http://127.0.0.1:<port>} followed by {@code path} (which starts with a slash). */
    public static URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port() + path);
    }

    /** A rest-assured request to the management port. */
    public static RequestSpecification given() {
        return RestAssured.given().port(port());
    }
}
